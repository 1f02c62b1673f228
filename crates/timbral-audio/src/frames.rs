//! Frame-level features: one pass of a short STFT (mel levels and A-weighted loudness, for
//! onsets, loudness and timbre) and one of a long STFT (chroma, which needs pitch resolution).

use crate::filterbank::{ChromaMap, MelBank, a_weighting_power};
use crate::spectrum::PowerStft;

/// Number of mel bands used for onsets and timbre.
pub(crate) const N_MELS: usize = 40;
/// Lowest level stored, in dB re a full-scale sine.
pub(crate) const FLOOR_DB: f32 = -100.0;
/// Loudness of digital silence, dB (Echo Nest convention).
pub(crate) const SILENCE_DB: f32 = -60.0;

/// Frame sizes for a given analysis rate: at 22050 Hz a 1024-point short STFT with hop 256
/// (46 ms window, 11.6 ms hop) and a 4096-point tonal STFT with hop 1024 (186 ms, 46 ms).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameLayout {
    pub short_n_fft: usize,
    pub short_hop: usize,
    pub tonal_n_fft: usize,
    pub tonal_hop: usize,
}

impl FrameLayout {
    pub(crate) fn for_rate(sample_rate: u32) -> Self {
        let scaled = (1024.0 * f64::from(sample_rate) / 22_050.0).round() as usize;
        let short_n_fft = scaled.max(64).next_power_of_two();
        FrameLayout {
            short_n_fft,
            short_hop: short_n_fft / 4,
            tonal_n_fft: short_n_fft * 4,
            tonal_hop: short_n_fft,
        }
    }
}

/// Per-frame features of one signal.
pub(crate) struct FrameFeatures {
    pub sample_rate: u32,
    pub layout: FrameLayout,
    /// Short frames x `N_MELS`, band power in dB re a full-scale sine, floored at `FLOOR_DB`.
    pub mel_db: Vec<f32>,
    /// Short frames: A-weighted level in dB re a full-scale sine, floored at `SILENCE_DB`.
    pub loudness_db: Vec<f32>,
    /// Tonal frames: pitch-class energies (C..B), not normalised.
    pub chroma: Vec<[f32; 12]>,
}

impl FrameFeatures {
    pub(crate) fn compute(signal: &[f32], sample_rate: u32) -> Self {
        let layout = FrameLayout::for_rate(sample_rate);
        let nyquist = f64::from(sample_rate) / 2.0;

        let mut stft = PowerStft::new(layout.short_n_fft, layout.short_hop);
        let mel = MelBank::new(N_MELS, stft.n_fft(), sample_rate, 30.0, nyquist);
        let a_weight = a_weighting_power(stft.n_fft(), sample_rate);
        let n_short = stft.n_frames(signal.len());
        let mut mel_db = vec![0.0f32; n_short * N_MELS];
        let mut loudness_db = Vec::with_capacity(n_short);
        let floor_power = 10f32.powf(FLOOR_DB / 10.0);
        let silence_power = 10f32.powf(SILENCE_DB / 10.0);
        for (t, bands) in mel_db.chunks_exact_mut(N_MELS).enumerate() {
            let power = stft.frame_power(signal, t);
            mel.apply(power, bands);
            bands
                .iter_mut()
                .for_each(|b| *b = 10.0 * b.max(floor_power).log10());
            let weighted: f32 = power.iter().zip(&a_weight).map(|(p, w)| p * w).sum();
            loudness_db.push(10.0 * weighted.max(silence_power).log10());
        }

        let mut tonal = PowerStft::new(layout.tonal_n_fft, layout.tonal_hop);
        // C2..~D#8 is where pitch is both resolvable at this window length and musically relevant.
        let chroma_map = ChromaMap::new(tonal.n_fft(), sample_rate, 65.0, 5_000.0f64.min(nyquist));
        let n_tonal = tonal.n_frames(signal.len());
        let mut chroma = Vec::with_capacity(n_tonal);
        for t in 0..n_tonal {
            let mut c = [0.0f32; 12];
            chroma_map.apply(tonal.frame_power(signal, t), &mut c);
            chroma.push(c);
        }

        FrameFeatures {
            sample_rate,
            layout,
            mel_db,
            loudness_db,
            chroma,
        }
    }

    pub(crate) fn n_short(&self) -> usize {
        self.loudness_db.len()
    }

    /// Seconds between short frames.
    pub(crate) fn short_hop_s(&self) -> f64 {
        self.layout.short_hop as f64 / f64::from(self.sample_rate)
    }

    /// Seconds between tonal frames.
    pub(crate) fn tonal_hop_s(&self) -> f64 {
        self.layout.tonal_hop as f64 / f64::from(self.sample_rate)
    }

    pub(crate) fn mel_frame(&self, t: usize) -> &[f32] {
        &self.mel_db[t * N_MELS..(t + 1) * N_MELS]
    }
}
