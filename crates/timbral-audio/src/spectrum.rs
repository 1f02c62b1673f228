//! Short-time power spectra with a reusable FFT plan and buffers (no allocation per frame).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// Centred, Hann-windowed STFT frames (librosa's `center=True`, zero padding).
///
/// Power is scaled so that a full-scale sine gives a one-sided spectrum summing to 1
/// (see [`PowerStft::frame_power`]), i.e. spectra are in "fraction of full-scale sine power".
pub(crate) struct PowerStft {
    n_fft: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    /// Converts |X_k|^2 into the scale described above, one-sided doubling included.
    scale: Vec<f32>,
}

impl PowerStft {
    pub(crate) fn new(n_fft: usize, hop: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        // Periodic Hann, as librosa/scipy `get_window("hann", n, fftbins=True)`.
        let window: Vec<f32> = (0..n_fft)
            .map(|i| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()) as f32
            })
            .collect();
        // Parseval: sum_n (w x)^2 = (1/N) sum_k |X_k|^2 over both sides. A windowed mean square is
        // sum (w x)^2 / sum w^2, and a full-scale sine has mean square 1/2, hence the factor 2.
        let window_energy: f64 = window.iter().map(|w| f64::from(*w) * f64::from(*w)).sum();
        let n_bins = n_fft / 2 + 1;
        let base = 2.0 / (n_fft as f64 * window_energy);
        let scale = (0..n_bins)
            .map(|k| if k == 0 || k == n_fft / 2 { base } else { 2.0 * base } as f32)
            .collect();
        PowerStft {
            n_fft,
            hop,
            window,
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            power: vec![0.0; n_bins],
            scale,
        }
    }

    /// The raw one-sided `|X_k|^2`, unscaled, as librosa's `stft` followed by `power=2`.
    pub(crate) fn unscaled(n_fft: usize, hop: usize) -> Self {
        let mut stft = PowerStft::new(n_fft, hop);
        stft.scale.iter_mut().for_each(|s| *s = 1.0);
        stft
    }

    pub(crate) fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Number of centred frames covering `n_samples` (librosa: `1 + n // hop`).
    pub(crate) fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop
    }

    /// One-sided power spectrum of frame `t` (centred on sample `t * hop`), scaled as made.
    /// Summing it gives twice the window-weighted mean square: 1.0 for a full-scale sine.
    pub(crate) fn frame_power(&mut self, signal: &[f32], t: usize) -> &[f32] {
        let centre = t * self.hop;
        let half = self.n_fft / 2;
        // Copy the part of the frame that lies inside the signal; zero the rest.
        let first = centre as isize - half as isize;
        let lo = first.max(0) as usize;
        let hi = (centre + half).min(signal.len());
        self.frame.iter_mut().for_each(|x| *x = 0.0);
        if lo < hi {
            let offset = (lo as isize - first) as usize;
            for ((dst, src), w) in self.frame[offset..offset + (hi - lo)]
                .iter_mut()
                .zip(&signal[lo..hi])
                .zip(&self.window[offset..offset + (hi - lo)])
            {
                *dst = src * w;
            }
        }
        // Lengths are fixed by the plan, so the only error realfft reports cannot happen here;
        // fall back to a silent frame rather than panic.
        if self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            self.power.iter_mut().for_each(|p| *p = 0.0);
            return &self.power;
        }
        for ((p, c), s) in self.power.iter_mut().zip(&self.spectrum).zip(&self.scale) {
            *p = c.norm_sqr() * s;
        }
        &self.power
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_sums_to_one_and_peaks_at_its_bin() {
        let rate = 22_050.0;
        let n_fft = 1024;
        let freq = 43.0 * rate / n_fft as f64; // exactly on bin 43
        let signal: Vec<f32> = (0..8192)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin() as f32)
            .collect();
        let mut stft = PowerStft::new(n_fft, 256);
        let power = stft.frame_power(&signal, 10).to_vec();
        let total: f32 = power.iter().sum();
        assert!((total - 1.0).abs() < 1e-3, "total {total}");
        let argmax = power
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(argmax, 43);
        assert_eq!(stft.n_frames(8192), 33);
    }

    #[test]
    fn frames_beyond_the_signal_are_silent() {
        let mut stft = PowerStft::new(512, 128);
        let signal = vec![0.5f32; 300];
        assert!(stft.frame_power(&signal, 10).iter().all(|p| *p == 0.0));
        assert!(stft.frame_power(&signal, 0).iter().any(|p| *p > 0.0));
    }
}
