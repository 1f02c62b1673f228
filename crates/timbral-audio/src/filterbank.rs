//! Fixed spectral weightings applied to power spectra: mel bands, A-weighting and the
//! pitch-class (chroma) map. All are precomputed once per analysis.

/// Slaney's mel scale (librosa's default, `htk=False`): linear below 1 kHz, log above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / logstep
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (logstep * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// Triangular mel filters of unit height, stored sparsely (first bin + weights per band).
///
/// Unit height (no area normalisation) keeps band values in the same power unit as the
/// spectrum, so a band's dB level is directly comparable to dBFS.
pub(crate) struct MelBank {
    bands: Vec<(usize, Vec<f32>)>,
}

/// Scaling of each mel band.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum MelNorm {
    /// Triangles of height 1.
    UnitHeight,
    /// librosa's `norm="slaney"`: each triangle scaled by `2 / (hi - lo)`, constant energy per band.
    Slaney,
}

impl MelBank {
    pub(crate) fn new(n_mels: usize, n_fft: usize, sample_rate: u32, fmin: f64, fmax: f64) -> Self {
        MelBank::with_norm(n_mels, n_fft, sample_rate, fmin, fmax, MelNorm::UnitHeight)
    }

    pub(crate) fn with_norm(
        n_mels: usize,
        n_fft: usize,
        sample_rate: u32,
        fmin: f64,
        fmax: f64,
        norm: MelNorm,
    ) -> Self {
        let n_bins = n_fft / 2 + 1;
        let bin_hz = f64::from(sample_rate) / n_fft as f64;
        let (mel_lo, mel_hi) = (hz_to_mel(fmin), hz_to_mel(fmax));
        let edges: Vec<f64> = (0..n_mels + 2)
            .map(|i| mel_to_hz(mel_lo + (mel_hi - mel_lo) * i as f64 / (n_mels + 1) as f64))
            .collect();
        let bands = (0..n_mels)
            .map(|m| {
                let (lo, centre, hi) = (edges[m], edges[m + 1], edges[m + 2]);
                let height = match norm {
                    MelNorm::UnitHeight => 1.0,
                    MelNorm::Slaney => 2.0 / (hi - lo),
                };
                let weight = |k: usize| {
                    let f = k as f64 * bin_hz;
                    let up = (f - lo) / (centre - lo);
                    let down = (hi - f) / (hi - centre);
                    (up.min(down).max(0.0) * height) as f32
                };
                let first = ((lo / bin_hz).floor() as usize).min(n_bins - 1);
                let last = ((hi / bin_hz).ceil() as usize).min(n_bins - 1);
                let mut weights: Vec<f32> = (first..=last).map(weight).collect();
                // Bands narrower than a bin would be empty: give them their nearest bin.
                if weights.iter().all(|w| *w == 0.0) {
                    let nearest = ((centre / bin_hz).round() as usize).min(n_bins - 1);
                    weights = vec![0.0; last - first + 1];
                    weights[nearest.clamp(first, last) - first] = height as f32;
                }
                (first, weights)
            })
            .collect();
        MelBank { bands }
    }

    /// Band powers of `power` into `out` (length `n_mels`).
    pub(crate) fn apply(&self, power: &[f32], out: &mut [f32]) {
        for ((first, weights), o) in self.bands.iter().zip(out.iter_mut()) {
            *o = weights
                .iter()
                .zip(&power[*first..])
                .map(|(w, p)| w * p)
                .sum();
        }
    }
}

/// IEC 61672 A-weighting as a power gain per FFT bin (0 dB at 1 kHz).
pub(crate) fn a_weighting_power(n_fft: usize, sample_rate: u32) -> Vec<f32> {
    let bin_hz = f64::from(sample_rate) / n_fft as f64;
    (0..=n_fft / 2)
        .map(|k| {
            let f2 = (k as f64 * bin_hz).powi(2);
            let ra = 12194.0f64.powi(2) * f2 * f2
                / ((f2 + 20.6f64.powi(2))
                    * ((f2 + 107.7f64.powi(2)) * (f2 + 737.9f64.powi(2))).sqrt()
                    * (f2 + 12194.0f64.powi(2)));
            // +2.00 dB normalises the gain to 0 dB at 1 kHz.
            (ra * 10f64.powf(2.0 / 20.0)).powi(2) as f32
        })
        .collect()
}

/// Maps FFT bins to the 12 pitch classes (0 = C). Each bin between `fmin` and `fmax` splits
/// its power between the two nearest semitones, linearly in (fractional) semitones.
pub(crate) struct ChromaMap {
    first_bin: usize,
    /// Per bin from `first_bin`: (lower class, its weight, upper class, its weight).
    entries: Vec<(u8, f32, u8, f32)>,
}

impl ChromaMap {
    pub(crate) fn new(n_fft: usize, sample_rate: u32, fmin: f64, fmax: f64) -> Self {
        let bin_hz = f64::from(sample_rate) / n_fft as f64;
        let first_bin = (fmin / bin_hz).ceil().max(1.0) as usize;
        let last_bin = ((fmax / bin_hz).floor() as usize).min(n_fft / 2);
        let entries = (first_bin..=last_bin)
            .map(|k| {
                // MIDI pitch; pitch class 0 is C (MIDI 60 = C4, 69 = A4 = 440 Hz).
                let midi = 69.0 + 12.0 * (k as f64 * bin_hz / 440.0).log2();
                let lower = midi.floor();
                let frac = (midi - lower) as f32;
                let class = |m: f64| (m.rem_euclid(12.0)) as u8;
                (class(lower), 1.0 - frac, class(lower + 1.0), frac)
            })
            .collect();
        ChromaMap { first_bin, entries }
    }

    /// Chroma energies of `power` into `out` (overwritten).
    pub(crate) fn apply(&self, power: &[f32], out: &mut [f32; 12]) {
        *out = [0.0; 12];
        for (&(lo, wl, hi, wh), p) in self.entries.iter().zip(&power[self.first_bin..]) {
            out[lo as usize] += wl * p;
            out[hi as usize] += wh * p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips_and_matches_librosa_points() {
        // librosa.hz_to_mel(1000) == 15, hz_to_mel(440) == 6.6
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-9);
        assert!((hz_to_mel(440.0) - 6.6).abs() < 1e-9);
        for hz in [30.0, 440.0, 1000.0, 5000.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn a_weighting_is_zero_db_at_1khz_and_cuts_bass() {
        let w = a_weighting_power(22_050, 22_050); // 1 Hz bins
        assert!((10.0 * w[1000].log10()).abs() < 0.05);
        // IEC table: -19.1 dB at 100 Hz, +1.2 dB at 2.5 kHz
        assert!((10.0 * w[100].log10() + 19.1).abs() < 0.1);
        assert!((10.0 * w[2500].log10() - 1.3).abs() < 0.15);
    }

    #[test]
    fn mel_bands_cover_every_bin_in_range_once() {
        let bank = MelBank::new(40, 1024, 22_050, 30.0, 11_025.0);
        let mut out = vec![0.0; 40];
        let flat = vec![1.0f32; 513];
        bank.apply(&flat, &mut out);
        // Unit-height triangles overlap to sum to 1 per bin inside the range.
        let per_bin_total: f32 = out.iter().sum();
        let bins_in_range = (11_025.0f32 - 30.0) / (22_050.0 / 1024.0);
        assert!(
            (per_bin_total / bins_in_range - 1.0).abs() < 0.05,
            "{per_bin_total} vs {bins_in_range}"
        );
        assert!(out.iter().all(|v| *v > 0.0));
    }
}
