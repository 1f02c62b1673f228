//! The musicnn input: a log-compressed mel spectrogram cut into 3-second patches, exactly as the
//! `musicnn` package computes it (`extractor.batch_data`), minus its NumPy 2 overflow.

use half::f16;

use crate::{N_MELS, PATCH_FRAMES, SAMPLE_RATE};

const N_FFT: usize = 512;
const HOP: usize = 256;

/// A log-mel spectrogram, frames x [`N_MELS`], row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMel {
    pub frames: usize,
    pub values: Vec<f32>,
}

/// `log10(10000 x + 1)` of the float16-rounded power mel spectrogram of a 16 kHz signal.
///
/// The package casts the mel power to float16 and multiplies by 10000 in float16, which overflows
/// to infinity under NumPy 2 above x = 6.55; the rounding to float16 is kept (the model was
/// trained on it), the product and logarithm are computed in float32.
pub fn log_mel(signal_16k: &[f32]) -> LogMel {
    log_mel_frames(signal_16k, 0..frame_count(signal_16k.len()))
}

/// Frames of [`log_mel`] for a 16 kHz signal of `len` samples.
pub fn frame_count(len: usize) -> usize {
    timbral_audio::mel_frame_count(len, HOP)
}

/// The frames `frames` of [`log_mel`] alone.
pub fn log_mel_frames(signal_16k: &[f32], frames: std::ops::Range<usize>) -> LogMel {
    let mel = timbral_audio::mel_spectrogram_frames(signal_16k, SAMPLE_RATE, N_FFT, HOP, N_MELS, frames);
    let values = mel
        .power
        .iter()
        .map(|p| (10_000.0 * f16::from_f32(*p).to_f32() + 1.0).log10())
        .collect();
    LogMel { frames: mel.frames, values }
}

impl LogMel {
    /// Non-overlapping [`PATCH_FRAMES`]-frame patches (the package's default), the trailing
    /// partial one dropped.
    pub fn patch_count(&self) -> usize {
        self.frames / PATCH_FRAMES
    }

    /// Patch `i` (0-based), `PATCH_FRAMES x N_MELS`.
    pub fn patch(&self, i: usize) -> &[f32] {
        &self.values[i * PATCH_FRAMES * N_MELS..(i + 1) * PATCH_FRAMES * N_MELS]
    }

    /// The only patch of a signal shorter than one: its frames repeated to fill it (the
    /// "repeat-pad" of musicnn's training configuration).
    pub fn repeat_padded(&self) -> Vec<f32> {
        self.values.iter().copied().cycle().take(PATCH_FRAMES * N_MELS).collect()
    }
}

/// The patches used of `total`: all up to `max`, else `max` evenly spaced ones (the middle of
/// each of `max` equal runs), so a long song is sampled from start to end.
pub fn chosen_patches(total: usize, max: usize) -> Vec<usize> {
    if total <= max {
        (0..total).collect()
    } else {
        (0..max).map(|i| (2 * i + 1) * total / (2 * max)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evenly_spaced_patches_cover_the_song_without_repeats() {
        assert_eq!(chosen_patches(3, 5), vec![0, 1, 2]);
        assert_eq!(chosen_patches(10, 5), vec![1, 3, 5, 7, 9]);
        let picked = chosen_patches(101, 20);
        assert_eq!(picked.len(), 20);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert!(picked[0] <= 5 && picked[19] >= 95);
    }

    #[test]
    fn a_patch_computed_alone_equals_the_same_patch_of_the_whole_song() {
        let signal: Vec<f32> = (0..120_000).map(|i| ((i as f32) * 0.037).sin() * 0.3).collect();
        let whole = log_mel(&signal);
        assert_eq!((whole.frames, whole.patch_count()), (frame_count(signal.len()), 2));
        let alone = log_mel_frames(&signal, PATCH_FRAMES..2 * PATCH_FRAMES);
        assert_eq!(alone.values, whole.patch(1));
    }

    #[test]
    fn a_short_signal_is_repeat_padded_to_one_patch() {
        let mel = log_mel(&vec![0.1f32; 16_000]);
        assert_eq!(mel.frames, 63);
        assert_eq!(mel.patch_count(), 0);
        let patch = mel.repeat_padded();
        assert_eq!(patch.len(), PATCH_FRAMES * N_MELS);
        assert_eq!(&patch[63 * N_MELS..64 * N_MELS], &mel.values[..N_MELS]);
    }
}
