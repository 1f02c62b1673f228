//! The analysis pipeline: signal -> frame features -> onsets -> segments, plus track-level
//! tempo, key, metre and loudness.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::decode::decode_mono;
use crate::error::{AudioError, IN_MEMORY_LABEL};
use crate::frames::FrameFeatures;
use crate::key::estimate_key;
use crate::onset::{onset_envelope, pick_onsets, robust_max};
use crate::resample::resample_all;
use crate::segments::build_segments;
use crate::tempo::estimate_rhythm;
use crate::{AnalyzerConfig, Tags, TrackAnalysis};

/// Shorter signals are rejected: one second holds ~86 short frames and ~21 tonal frames.
pub const MIN_DURATION_S: f64 = 1.0;
/// A signal whose peak stays below this level is treated as digital silence.
pub const SILENCE_PEAK_DBFS: f64 = -80.0;
/// Tonal frames more than this far below the loudest one do not vote for the key.
const KEY_FRAME_RANGE_DB: f32 = 40.0;

impl AnalyzerConfig {
    /// Check the settings are usable.
    pub fn validate(&self) -> Result<(), AudioError> {
        if !(8_000..=96_000).contains(&self.sample_rate) {
            return Err(AudioError::InvalidInput(format!(
                "sample_rate {} Hz is outside 8000..=96000",
                self.sample_rate
            )));
        }
        if !(self.min_segment_gap_s.is_finite()
            && self.min_segment_gap_s > 0.0
            && self.min_segment_gap_s <= 1.0)
        {
            return Err(AudioError::InvalidInput(format!(
                "min_segment_gap_s {} is outside (0, 1] seconds",
                self.min_segment_gap_s
            )));
        }
        if !(self.max_duration_s.is_finite() && self.max_duration_s >= MIN_DURATION_S) {
            return Err(AudioError::InvalidInput(format!(
                "max_duration_s {} is below {MIN_DURATION_S} s or not finite",
                self.max_duration_s
            )));
        }
        Ok(())
    }
}

/// The point in time by which one file's analysis must be done ([`AnalyzerConfig::time_limit`]).
pub(crate) struct Deadline {
    at: Option<(Instant, Duration)>,
}

impl Deadline {
    pub(crate) fn start(cfg: &AnalyzerConfig) -> Deadline {
        Deadline { at: cfg.time_limit.map(|limit| (Instant::now() + limit, limit)) }
    }

    /// Fails once the time limit has passed.
    pub(crate) fn check(&self, path: &Path) -> Result<(), AudioError> {
        match self.at {
            Some((at, limit)) if Instant::now() > at => Err(AudioError::TimedOut {
                path: path.to_path_buf(),
                limit_s: limit.as_secs_f64(),
            }),
            _ => Ok(()),
        }
    }
}

/// Decode `path` (streaming, mono, resampled to `cfg.sample_rate`) and analyse it.
pub fn analyze_file(
    path: &Path,
    cfg: &AnalyzerConfig,
) -> Result<(Tags, TrackAnalysis), AudioError> {
    let file = analyze_file_keeping_signal(path, cfg)?;
    Ok((file.tags, file.analysis))
}

/// A decoded and analysed file, with its mono signal at the analysis rate.
pub struct AnalysedFile {
    pub tags: Tags,
    pub analysis: TrackAnalysis,
    /// Mono samples at [`AnalyzerConfig::sample_rate`], for further models of the same audio.
    pub signal: Vec<f32>,
}

/// [`analyze_file`], keeping the decoded signal so that a file is decoded once for every model.
pub fn analyze_file_keeping_signal(path: &Path, cfg: &AnalyzerConfig) -> Result<AnalysedFile, AudioError> {
    cfg.validate()?;
    let deadline = Deadline::start(cfg);
    let decoded = decode_mono(path, cfg, &deadline)?;
    let analysis = analyze_signal(&decoded.samples, cfg, path, &deadline)?;
    Ok(AnalysedFile { tags: decoded.tags, analysis, signal: decoded.samples })
}

