//! Streaming mono sample-rate conversion.
//!
//! Input arrives packet by packet; output is appended to a caller-owned buffer, with the
//! resampler's latency removed so that output sample `i` lines up with input time `i / rate_out`.
//! Exact halving (44.1 kHz -> 22.05 kHz, the common case) uses a half-band FIR, several times
//! cheaper than a general resampler; every other ratio uses rubato's synchronous FFT resampler.

use rubato::{FftFixedIn, Resampler};

/// Input frames handed to rubato per call.
const CHUNK_IN: usize = 2048;
/// Half of the half-band filter's span, in input samples (filter length `2 * HALF_SPAN + 1`).
const HALF_SPAN: usize = 64;
/// Kaiser window shape of the half-band filter (~80 dB stop band).
const KAISER_BETA: f64 = 8.0;

/// Converts a mono stream from `rate_in` to `rate_out`, chunk by chunk.
pub(crate) struct StreamResampler {
    engine: Engine,
}

enum Engine {
    Copy,
    Halve(HalfBand),
    Fft(Box<FftState>),
}

/// Decimation by 2 with a linear-phase half-band low-pass: every other tap is zero, so each
/// output costs `HALF_SPAN / 2` symmetric multiply-adds plus the centre tap.
struct HalfBand {
    /// Taps at odd offsets 1, 3, 5, ... from the centre (the centre tap is 0.5).
    odd_taps: Vec<f32>,
    /// Unconsumed input, starting `HALF_SPAN` samples before the next output's centre.
    buffer: Vec<f32>,
    /// Input samples seen, to know how many outputs the stream owes at the end.
    total_in: u64,
    total_out: u64,
}

struct FftState {
    resampler: FftFixedIn<f32>,
    /// Input not yet consumed (always shorter than one chunk between calls).
    pending: Vec<f32>,
    out_buf: Vec<f32>,
    /// Output samples still to drop to cancel the resampler delay.
    delay_left: usize,
    ratio: f64,
    total_in: u64,
    total_out: u64,
}

impl StreamResampler {
    /// A resampler from `rate_in` to `rate_out` (a plain copy when they are equal).
    pub(crate) fn new(rate_in: u32, rate_out: u32) -> Result<Self, String> {
        if rate_in == 0 || rate_out == 0 {
            return Err(format!("invalid sample rates {rate_in} -> {rate_out}"));
        }
        if rate_in == rate_out {
            return Ok(StreamResampler {
                engine: Engine::Copy,
            });
        }
        if rate_in == 2 * rate_out {
            return Ok(StreamResampler {
                engine: Engine::Halve(HalfBand::new()),
            });
        }
        let resampler = FftFixedIn::<f32>::new(rate_in as usize, rate_out as usize, CHUNK_IN, 2, 1)
            .map_err(|e| format!("cannot resample {rate_in} Hz -> {rate_out} Hz: {e}"))?;
        let out_buf = vec![0.0; resampler.output_frames_max()];
        let delay_left = resampler.output_delay();
        Ok(StreamResampler {
            engine: Engine::Fft(Box::new(FftState {
                resampler,
                pending: Vec::with_capacity(2 * CHUNK_IN),
                out_buf,
                delay_left,
                ratio: f64::from(rate_out) / f64::from(rate_in),
                total_in: 0,
                total_out: 0,
            })),
        })
    }

    /// Feed `input`; converted samples are appended to `out`.
    pub(crate) fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), String> {
        let state = match &mut self.engine {
            Engine::Copy => {
                out.extend_from_slice(input);
                return Ok(());
            }
            Engine::Halve(halfband) => {
                halfband.push(input, out);
                return Ok(());
            }
            Engine::Fft(state) => state,
        };
        state.total_in += input.len() as u64;
        state.pending.extend_from_slice(input);
        let mut consumed = 0;
        while state.pending.len() - consumed >= state.resampler.input_frames_next() {
            let (n_in, n_out) = state
                .resampler
                .process_into_buffer(
                    &[&state.pending[consumed..]],
                    &mut [&mut state.out_buf[..]],
                    None,
                )
                .map_err(|e| format!("resampling failed: {e}"))?;
            consumed += n_in;
            state.emit(n_out, out);
        }
        state.pending.drain(..consumed);
        Ok(())
    }

    /// Flush the tail: after this, `out` holds `round(total_in * ratio)` samples overall.
    pub(crate) fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), String> {
        let state = match &mut self.engine {
            Engine::Copy => return Ok(()),
            Engine::Halve(halfband) => {
                halfband.finish(out);
                return Ok(());
            }
            Engine::Fft(state) => state,
        };
        let expected = (state.total_in as f64 * state.ratio).round() as u64;
        // Each partial call yields a full output chunk, so a few calls always suffice.
        let max_calls = 2 + state.delay_left / state.out_buf.len().max(1) + 2;
        for _ in 0..max_calls {
            if state.total_out >= expected {
                break;
            }
            let pending = std::mem::take(&mut state.pending);
            // rubato wants `None` (not an empty slice) for "no more input, flush with zeros".
            let input = (!pending.is_empty()).then(|| [&pending[..]]);
            let (_, n_out) = state
                .resampler
                .process_partial_into_buffer(
                    input.as_ref().map(|i| &i[..]),
                    &mut [&mut state.out_buf[..]],
                    None,
                )
                .map_err(|e| format!("resampling failed: {e}"))?;
            let keep = n_out.min((expected - state.total_out) as usize + state.delay_left);
            state.emit(keep, out);
        }
        Ok(())
    }
}

