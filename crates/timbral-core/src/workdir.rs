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

    /// Where `table` lives: `data/interim/<name>.parquet` or `data/processed/<name>.parquet`,
    /// a file, or a directory of Parquet part files (what Spark's `DataFrame.write.parquet`
    /// makes; see [`Workdir::read_table`]).
    pub fn table_path(&self, table: Table) -> PathBuf {
        let dir = match table.spec().layer {
            Layer::Interim => self.interim_dir(),
            Layer::Processed => self.processed_dir(),
        };
        dir.join(format!("{}.parquet", table.name()))
    }

    pub fn has_table(&self, table: Table) -> bool {
        let path = self.table_path(table);
        path.is_file() || path.is_dir()
    }

    /// Reads and validates a table. Fails with [`Error::MissingTable`] when it was never written.
    /// A table stored as a directory of part files is read as one frame, its integer columns
    /// cast to the contract's types (engines without unsigned integers write `seg` as int64).
    pub fn read_table(&self, table: Table) -> Result<DataFrame> {
        let path = self.table_path(table);
        let frame = if path.is_dir() {
            self.scan_table(table)?
                .collect()
                .ctx(format!("reading the parts of {}", path.display()))?
        } else if path.is_file() {
            io::read_parquet(&path)?
        } else {
            return Err(Error::MissingTable {
                table: table.name().to_string(),
                path,
            });
        };
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
        let partitioned = path.is_dir();
        let source = match (partitioned, path.is_file()) {
            (true, _) => path.join("*.parquet"),
            (false, true) => path.clone(),
            (false, false) => {
                return Err(Error::MissingTable {
                    table: table.name().to_string(),
                    path,
                });
            }
        };
        let mut lazy = LazyFrame::scan_parquet(
            PlRefPath::new(source.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .ctx(format!("scanning {}", path.display()))?;
        let mut schema = lazy
            .collect_schema()
            .ctx(format!("reading the schema of {}", path.display()))?;
        if partitioned {
            let casts = table.spec().integer_casts(&schema);
            if !casts.is_empty() {
                lazy = lazy.with_columns(casts);
                schema = lazy
                    .collect_schema()
                    .ctx(format!("casting the integer columns of {}", path.display()))?;
            }
        }
        table.spec().validate_schema(&schema)?;
        Ok(lazy)
    }

    /// Validates and atomically writes a table (temporary file in the same directory, then
    /// rename; a partitioned table is replaced by the single file).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cols;

    fn artists(ids: &[&str]) -> DataFrame {
        let genres: Vec<Series> = ids.iter().map(|_| Series::new("".into(), ["folk"])).collect();
        df!(
            cols::artists::ARTIST_ID => ids,
            cols::artists::ARTIST_NAME => ids,
            cols::artists::GENRES => genres,
        )
        .unwrap()
    }

    fn sections_part(track: &str, sections: &[i64]) -> DataFrame {
        let n = sections.len();
        let nulls_f = vec![None::<f64>; n];
        let nulls_i = vec![None::<i32>; n];
        df!(
            cols::sections::TRACK_ID => vec![track; n],
            cols::sections::SECTION => sections,
            cols::sections::START => vec![0.0; n],
            cols::sections::DURATION => vec![1.0; n],
            cols::sections::CONFIDENCE => nulls_f.clone(),
            cols::sections::LOUDNESS => nulls_f.clone(),
            cols::sections::TEMPO => nulls_f,
            cols::sections::KEY => nulls_i.clone(),
            cols::sections::MODE => nulls_i.clone(),
            cols::sections::TIME_SIGNATURE => nulls_i,
        )
        .unwrap()
    }

    fn write_parts(dir: &Path, parts: Vec<DataFrame>) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("_SUCCESS"), b"").unwrap();
        for (i, mut part) in parts.into_iter().enumerate() {
            io::write_parquet_atomic(&dir.join(format!("part-{i:05}.snappy.parquet")), &mut part).unwrap();
        }
    }

    #[test]
    fn a_directory_of_parts_reads_as_one_table_with_contract_integer_types() {
        let root = tempfile::tempdir().unwrap();
        let wd = Workdir::new(root.path());
        // Spark has no unsigned integers: `section` arrives as int64.
        write_parts(&wd.table_path(Table::Sections), vec![sections_part("a", &[0, 1]), sections_part("b", &[0])]);
        assert!(wd.has_table(Table::Sections));
        let read = wd.read_table(Table::Sections).unwrap();
        assert_eq!(read.height(), 3);
        assert_eq!(read.column(cols::sections::SECTION).unwrap().dtype(), &DataType::UInt32);
        let scanned = wd.scan_table(Table::Sections).unwrap().collect().unwrap();
        assert_eq!(scanned.height(), 3);

        // A value the contract's type cannot hold fails the read, naming the file.
        write_parts(&wd.table_path(Table::Sections), vec![sections_part("c", &[-1])]);
        let err = wd.read_table(Table::Sections).unwrap_err().to_string();
        assert!(err.contains("sections.parquet"), "{err}");
    }

    #[test]
    fn writing_over_a_partitioned_table_replaces_it_with_one_file() {
        let root = tempfile::tempdir().unwrap();
        let wd = Workdir::new(root.path());
        write_parts(&wd.table_path(Table::Artists), vec![artists(&["x"]), artists(&["y"])]);
        assert_eq!(wd.read_table(Table::Artists).unwrap().height(), 2);
        wd.write_table(Table::Artists, &mut artists(&["z"])).unwrap();
        assert!(wd.table_path(Table::Artists).is_file());
        let ids = wd.read_table(Table::Artists).unwrap();
        assert_eq!(ids.column(cols::artists::ARTIST_ID).unwrap().str().unwrap().get(0), Some("z"));
        let leftovers: Vec<_> = std::fs::read_dir(wd.processed_dir().parent().unwrap().join("interim"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, ["artists.parquet"]);
    }
}
