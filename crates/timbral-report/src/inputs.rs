//! Reading the tables a report draws from. Every table is optional: a missing or unreadable
//! table becomes a message that the section shows instead of its figure, never an error that
//! stops the report. Columns are looked up by name for the same reason.

use std::collections::HashMap;

use polars::prelude::*;
use timbral_core::{Error, Result, Table, Workdir, cols};

/// The command that writes `table`, for "run X first" hints.
pub fn producer(table: Table) -> &'static str {
    match table {
        Table::Tracks
        | Table::Artists
        | Table::Segments
        | Table::Sections
        | Table::AudioFeatures
        | Table::Embeddings
        | Table::IngestErrors => "timbral ingest",
        Table::Features => "timbral features",
        Table::Scaler
        | Table::Pca
        | Table::Embedding
        | Table::Clusters
        | Table::ModelSelection
        | Table::KDistance
        | Table::ClusterQuality
        | Table::ClusterModel => "timbral cluster",
        Table::GenreDensity
        | Table::GenreClusters
        | Table::GenreGrid
        | Table::IntraArtist
        | Table::ArtistSimilarity
        | Table::Recommendations
        | Table::CodebookModel => "timbral similarity",
        Table::Eval => "timbral eval",
        Table::RepresentationEval => "timbral eval --compare",
    }
}

/// The small tables, read whole once; every other table is scanned lazily for the columns
/// and rows a section needs, so that the report's memory does not grow with the large tables
/// (recommendations hold k rows per song, artist_similarity 2N rows per artist).
pub struct Inputs {
    workdir: Workdir,
    tables: HashMap<Table, std::result::Result<DataFrame, String>>,
}

/// The tables read whole: their size grows at most with artists or genres, never with songs.
const LOADED: [Table; 7] = [
    Table::Pca,
    Table::ModelSelection,
    Table::ClusterQuality,
    Table::ClusterModel,
    Table::GenreDensity,
    Table::IntraArtist,
    Table::Eval,
];

impl Inputs {
    pub fn load(workdir: &Workdir) -> Self {
        let tables = LOADED
            .iter()
            .map(|&t| (t, read(workdir, t)))
            .collect();
        Inputs { workdir: workdir.clone(), tables }
    }

    pub fn workdir(&self) -> &Workdir {
        &self.workdir
    }

    /// A small table read whole, or a sentence saying why it is not available.
    pub fn get(&self, table: Table) -> std::result::Result<&DataFrame, String> {
        match self.tables.get(&table) {
            Some(Ok(frame)) => Ok(frame),
            Some(Err(why)) => Err(why.clone()),
            None => Err(format!("table `{}` is not loaded by the report", table.name())),
        }
    }

    /// A lazy scan of `table` (schema checked), or a sentence saying why it is not available.
    pub fn scan(&self, table: Table) -> std::result::Result<LazyFrame, String> {
        self.workdir
            .scan_table(table)
            .map_err(|e| unavailable(&self.workdir, table, e))
    }

    /// The columns and types of `table`.
    pub fn schema(&self, table: Table) -> std::result::Result<Schema, String> {
        let schema = self
            .scan(table)?
            .collect_schema()
            .map_err(|e| format!("table `{}` could not be read: {e}", table.name()))?;
        Ok(schema.as_ref().clone())
    }

    /// Runs `query` on a scan of `table` with the streaming engine; errors name the table.
    pub fn query(
        &self,
        table: Table,
        query: impl FnOnce(LazyFrame) -> LazyFrame,
    ) -> std::result::Result<DataFrame, String> {
        query(self.scan(table)?)
            .collect_with_engine(Engine::Streaming)
            .map(|result| result.unwrap_single())
            .map_err(|e| format!("table `{}` could not be read: {e}", table.name()))
    }

    /// Selected columns of `table`, every row.
    pub fn columns(&self, table: Table, names: &[&str]) -> std::result::Result<DataFrame, String> {
        let wanted: Vec<Expr> = names.iter().map(|n| col(*n)).collect();
        self.query(table, |lazy| lazy.select(wanted))
    }

