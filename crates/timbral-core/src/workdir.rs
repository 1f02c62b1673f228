//! The cookiecutter-data-science layout of a working directory:
//! `data/raw` (immutable inputs), `data/interim` (normalised tables),
//! `data/processed` (stage outputs) and `reports/` (HTML and figures).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::contract::{Layer, Table};
use crate::error::{Error, PolarsContext, Result};
use crate::io;

#[derive(Debug, Clone)]
pub struct Workdir {
    root: PathBuf,
}

impl Workdir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workdir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn raw_dir(&self) -> PathBuf {
        self.root.join("data").join("raw")
    }

    pub fn interim_dir(&self) -> PathBuf {
        self.root.join("data").join("interim")
    }

    pub fn processed_dir(&self) -> PathBuf {
        self.root.join("data").join("processed")
    }

    /// The lock file of writing commands (see [`crate::lock`]).
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("data").join(".timbral.lock")
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports")
    }

    pub fn figures_dir(&self) -> PathBuf {
        self.reports_dir().join("figures")
    }

    /// Where `table` lives: `data/interim/<name>.parquet` or `data/processed/<name>.parquet`.
    pub fn table_path(&self, table: Table) -> PathBuf {
        let dir = match table.spec().layer {
            Layer::Interim => self.interim_dir(),
            Layer::Processed => self.processed_dir(),
        };
        dir.join(format!("{}.parquet", table.name()))
    }

    pub fn has_table(&self, table: Table) -> bool {
        self.table_path(table).is_file()
    }

    /// Reads and validates a table. Fails with [`Error::MissingTable`] when it was never written.
    pub fn read_table(&self, table: Table) -> Result<DataFrame> {
        let path = self.table_path(table);
        if !path.is_file() {
            return Err(Error::MissingTable {
                table: table.name().to_string(),
                path,
            });
        }
        let frame = io::read_parquet(&path)?;
        table.spec().validate(&frame)?;
        Ok(frame)
    }

    /// Like [`Workdir::read_table`] but `None` when the table does not exist yet.
    pub fn read_table_if_exists(&self, table: Table) -> Result<Option<DataFrame>> {
        if self.has_table(table) {
            self.read_table(table).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A lazy scan for streaming stages. The schema is validated before any row is read.
    pub fn scan_table(&self, table: Table) -> Result<LazyFrame> {
        let path = self.table_path(table);
        if !path.is_file() {
            return Err(Error::MissingTable {
                table: table.name().to_string(),
                path,
            });
        }
        let mut lazy = LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .ctx(format!("scanning {}", path.display()))?;
        let schema = lazy
            .collect_schema()
            .ctx(format!("reading the schema of {}", path.display()))?;
        table.spec().validate_schema(&schema)?;
        Ok(lazy)
    }

    /// Validates and atomically writes a table (temporary file in the same directory, then rename).
    pub fn write_table(&self, table: Table, frame: &mut DataFrame) -> Result<PathBuf> {
        table.spec().validate(frame)?;
        let path = self.table_path(table);
        io::write_parquet_atomic(&path, frame)?;
        tracing::debug!(table = table.name(), rows = frame.height(), "wrote {}", path.display());
        Ok(path)
    }

    /// Every table that exists in this workdir, in contract order.
    pub fn existing_tables(&self) -> Vec<Table> {
        Table::ALL.iter().copied().filter(|t| self.has_table(*t)).collect()
    }
}
