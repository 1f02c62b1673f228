//! librosa's `feature.melspectrogram` with its defaults, for models trained on it.

use crate::filterbank::{MelBank, MelNorm};
use crate::spectrum::PowerStft;

/// A power mel spectrogram, frames x bands, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpectrogram {
    pub n_mels: usize,
    pub frames: usize,
    pub power: Vec<f32>,
}

impl MelSpectrogram {
    /// The bands of frame `t`.
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.power[t * self.n_mels..(t + 1) * self.n_mels]
    }
}

/// `librosa.feature.melspectrogram(y=signal, sr, n_fft, hop_length=hop, n_mels)` (librosa >= 0.10
/// defaults): centred frames zero-padded at the ends, periodic Hann window, power 2, Slaney mel
/// scale from 0 Hz to Nyquist with Slaney area normalisation; [`mel_frame_count`] frames.
pub fn mel_spectrogram(
    signal: &[f32],
    sample_rate: u32,
    n_fft: usize,
    hop: usize,
    n_mels: usize,
) -> MelSpectrogram {
    mel_spectrogram_frames(signal, sample_rate, n_fft, hop, n_mels, 0..mel_frame_count(signal.len(), hop))
}

/// Frames of [`mel_spectrogram`] for `len` samples: `1 + len / hop`.
pub fn mel_frame_count(len: usize, hop: usize) -> usize {
    1 + len / hop
}

/// The frames `frames` of [`mel_spectrogram`] alone, each computed as in the whole spectrogram,
/// so a model that reads a few windows of a long song holds only those.
pub fn mel_spectrogram_frames(
    signal: &[f32],
    sample_rate: u32,
    n_fft: usize,
    hop: usize,
    n_mels: usize,
    frames: std::ops::Range<usize>,
) -> MelSpectrogram {
    let mut stft = PowerStft::unscaled(n_fft, hop);
    let bank = MelBank::with_norm(n_mels, n_fft, sample_rate, 0.0, f64::from(sample_rate) / 2.0, MelNorm::Slaney);
    let mut power = vec![0.0f32; frames.len() * n_mels];
    for (t, out) in frames.clone().zip(power.chunks_exact_mut(n_mels)) {
        bank.apply(stft.frame_power(signal, t), out);
    }
    MelSpectrogram { n_mels, frames: frames.len(), power }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lands_in_the_band_of_its_frequency_and_frame_count_follows_librosa() {
        let rate = 16_000;
        let signal: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f64::consts::PI * 1000.0 * f64::from(i) / f64::from(rate)).sin() as f32)
            .collect();
        let mel = mel_spectrogram(&signal, rate, 512, 256, 96);
        assert_eq!(mel.frames, 1 + 16_000 / 256);
        let middle = mel.frame(30);
        let window = mel_spectrogram_frames(&signal, rate, 512, 256, 96, 28..31);
        assert_eq!(window.frame(2), middle, "a frame alone equals the same frame of the whole");
        let loudest = (0..96).max_by(|a, b| middle[*a].total_cmp(&middle[*b])).unwrap();
        // Slaney mel of 1 kHz is 15; 96 bands over 0..mel(8 kHz) = 45.245 put it at band ~31.
        let centre_mel = |m: usize| 45.245 * (m + 1) as f64 / 97.0;
        assert!((centre_mel(loudest) - 15.0).abs() < 0.5, "band {loudest}");
    }
}