    /// The rows of `table` whose `key` is one of `values`, selected columns only.
    pub fn rows_where_in(
        &self,
        table: Table,
        key: &str,
        values: &[&str],
        names: &[&str],
    ) -> std::result::Result<DataFrame, String> {
        let wanted: Vec<Expr> = names.iter().map(|n| col(*n)).collect();
        let set = Series::new("values".into(), values);
        self.query(table, |lazy| {
            lazy.filter(col(key).is_in(lit(set).implode(false), false)).select(wanted)
        })
    }

    /// One aggregate of `table` as a number (`None` when null, e.g. the mean of no rows).
    pub fn scalar(&self, table: Table, aggregate: Expr) -> std::result::Result<Option<f64>, String> {
        let frame = self.query(table, |lazy| lazy.select([aggregate.alias(cols::cluster_quality::VALUE)]))?;
        let value = f64s(&frame, table, cols::cluster_quality::VALUE).map_err(|e| e.to_string())?;
        Ok(value.first().copied().flatten())
    }

    /// The number of rows of `table`.
    pub fn height(&self, table: Table) -> std::result::Result<usize, String> {
        Ok(self.scalar(table, len())?.unwrap_or(0.0) as usize)
    }

    /// Segments per track: the extended features' `segment_count` when present (no segment is
    /// read), else a streaming count over the `track_id` column of `segments`.
    pub fn segment_counts(&self) -> std::result::Result<Vec<(String, u32)>, String> {
        let from_features = self.schema(Table::Features).is_ok_and(|schema| schema.contains("segment_count"));
        let (table, counts) = if from_features {
            let counts = self.query(Table::Features, |lazy| {
                lazy.select([col(cols::features::TRACK_ID), col("segment_count").alias("n")])
            })?;
            (Table::Features, counts)
        } else {
            let counts = self.query(Table::Segments, |lazy| {
                lazy.group_by([col(cols::features::TRACK_ID)]).agg([len().alias("n")])
            })?;
            (Table::Segments, counts)
        };
        let ids = strs(&counts, table, cols::features::TRACK_ID).map_err(|e| e.to_string())?;
        let n = f64s(&counts, table, "n").map_err(|e| e.to_string())?;
        Ok(ids
            .into_iter()
            .zip(n)
            .filter_map(|(id, n)| Some((id?, n? as u32)))
            .collect())
    }

    /// Selected columns of the features table (read lazily: it has 90+ columns).
    pub fn feature_columns(&self, names: &[&str]) -> std::result::Result<DataFrame, String> {
        let mut wanted = vec![cols::features::TRACK_ID];
        wanted.extend_from_slice(names);
        self.columns(Table::Features, &wanted)
            .map_err(|e| format!("reading columns {names:?} of table `features`: {e}"))
    }
}

fn read(workdir: &Workdir, table: Table) -> std::result::Result<DataFrame, String> {
    workdir
        .read_table(table)
        .map_err(|e| unavailable(workdir, table, e))
}

fn unavailable(workdir: &Workdir, table: Table, err: Error) -> String {
    // Tables that need clusters are absent when the last `timbral run` skipped clustering.
    let needs_clusters = matches!(producer(table), "timbral cluster" | "timbral similarity" | "timbral eval");
    let manifest = timbral_core::manifest::Manifest::load(workdir);
    let skipped = manifest.stages.get("cluster").and_then(|r| r.skipped_because()).filter(|_| needs_clusters);
    match (err, skipped) {
        (Error::MissingTable { .. }, Some(why)) => {
            format!("table `{}` was not written: the last run skipped clustering ({why})", table.name())
        }
        (Error::MissingTable { .. }, None) => format!(
            "table `{}` is missing ({}); `{}` writes it",
            table.name(),
            workdir.table_path(table).display(),
            producer(table)
        ),
        (other, _) => format!("table `{}` could not be read: {other}", table.name()),
    }
}

fn column<'a>(frame: &'a DataFrame, table: Table, name: &str) -> Result<&'a Column> {
    frame.column(name).map_err(|_| Error::MissingColumn {
        table: table.name().to_string(),
        column: name.to_string(),
    })
}

fn cast_error(table: Table, name: &str, e: PolarsError) -> Error {
    Error::InvalidValue {
        table: table.name().to_string(),
        column: name.to_string(),
        why: e.to_string(),
    }
}