impl HalfBand {
    fn new() -> Self {
        // Windowed sinc with cut-off at a quarter of the input rate: h[k] = 0.5 sinc(k / 2) w[k].
        let bessel_i0 = |x: f64| {
            let (mut sum, mut term) = (1.0f64, 1.0f64);
            for k in 1..50 {
                term *= (x / (2.0 * k as f64)).powi(2);
                sum += term;
            }
            sum
        };
        let kaiser = |k: f64| {
            let r = k / HALF_SPAN as f64;
            bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(KAISER_BETA)
        };
        let mut odd_taps: Vec<f64> = (0..HALF_SPAN / 2)
            .map(|j| {
                let k = (2 * j + 1) as f64;
                let x = std::f64::consts::PI * k / 2.0;
                0.5 * x.sin() / x * kaiser(k)
            })
            .collect();
        // Normalise to unit gain at DC: centre 0.5 plus both sides of the odd taps.
        let side: f64 = odd_taps.iter().sum();
        odd_taps.iter_mut().for_each(|t| *t *= 0.5 / (2.0 * side));
        HalfBand {
            odd_taps: odd_taps.into_iter().map(|t| t as f32).collect(),
            buffer: vec![0.0; HALF_SPAN],
            total_in: 0,
            total_out: 0,
        }
    }

    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.total_in += input.len() as u64;
        self.buffer.extend_from_slice(input);
        self.drain(out, u64::MAX);
    }

    fn finish(&mut self, out: &mut Vec<f32>) {
        self.buffer.extend(std::iter::repeat_n(0.0, HALF_SPAN + 1));
        self.drain(out, self.total_in.div_ceil(2));
    }

    /// Emit every output whose filter span is fully buffered (at most `limit` in total).
    fn drain(&mut self, out: &mut Vec<f32>, limit: u64) {
        let mut centre = HALF_SPAN;
        while centre + HALF_SPAN < self.buffer.len() && self.total_out < limit {
            let x = &self.buffer;
            let mut acc = 0.5 * x[centre];
            for (j, tap) in self.odd_taps.iter().enumerate() {
                let k = 2 * j + 1;
                acc += tap * (x[centre - k] + x[centre + k]);
            }
            out.push(acc);
            self.total_out += 1;
            centre += 2;
        }
        self.buffer.drain(..centre - HALF_SPAN);
    }
}

impl FftState {
    fn emit(&mut self, n_out: usize, out: &mut Vec<f32>) {
        let skip = self.delay_left.min(n_out);
        self.delay_left -= skip;
        out.extend_from_slice(&self.out_buf[skip..n_out]);
        self.total_out += (n_out - skip) as u64;
    }
}

/// Resamples a whole mono signal from `rate_in` to `rate_out`, latency removed.
pub fn resample_all(input: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>, String> {
    let mut resampler = StreamResampler::new(rate_in, rate_out)?;
    let mut out = Vec::with_capacity(
        (input.len() as f64 * f64::from(rate_out) / f64::from(rate_in)) as usize + 16,
    );
    resampler.push(input, &mut out)?;
    resampler.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    #[test]
    fn resampled_sine_keeps_length_phase_and_amplitude() {
        let input = sine(440.0, 44_100, 2.0);
        // Feed in uneven packets, as a decoder would.
        let mut resampler = StreamResampler::new(44_100, 22_050).unwrap();
        let mut out = Vec::new();
        for packet in input.chunks(1153) {
            resampler.push(packet, &mut out).unwrap();
        }
        resampler.finish(&mut out).unwrap();
        assert_matches_440hz_sine_at_22050(&out);
    }

    /// Two seconds of a 440 Hz sine at 22050 Hz: away from the edges the output is the same
    /// sine, delay-compensated.
    fn assert_matches_440hz_sine_at_22050(out: &[f32]) {
        assert_eq!(out.len(), 44_100);
        let expected = sine(440.0, 22_050, 2.0);
        let max_err = out[2000..40_000]
            .iter()
            .zip(&expected[2000..40_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err < 0.01, "max error {max_err}");
    }

    #[test]
    fn flush_works_when_input_is_a_whole_number_of_chunks() {
        // rubato path (48 kHz); 20 * 2048 * 22050 / 48000 = 18816 exactly.
        let input = vec![0.25f32; 20 * CHUNK_IN];
        let out = resample_all(&input, 48_000, 22_050).unwrap();
        assert_eq!(out.len(), 18_816);
        assert!((out[CHUNK_IN] - 0.25).abs() < 1e-3);
    }

    #[test]
    fn rubato_path_handles_48k() {
        let input = sine(440.0, 48_000, 2.0);
        let out = resample_all(&input, 48_000, 22_050).unwrap();
        assert_matches_440hz_sine_at_22050(&out);
    }

    #[test]
    fn half_band_passes_9khz_and_stops_13khz() {
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let pass = resample_all(&sine(9_000.0, 44_100, 1.0), 44_100, 22_050).unwrap();
        assert!((rms(&pass[1000..20_000]) - 0.5f32.sqrt()).abs() < 0.01);
        let stop = resample_all(&sine(13_000.0, 44_100, 1.0), 44_100, 22_050).unwrap();
        assert!(
            rms(&stop[1000..20_000]) < 1e-3,
            "{}",
            rms(&stop[1000..20_000])
        );
    }

    #[test]
    fn equal_rates_copy_through() {
        let input = sine(100.0, 22_050, 0.1);
        assert_eq!(resample_all(&input, 22_050, 22_050).unwrap(), input);
    }

    #[test]
    fn content_above_new_nyquist_is_removed() {
        // 15 kHz cannot exist at 22.05 kHz; it must not alias down to 7.05 kHz.
        let out = resample_all(&sine(15_000.0, 44_100, 1.0), 44_100, 22_050).unwrap();
        let rms = (out[1000..20_000].iter().map(|x| x * x).sum::<f32>() / 19_000.0).sqrt();
        assert!(rms < 0.01, "aliased rms {rms}");
    }
}
