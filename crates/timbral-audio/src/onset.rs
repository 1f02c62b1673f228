//! Onsets: spectral flux of the log-mel spectrum, peak-picked against an adaptive threshold.

use crate::frames::{FLOOR_DB, FrameFeatures, N_MELS};

/// Dynamic range kept below the loudest band before taking the flux (librosa's `top_db`).
const TOP_DB: f32 = 80.0;
/// A peak must be the maximum within this many seconds either side.
const PEAK_HALF_WIDTH_S: f64 = 0.03;
/// The adaptive threshold is the envelope mean over this many seconds either side ...
const AVERAGE_HALF_WIDTH_S: f64 = 0.1;
/// ... plus this fraction of the envelope's robust maximum.
const DELTA: f32 = 0.1;
/// Percentile taken as the envelope's robust maximum (immune to a single huge spike).
const ROBUST_MAX_PERCENTILE: f64 = 0.99;

/// Onset strength per short frame: mean over mel bands of the rise in dB since the previous
/// frame (half-wave rectified). Frame 0 has strength 0.
pub(crate) fn onset_envelope(features: &FrameFeatures) -> Vec<f32> {
    let max_db = features.mel_db.iter().copied().fold(FLOOR_DB, f32::max);
    let floor = (max_db - TOP_DB).max(FLOOR_DB);
    let n = features.n_short();
    let mut envelope = vec![0.0f32; n];
    for (t, value) in envelope.iter_mut().enumerate().skip(1) {
        let (prev, cur) = (features.mel_frame(t - 1), features.mel_frame(t));
        let rise: f32 = prev
            .iter()
            .zip(cur)
            .map(|(p, c)| (c.max(floor) - p.max(floor)).max(0.0))
            .sum();
        *value = rise / N_MELS as f32;
    }
    envelope
}

/// Robust maximum of the envelope (its 99th percentile), used to scale thresholds and
/// confidences. Zero for a flat envelope.
pub(crate) fn robust_max(envelope: &[f32]) -> f32 {
    if envelope.is_empty() {
        return 0.0;
    }
    let mut sorted = envelope.to_vec();
    sorted.sort_by(f32::total_cmp);
    let idx = ((sorted.len() - 1) as f64 * ROBUST_MAX_PERCENTILE).round() as usize;
    sorted[idx]
}

/// Frames of onsets: local maxima of `envelope` above the adaptive threshold, at least
/// `min_gap_s` apart (the stronger of two close peaks wins the first come: later ones wait).
pub(crate) fn pick_onsets(envelope: &[f32], frame_rate: f64, min_gap_s: f64) -> Vec<usize> {
    let n = envelope.len();
    let scale = robust_max(envelope);
    if n < 3 || scale <= 0.0 {
        return Vec::new();
    }
    let frames = |s: f64| ((s * frame_rate).round() as usize).max(1);
    let (peak_w, avg_w, gap) = (
        frames(PEAK_HALF_WIDTH_S),
        frames(AVERAGE_HALF_WIDTH_S),
        frames(min_gap_s),
    );
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0f64);
    for v in envelope {
        prefix.push(prefix[prefix.len() - 1] + f64::from(*v));
    }
    let mut onsets: Vec<usize> = Vec::new();
    for t in 1..n {
        let v = envelope[t];
        let (lo, hi) = (t.saturating_sub(peak_w), (t + peak_w + 1).min(n));
        if envelope[lo..hi].iter().any(|&x| x > v) {
            continue;
        }
        let (alo, ahi) = (t.saturating_sub(avg_w), (t + avg_w + 1).min(n));
        let mean = (prefix[ahi] - prefix[alo]) / (ahi - alo) as f64;
        if f64::from(v) < mean + f64::from(DELTA * scale) {
            continue;
        }
        if onsets.last().is_some_and(|&last| t - last < gap) {
            continue;
        }
        onsets.push(t);
    }
    onsets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolated_spikes_are_found_and_close_ones_merged() {
        let mut env = vec![0.01f32; 1000];
        for &t in &[100usize, 300, 302, 600] {
            env[t] = 1.0;
        }
        env[302] = 0.9;
        // 86 frames/s: 302 is 23 ms after 300, inside a 50 ms gap.
        assert_eq!(pick_onsets(&env, 86.13, 0.05), vec![100, 300, 600]);
    }

    #[test]
    fn flat_envelope_has_no_onsets() {
        assert!(pick_onsets(&[0.0; 500], 86.13, 0.05).is_empty());
        assert!(pick_onsets(&[0.3; 500], 86.13, 0.05).is_empty());
    }
}
