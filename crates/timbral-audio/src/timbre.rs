//! Timbre: 12 MFCC-like coefficients on an Echo-Nest-like scale.
//!
//! Basis (documented in docs/audio-analysis.md): mel band levels `l_b` in dB above the
//! -60 dB silence floor (so 0 = silence, 60 = a full-scale band), averaged over the segment.
//! `timbre_0` is the level of the summed band power above the same floor (tracks loudness,
//! 0..60: a full-scale sine is 60, silence 0); `timbre_k` (k >= 1) is a DCT-II of `l_b`,
//! sign-flipped so that `timbre_1` grows with brightness, and scaled by `GAIN`.

use crate::frames::{N_MELS, SILENCE_DB};

/// Scale of the DCT coefficients, chosen so real music spans roughly +-200 as Spotify's do.
const GAIN: f32 = 10.0;

/// Precomputed cosine basis.
pub(crate) struct TimbreBasis {
    cosines: Vec<[f32; N_MELS]>,
}

impl TimbreBasis {
    pub(crate) fn new() -> Self {
        let cosines = (1..12)
            .map(|k| {
                let mut row = [0.0f32; N_MELS];
                for (b, c) in row.iter_mut().enumerate() {
                    let angle = std::f64::consts::PI * k as f64 * (b as f64 + 0.5) / N_MELS as f64;
                    *c = (angle.cos() * 2.0 / N_MELS as f64) as f32;
                }
                row
            })
            .collect();
        TimbreBasis { cosines }
    }

    /// Timbre of a segment from its mean mel levels (dB re full-scale sine).
    pub(crate) fn timbre(&self, mean_mel_db: &[f32; N_MELS]) -> [f32; 12] {
        let mut levels = [0.0f32; N_MELS];
        for (l, db) in levels.iter_mut().zip(mean_mel_db) {
            *l = (db - SILENCE_DB).max(0.0);
        }
        let total_power: f32 = mean_mel_db.iter().map(|db| 10f32.powf(db / 10.0)).sum();
        let mut out = [0.0f32; 12];
        out[0] = (10.0 * total_power.max(f32::MIN_POSITIVE).log10() - SILENCE_DB).max(0.0);
        for (o, row) in out[1..].iter_mut().zip(&self.cosines) {
            *o = -GAIN * row.iter().zip(&levels).map(|(c, l)| c * l).sum::<f32>();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_all_zero_and_brightness_sign_is_positive_for_treble() {
        let basis = TimbreBasis::new();
        assert_eq!(basis.timbre(&[-100.0; N_MELS]), [0.0; 12]);
        let mut treble = [-100.0f32; N_MELS];
        treble[N_MELS - 10..].iter_mut().for_each(|v| *v = -20.0);
        let mut bass = [-100.0f32; N_MELS];
        bass[..10].iter_mut().for_each(|v| *v = -20.0);
        let (t, b) = (basis.timbre(&treble), basis.timbre(&bass));
        assert!((t[0] - b[0]).abs() < 1e-4, "same loudness");
        assert!(t[1] > 0.0 && b[1] < 0.0, "treble {} bass {}", t[1], b[1]);
    }
}
