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
    /// `timbral` names the command that writes the table after this message.
    #[error("table `{table}` not found at {path}")]
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
    /// An input file (CSV, TOML, JSON, a folder of audio) that cannot be used as it is.
    #[error("{path}: {why}")]
    BadInput { path: PathBuf, why: String },
    /// A numerical step that failed on valid input (an eigen-decomposition, an optimiser).
    #[error("{step} failed: {source}")]
    Algorithm {
        step: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A numerical step whose result cannot be used (non-finite coordinates, too few rows).
    #[error("{step}: {why}")]
    Degenerate { step: String, why: String },
    /// A row of one table has no partner in another (a song without its cluster label).
    #[error("table `{table}` has no row for `{key}`: {why}")]
    MissingRow { table: String, key: String, why: String },
    /// Another timbral process is writing the workdir.
    #[error(
        "workdir {workdir} is in use by another timbral process ({holder}); wait for it to \
         finish, or pass --wait to queue behind it"
    )]
    WorkdirBusy { workdir: PathBuf, holder: String },
    /// A thread pool, async runtime or HTTP client that could not start.
    #[error("cannot start {what}: {why}")]
    Startup { what: String, why: String },
    /// Nothing among the inputs could be used (no audio file found, none analysed).
    #[error("{0}")]
    NoUsableInput(String),
    /// A query that matches several rows where one is needed.
    #[error("{matches} songs match {kind} `{value}`; pass one of these track ids:\n{candidates}")]
    Ambiguous { kind: &'static str, value: String, matches: usize, candidates: String },
    /// A SQL statement that is not read-only or that Polars' SQL engine rejects.
    #[error("query failed: {why}\n  query: {query}")]
    BadQuery { query: String, why: String },
    /// A capability this build was compiled without.
    #[error("this build has no {capability}: {how}")]
    NotBuilt { capability: &'static str, how: &'static str },
    /// A broken invariant of timbral itself; a bug to report.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn algorithm(step: impl Into<String>, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Algorithm { step: step.into(), source: source.into() }
    }

    pub fn bad_input(path: impl Into<PathBuf>, why: impl Into<String>) -> Self {
        Error::BadInput { path: path.into(), why: why.into() }
    }

    /// The parameter an [`Error::InvalidParameter`] names, for callers that map it back to
    /// an option of their own.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Error::InvalidParameter { name, .. } => Some(name),
            _ => None,
        }
    }

    pub fn polars(context: impl Into<String>, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            context: context.into(),
            source,
        }
    }
}

/// Fails on the first of the named parameters that is 0.
pub fn at_least_one(values: &[(&'static str, usize)]) -> Result<()> {
    for &(name, value) in values {
        crate::timbral_ensure!(value >= 1, InvalidParameter { name, why: "must be at least 1".into() });
    }
    Ok(())
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

/// Returns an [`Error`] variant from the enclosing function, in the style of `polars_bail!`:
/// `timbral_bail!(InvalidParameter { name: "k-min", why: "must be at least 2".into() })`.
#[macro_export]
macro_rules! timbral_bail {
    ($variant:ident { $($field:tt)* }) => {
        return Err($crate::Error::$variant { $($field)* }.into())
    };
}

/// Bails with the variant unless the condition holds, in the style of `polars_ensure!`.
#[macro_export]
macro_rules! timbral_ensure {
    ($condition:expr, $variant:ident { $($field:tt)* }) => {
        if !$condition {
            $crate::timbral_bail!($variant { $($field)* });
        }
    };
}
