//! Echo-Nest-style audio analysis computed from the audio itself: segments with timbre,
//! pitches and loudness, plus track-level tempo, key, mode, time signature and loudness.
//!
//! This crate knows nothing about tables; `timbral-ingest` turns a [`TrackAnalysis`] into rows.
//! Method and scales: see `docs/audio-analysis.md`.

mod analyze;
mod decode;
mod error;
mod filterbank;
mod frames;
mod key;
mod melspec;
mod onset;
mod probe;
mod resample;
mod segments;
mod spectrum;
mod tags;
mod tempo;
mod timbre;

pub use analyze::{AnalysedFile, MIN_DURATION_S, SILENCE_PEAK_DBFS, analyze_file, analyze_file_keeping_signal, analyze_samples};
pub use melspec::{MelSpectrogram, mel_frame_count, mel_spectrogram, mel_spectrogram_frames};
pub use resample::resample_all;
pub(crate) use analyze::Deadline;
pub use error::{AudioError, IN_MEMORY_LABEL};
pub use tags::read_tags;

/// Analysis settings. Defaults follow the Echo Nest: 22050 Hz mono.
#[derive(Debug, Clone)]
pub struct AnalyzerConfig {
    /// Rate the audio is resampled to before analysis.
    pub sample_rate: u32,
    /// Minimum gap between two segment onsets, in seconds.
    pub min_segment_gap_s: f64,
    /// Longest audio analysed; a longer (or corrupt, endless) stream is rejected, which bounds
    /// the memory one file takes (4 bytes per sample at `sample_rate`).
    pub max_duration_s: f64,
    /// Wall time one file may take, decoding and analysis together; `None` for no limit.
    pub time_limit: Option<std::time::Duration>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            sample_rate: 22_050,
            min_segment_gap_s: 0.05,
            max_duration_s: 3.0 * 3600.0,
            time_limit: Some(std::time::Duration::from_secs(600)),
        }
    }
}

/// Tags read from Vorbis comments, ID3 or FLAC metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tags {
    pub artist: Option<String>,
    pub composer: Option<String>,
    pub album_artist: Option<String>,
    pub title: Option<String>,
    pub album: Option<String>,
    pub genre: Option<String>,
    pub date: Option<String>,
}

/// One segment, shaped like a Spotify audio-analysis segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub duration: f64,
    /// Onset strength scaled to 0..1.
    pub confidence: f64,
    /// dB, perceptually weighted; digital silence is about -60.
    pub loudness_start: f64,
    pub loudness_max: f64,
    /// Seconds from the segment start to its loudest point.
    pub loudness_max_time: f64,
    pub loudness_end: f64,
    /// 12-bin chroma (C, C#, ..., B), the largest bin scaled to 1.
    pub pitches: [f32; 12],
    /// 12 MFCC-like coefficients; `timbre[0]` tracks loudness.
    pub timbre: [f32; 12],
}

/// Track-level analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackAnalysis {
    pub duration_s: f64,
    pub tempo: f64,
    pub tempo_confidence: f64,
    /// Pitch class of the key, 0 = C.
    pub key: i32,
    pub key_confidence: f64,
    /// 1 = major, 0 = minor.
    pub mode: i32,
    pub mode_confidence: f64,
    pub time_signature: i32,
    pub time_signature_confidence: f64,
    /// Overall loudness in dB.
    pub loudness: f64,
    pub segments: Vec<Segment>,
}