/// Analyse an in-memory mono signal at `sample_rate` (resampled to `cfg.sample_rate` first if
/// needed). Errors name the pseudo-path [`IN_MEMORY_LABEL`].
pub fn analyze_samples(
    mono: &[f32],
    sample_rate: u32,
    cfg: &AnalyzerConfig,
) -> Result<TrackAnalysis, AudioError> {
    cfg.validate()?;
    if sample_rate == 0 {
        return Err(AudioError::InvalidInput("sample rate 0 Hz".into()));
    }
    if let Some(i) = mono.iter().position(|x| !x.is_finite()) {
        return Err(AudioError::InvalidInput(format!(
            "sample {i} is not a finite number"
        )));
    }
    let label = Path::new(IN_MEMORY_LABEL);
    let deadline = Deadline::start(cfg);
    if sample_rate == cfg.sample_rate {
        analyze_signal(mono, cfg, label, &deadline)
    } else {
        let resampled =
            resample_all(mono, sample_rate, cfg.sample_rate).map_err(AudioError::InvalidInput)?;
        analyze_signal(&resampled, cfg, label, &deadline)
    }
}

fn analyze_signal(
    signal: &[f32],
    cfg: &AnalyzerConfig,
    path: &Path,
    deadline: &Deadline,
) -> Result<TrackAnalysis, AudioError> {
    let sample_rate = cfg.sample_rate;
    let duration_s = signal.len() as f64 / f64::from(sample_rate);
    if duration_s < MIN_DURATION_S {
        return Err(AudioError::TooShort {
            path: path.to_path_buf(),
            seconds: duration_s,
            min_seconds: MIN_DURATION_S,
        });
    }
    let peak = signal.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if f64::from(peak) < 10f64.powf(SILENCE_PEAK_DBFS / 20.0) {
        return Err(AudioError::Silent {
            path: path.to_path_buf(),
            threshold_dbfs: SILENCE_PEAK_DBFS,
        });
    }

    let features = FrameFeatures::compute(signal, sample_rate);
    deadline.check(path)?;
    let envelope = onset_envelope(&features);
    let frame_rate = 1.0 / features.short_hop_s();
    let onsets = pick_onsets(&envelope, frame_rate, cfg.min_segment_gap_s);
    let segments = build_segments(
        &features,
        &envelope,
        robust_max(&envelope),
        &onsets,
        duration_s,
    );
    let rhythm = estimate_rhythm(&envelope, frame_rate);
    let key = estimate_key(&track_pitch_classes(&features));
    tracing::debug!(
        path = %path.display(),
        duration_s,
        segments = segments.len(),
        tempo = rhythm.bpm,
        "analysed"
    );

    Ok(TrackAnalysis {
        duration_s,
        tempo: rhythm.bpm,
        tempo_confidence: rhythm.confidence,
        key: key.map_or(0, |k| k.key),
        key_confidence: key.map_or(0.0, |k| k.key_confidence),
        mode: key.map_or(1, |k| k.mode),
        mode_confidence: key.map_or(0.0, |k| k.mode_confidence),
        time_signature: rhythm.time_signature,
        time_signature_confidence: rhythm.time_signature_confidence,
        loudness: energy_mean_db(&features.loudness_db),
        segments,
    })
}

/// Pitch-class distribution of the whole track: every tonal frame within
/// `KEY_FRAME_RANGE_DB` of the loudest contributes its chroma scaled to a maximum of 1.
fn track_pitch_classes(features: &FrameFeatures) -> [f64; 12] {
    let energy = |c: &[f32; 12]| c.iter().sum::<f32>();
    let loudest = features.chroma.iter().map(energy).fold(0.0f32, f32::max);
    let threshold = loudest * 10f32.powf(-KEY_FRAME_RANGE_DB / 10.0);
    let mut total = [0.0f64; 12];
    for c in features
        .chroma
        .iter()
        .filter(|c| energy(c) > threshold && energy(c) > 0.0)
    {
        let max = c.iter().copied().fold(0.0f32, f32::max);
        for (t, v) in total.iter_mut().zip(c) {
            *t += f64::from(v / max);
        }
    }
    total
}

/// Level of the mean power of frames given in dB.
fn energy_mean_db(levels_db: &[f32]) -> f64 {
    if levels_db.is_empty() {
        return f64::from(crate::frames::SILENCE_DB);
    }
    let mean = levels_db
        .iter()
        .map(|db| 10f64.powf(f64::from(*db) / 10.0))
        .sum::<f64>()
        / levels_db.len() as f64;
    10.0 * mean.log10()
}
