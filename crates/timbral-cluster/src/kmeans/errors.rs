//! Errors of K-Means fitting.

/// Why a K-Means fit could not run.
#[derive(Debug, thiserror::Error)]
pub enum KMeansError {
    #[error("K-Means parameter `{name}` {problem}")]
    InvalidParam { name: &'static str, problem: String },
    #[error("K-Means with k={k} needs at least {k} songs, got {points}")]
    TooFewPoints { k: usize, points: usize },
    #[error("K-Means input has a non-finite value at row {row}")]
    NonFinite { row: usize },
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

impl From<KMeansError> for timbral_core::Error {
    fn from(e: KMeansError) -> Self {
        timbral_core::Error::algorithm("K-Means", e)
    }
}
