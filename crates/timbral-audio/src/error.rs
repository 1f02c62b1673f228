//! The one error type of this crate: every variant names the file and the reason.

use std::path::{Path, PathBuf};

/// Label used as the "path" of errors raised on in-memory samples ([`crate::analyze_samples`]).
pub const IN_MEMORY_LABEL: &str = "<in-memory samples>";

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read at all.
    #[error("{}: cannot read file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has zero bytes.
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    /// Not audio, or a container/codec this build cannot decode.
    #[error("{}: not a supported audio file: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// Recognised as audio but the stream is malformed or cut short.
    #[error("{}: corrupt or truncated audio: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// Decoded fine, but every sample is (near) digital silence.
    #[error("{}: audio is silent (peak below {threshold_dbfs} dBFS)", path.display())]
    Silent { path: PathBuf, threshold_dbfs: f64 },
    /// Decoded fine, but too short to analyse.
    #[error("{}: too short: {seconds:.3} s of audio, at least {min_seconds} s needed", path.display())]
    TooShort {
        path: PathBuf,
        seconds: f64,
        min_seconds: f64,
    },
    /// Longer than [`crate::AnalyzerConfig::max_duration_s`].
    #[error("{}: too long: more than {max_seconds} s of audio", path.display())]
    TooLong { path: PathBuf, max_seconds: f64 },
    /// Took longer than [`crate::AnalyzerConfig::time_limit`].
    #[error("{}: analysis took longer than the per-file time limit of {limit_s} s", path.display())]
    TimedOut { path: PathBuf, limit_s: f64 },
    /// The [`crate::AnalyzerConfig`] or the arguments are out of range.
    #[error("invalid analyzer input: {0}")]
    InvalidInput(String),
}

impl AudioError {
    /// Short machine-friendly kind, e.g. for an `ingest_errors` reason column.
    pub fn kind(&self) -> &'static str {
        match self {
            AudioError::Io { .. } => "io",
            AudioError::Empty { .. } => "empty",
            AudioError::Unsupported { .. } => "unsupported",
            AudioError::Corrupt { .. } => "corrupt",
            AudioError::Silent { .. } => "silent",
            AudioError::TooShort { .. } => "too_short",
            AudioError::TooLong { .. } => "too_long",
            AudioError::TimedOut { .. } => "timed_out",
            AudioError::InvalidInput(_) => "invalid_input",
        }
    }

    /// The file the error is about (`None` for configuration errors).
    pub fn path(&self) -> Option<&Path> {
        match self {
            AudioError::Io { path, .. }
            | AudioError::Empty { path }
            | AudioError::Unsupported { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::Silent { path, .. }
            | AudioError::TooShort { path, .. }
            | AudioError::TooLong { path, .. }
            | AudioError::TimedOut { path, .. } => Some(path),
            AudioError::InvalidInput(_) => None,
        }
    }
}