/// Whether `frame` has a column called `name`.
pub fn has(frame: &DataFrame, name: &str) -> bool {
    frame.column(name).is_ok()
}

/// A numeric column as f64 (nulls and non-finite values as `None`).
pub fn f64s(frame: &DataFrame, table: Table, name: &str) -> Result<Vec<Option<f64>>> {
    let values = column(frame, table, name)?
        .cast(&DataType::Float64)
        .map_err(|e| cast_error(table, name, e))?;
    let values = values.f64().map_err(|e| cast_error(table, name, e))?;
    Ok(values.iter().map(|v| v.filter(|x| x.is_finite())).collect())
}

/// An integer column as i64.
pub fn i64s(frame: &DataFrame, table: Table, name: &str) -> Result<Vec<Option<i64>>> {
    let values = column(frame, table, name)?
        .cast(&DataType::Int64)
        .map_err(|e| cast_error(table, name, e))?;
    let values = values.i64().map_err(|e| cast_error(table, name, e))?;
    Ok(values.iter().collect())
}

/// A boolean column.
pub fn bools(frame: &DataFrame, table: Table, name: &str) -> Result<Vec<Option<bool>>> {
    let values = column(frame, table, name)?;
    let values = values.bool().map_err(|e| cast_error(table, name, e))?;
    Ok(values.iter().collect())
}

/// A column as text (numbers are formatted).
pub fn strs(frame: &DataFrame, table: Table, name: &str) -> Result<Vec<Option<String>>> {
    let values = column(frame, table, name)?
        .cast(&DataType::String)
        .map_err(|e| cast_error(table, name, e))?;
    let values = values.str().map_err(|e| cast_error(table, name, e))?;
    Ok(values.iter().map(|v| v.map(str::to_string)).collect())
}

/// A text column, borrowed: no string is copied (id columns of millions of rows).
pub fn str_column<'a>(frame: &'a DataFrame, table: Table, name: &str) -> Result<&'a StringChunked> {
    column(frame, table, name)?.str().map_err(|e| cast_error(table, name, e))
}

/// A list-of-strings column (genres); null lists and null items are dropped.
pub fn str_lists(frame: &DataFrame, table: Table, name: &str) -> Result<Vec<Vec<String>>> {
    let values = column(frame, table, name)?;
    let lists = values.list().map_err(|e| cast_error(table, name, e))?;
    let mut out = Vec::with_capacity(lists.len());
    for row in 0..lists.len() {
        let items = match lists.get_as_series(row) {
            Some(series) => {
                let series = series
                    .cast(&DataType::String)
                    .map_err(|e| cast_error(table, name, e))?;
                let strings = series.str().map_err(|e| cast_error(table, name, e))?;
                strings.iter().flatten().map(str::to_string).collect()
            }
            None => Vec::new(),
        };
        out.push(items);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_column_is_named() {
        let frame = df!("a" => [1.0f64]).unwrap();
        let err = f64s(&frame, Table::Pca, "b").unwrap_err().to_string();
        assert!(err.contains("pca") && err.contains("`b`"), "{err}");
    }

    #[test]
    fn numbers_cast_and_nonfinite_become_none() {
        let frame = df!("a" => [1i32, 2], "b" => [f64::NAN, 0.5]).unwrap();
        assert_eq!(f64s(&frame, Table::Pca, "a").unwrap(), vec![Some(1.0), Some(2.0)]);
        assert_eq!(f64s(&frame, Table::Pca, "b").unwrap(), vec![None, Some(0.5)]);
        assert_eq!(strs(&frame, Table::Pca, "a").unwrap()[1].as_deref(), Some("2"));
    }

    #[test]
    fn absent_tables_name_their_producer() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = Inputs::load(&Workdir::new(dir.path()));
        let why = inputs.scan(Table::Clusters).err().unwrap();
        assert!(why.contains("clusters") && why.contains("timbral cluster"), "{why}");
        let why = inputs.segment_counts().unwrap_err();
        assert!(why.contains("segments") && why.contains("timbral ingest"), "{why}");
    }
}
