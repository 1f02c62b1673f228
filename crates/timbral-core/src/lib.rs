//! Shared foundation of timbral: the table contract, the workdir layout, atomic Parquet I/O,
//! the error type, the `ingest_errors` log, progress reporting and small helpers that every
//! stage crate needs.
//!
//! Stage crates exchange Polars [`DataFrame`](polars::prelude::DataFrame)s stored as Parquet
//! files under a [`Workdir`]. Every read goes through [`Workdir::read_table`], which validates
//! the frame against its [`TableSpec`], so a stage never starts on a malformed input.

pub mod contract;
pub mod error;
pub mod feature_set;
pub mod errors_log;
pub mod ids;
pub mod io;
pub mod lock;
pub mod manifest;
pub mod params;
pub mod matrix;
pub mod neighbors;
pub mod progress;
pub mod scaler;
pub mod space;
pub mod sql;
pub mod workdir;

pub use contract::{ColumnType, Table, TableSpec, cols};
pub use error::{Error, Result};
pub use feature_set::FeatureSet;
pub use errors_log::IngestError;
pub use lock::{WhenHeld, WorkdirLock};
pub use space::Space;
pub use workdir::Workdir;
