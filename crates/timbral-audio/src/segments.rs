//! Segments between consecutive onsets, each described like a Spotify audio-analysis segment.

use crate::Segment;
use crate::frames::{FrameFeatures, N_MELS};
use crate::timbre::TimbreBasis;

/// Cut the signal at `onsets` (short-frame indices, ascending) and describe each piece.
/// The first segment starts at 0 even when the first onset comes later.
pub(crate) fn build_segments(
    features: &FrameFeatures,
    envelope: &[f32],
    envelope_scale: f32,
    onsets: &[usize],
    duration_s: f64,
) -> Vec<Segment> {
    let n = features.n_short();
    if n == 0 {
        return Vec::new();
    }
    let hop_s = features.short_hop_s();
    let mut starts: Vec<usize> = Vec::with_capacity(onsets.len() + 1);
    if onsets.first() != Some(&0) {
        starts.push(0);
    }
    starts.extend(onsets.iter().copied().filter(|&t| t < n));
    let basis = TimbreBasis::new();
    let time_of = |t: usize| (t as f64 * hop_s).min(duration_s);

    starts
        .iter()
        .enumerate()
        .filter_map(|(i, &first)| {
            let end_frame = starts.get(i + 1).copied().unwrap_or(n);
            let (start_s, end_s) = (
                time_of(first),
                starts.get(i + 1).map_or(duration_s, |&t| time_of(t)),
            );
            let duration = end_s - start_s;
            if duration <= 0.0 {
                return None;
            }
            let frames = first..end_frame.max(first + 1).min(n);
            let loudness = &features.loudness_db[frames.clone()];
            let (max_idx, max_db) =
                loudness
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |acc, (j, &v)| if v > acc.1 { (j, v) } else { acc },
                    );
            let loudness_end = features.loudness_db[end_frame.min(n - 1)];

            let mut mean_mel = [0.0f32; N_MELS];
            for t in frames.clone() {
                for (m, v) in mean_mel.iter_mut().zip(features.mel_frame(t)) {
                    *m += v;
                }
            }
            let count = frames.len() as f32;
            mean_mel.iter_mut().for_each(|m| *m /= count);

            Some(Segment {
                start: start_s,
                duration,
                confidence: if envelope_scale > 0.0 {
                    f64::from(envelope[first] / envelope_scale).clamp(0.0, 1.0)
                } else {
                    0.0
                },
                loudness_start: f64::from(loudness[0]),
                loudness_max: f64::from(max_db),
                loudness_max_time: (time_of(first + max_idx) - start_s).clamp(0.0, duration),
                loudness_end: f64::from(loudness_end),
                pitches: segment_chroma(features, start_s, end_s),
                timbre: basis.timbre(&mean_mel),
            })
        })
        .collect()
}

/// Mean chroma of the tonal frames centred inside `[start_s, end_s)` (the nearest frame when
/// none is), scaled so the largest bin is 1. A segment without pitched energy gets all ones.
fn segment_chroma(features: &FrameFeatures, start_s: f64, end_s: f64) -> [f32; 12] {
    let hop = features.tonal_hop_s();
    let n = features.chroma.len();
    let mut sum = [0.0f32; 12];
    if n == 0 {
        return [1.0; 12];
    }
    let first = ((start_s / hop).ceil() as usize).min(n - 1);
    let last = ((end_s / hop).ceil() as usize).min(n);
    let range = if first < last {
        first..last
    } else {
        let nearest = ((0.5 * (start_s + end_s) / hop).round() as usize).min(n - 1);
        nearest..nearest + 1
    };
    for c in &features.chroma[range] {
        for (s, v) in sum.iter_mut().zip(c) {
            *s += v;
        }
    }
    let max = sum.iter().copied().fold(0.0f32, f32::max);
    if max <= 1e-12 {
        return [1.0; 12];
    }
    sum.map(|s| s / max)
}
