//! The one error type of the library crates. Every variant names the file, table, column or
//! value at fault, so that a message alone tells the user what to fix.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("table `{table}` not found at {path}; run the stage that writes it first")]
    MissingTable { table: String, path: PathBuf },
    #[error("table `{table}` has no column `{column}`")]
    MissingColumn { table: String, column: String },
    #[error("table `{table}` column `{column}` has type {found}, expected {expected}")]
    WrongType {
        table: String,
        column: String,
        expected: String,
        found: String,
    },
    #[error("table `{table}` is empty: {why}")]
    EmptyTable { table: String, why: String },
    /// The table has rows, but fewer than the stage needs.
    #[error("table `{table}` has {rows} row(s): {why}")]
    TooFewRows { table: String, rows: usize, why: String },
    #[error("table `{table}` column `{column}`: {why}")]
    InvalidValue {
        table: String,
        column: String,
        why: String,
    },
    #[error("unknown {kind} `{value}`{hint}")]
    NotFound {
        kind: &'static str,
        value: String,
        /// Pre-formatted suggestion such as "; did you mean `Bach`?", or empty.
        hint: String,
    },
    #[error("invalid parameter `{name}`: {why}")]
    InvalidParameter { name: &'static str, why: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn polars(context: impl Into<String>, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            context: context.into(),
            source,
        }
    }
}

/// Adds context to Polars results: `frame.column("x").ctx("reading tracks")?`.
pub trait PolarsContext<T> {
    fn ctx(self, context: impl Into<String>) -> Result<T>;
}

impl<T> PolarsContext<T> for polars::error::PolarsResult<T> {
    fn ctx(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::polars(context, e))
    }
}

/// The text of a caught panic (`std::panic::catch_unwind`'s payload), for an error message.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}
