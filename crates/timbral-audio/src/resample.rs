//! Streaming mono sample-rate conversion (rubato's synchronous FFT resampler).
//!
//! Input arrives packet by packet; output is appended to a caller-owned buffer, with the
//! resampler's latency removed so that output sample `i` lines up with input time `i / rate_out`.

use rubato::{FftFixedIn, Resampler};

/// Input frames handed to rubato per call.
const CHUNK_IN: usize = 2048;

/// Converts a mono stream from `rate_in` to `rate_out`, chunk by chunk.
pub(crate) struct StreamResampler {
    inner: Option<FftState>,
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
            return Ok(StreamResampler { inner: None });
        }
        let resampler =
            FftFixedIn::<f32>::new(rate_in as usize, rate_out as usize, CHUNK_IN, 2, 1)
                .map_err(|e| format!("cannot resample {rate_in} Hz -> {rate_out} Hz: {e}"))?;
        let out_buf = vec![0.0; resampler.output_frames_max()];
        let delay_left = resampler.output_delay();
        Ok(StreamResampler {
            inner: Some(FftState {
                resampler,
                pending: Vec::with_capacity(2 * CHUNK_IN),
                out_buf,
                delay_left,
                ratio: f64::from(rate_out) / f64::from(rate_in),
                total_in: 0,
                total_out: 0,
            }),
        })
    }

    /// Feed `input`; converted samples are appended to `out`.
    pub(crate) fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), String> {
        let Some(state) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            return Ok(());
        };
        state.total_in += input.len() as u64;
        state.pending.extend_from_slice(input);
        let mut consumed = 0;
        while state.pending.len() - consumed >= state.resampler.input_frames_next() {
            let (n_in, n_out) = state
                .resampler
                .process_into_buffer(&[&state.pending[consumed..]], &mut [&mut state.out_buf[..]], None)
                .map_err(|e| format!("resampling failed: {e}"))?;
            consumed += n_in;
            state.emit(n_out, out);
        }
        state.pending.drain(..consumed);
        Ok(())
    }

    /// Flush the tail: after this, `out` holds `round(total_in * ratio)` samples overall.
    pub(crate) fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), String> {
        let Some(state) = self.inner.as_mut() else {
            return Ok(());
        };
        let expected = (state.total_in as f64 * state.ratio).round() as u64;
        // Each partial call yields a full output chunk, so a few calls always suffice.
        let max_calls = 2 + state.delay_left / state.out_buf.len().max(1) + 2;
        for _ in 0..max_calls {
            if state.total_out >= expected {
                break;
            }
            let pending = std::mem::take(&mut state.pending);
            let (_, n_out) = state
                .resampler
                .process_partial_into_buffer(Some(&[&pending[..]]), &mut [&mut state.out_buf[..]], None)
                .map_err(|e| format!("resampling failed: {e}"))?;
            let keep = n_out.min((expected - state.total_out) as usize + state.delay_left);
            state.emit(keep, out);
        }
        Ok(())
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

/// Resample a whole in-memory mono signal.
pub(crate) fn resample_all(input: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>, String> {
    let mut resampler = StreamResampler::new(rate_in, rate_out)?;
    let mut out = Vec::with_capacity((input.len() as f64 * f64::from(rate_out) / f64::from(rate_in)) as usize + 16);
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
        assert_eq!(out.len(), 44_100);
        let expected = sine(440.0, 22_050, 2.0);
        // Away from the edges the output is the same sine, delay-compensated.
        let max_err = out[2000..40_000]
            .iter()
            .zip(&expected[2000..40_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err < 0.01, "max error {max_err}");
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
