//! The table contract: every table timbral reads or writes, its layer (interim or processed)
//! and its required columns with their types. It is defined once, here, and documented in
//! `docs/data-contract.md`. Stages may add columns beyond the required ones.

use polars::prelude::*;

use crate::error::{Error, Result};

/// Where a table lives in the workdir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// `data/interim`: normalised tables written by ingestion, identical for every source.
    Interim,
    /// `data/processed`: outputs of the analysis stages.
    Processed,
}

/// Logical column types of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Str,
    F64,
    F32,
    U32,
    I32,
    I64,
    Bool,
    ListStr,
}

impl ColumnType {
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::Str => DataType::String,
            ColumnType::F64 => DataType::Float64,
            ColumnType::F32 => DataType::Float32,
            ColumnType::U32 => DataType::UInt32,
            ColumnType::I32 => DataType::Int32,
            ColumnType::I64 => DataType::Int64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::ListStr => DataType::List(Box::new(DataType::String)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub table: Table,
    pub layer: Layer,
    pub columns: Vec<ColumnSpec>,
    /// Column whose values must be unique (a primary key), if any.
    pub unique: Option<&'static str>,
}

macro_rules! tables {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Every table of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Table { $($variant),* }

        impl Table {
            pub const ALL: &'static [Table] = &[$(Table::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Table::$variant => $name),* }
            }
        }
    };
}

tables! {
    Tracks => "tracks",
    Artists => "artists",
    Segments => "segments",
    Sections => "sections",
    AudioFeatures => "audio_features",
    IngestErrors => "ingest_errors",
    Features => "features",
    Scaler => "scaler",
    Pca => "pca",
    Embedding => "embedding",
    Clusters => "clusters",
    ModelSelection => "model_selection",
    KDistance => "kdistance",
    ClusterQuality => "cluster_quality",
    GenreDensity => "genre_density",
    GenreClusters => "genre_clusters",
    GenreGrid => "genre_grid",
    IntraArtist => "intra_artist",
    ArtistSimilarity => "artist_similarity",
    Recommendations => "recommendations",
    Eval => "eval",
}

impl Table {
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }

    pub fn spec(self) -> TableSpec {
        use ColumnType::*;
        let (layer, unique, columns): (Layer, Option<&'static str>, Vec<ColumnSpec>) = match self {
            Table::Tracks => (
                Layer::Interim,
                Some("track_id"),
                cols(&[
                    ("track_id", Str, false),
                    ("title", Str, false),
                    ("artist_id", Str, false),
                    ("artist_name", Str, false),
                    ("album", Str, true),
                    ("genres", ListStr, false),
                    ("duration_s", F64, false),
                    ("tempo", F64, true),
                    ("tempo_confidence", F64, true),
                    ("key", I32, true),
                    ("key_confidence", F64, true),
                    ("mode", I32, true),
                    ("mode_confidence", F64, true),
                    ("time_signature", I32, true),
                    ("time_signature_confidence", F64, true),
                    ("loudness", F64, true),
                    ("source", Str, false),
                    ("location", Str, false),
                ]),
            ),
            Table::Artists => (
                Layer::Interim,
                Some("artist_id"),
                cols(&[
                    ("artist_id", Str, false),
                    ("artist_name", Str, false),
                    ("genres", ListStr, false),
                ]),
            ),
            Table::Segments => {
                let mut c = cols(&[
                    ("track_id", Str, false),
                    ("seg", U32, false),
                    ("start", F64, false),
                    ("duration", F64, false),
                    ("confidence", F64, false),
                    ("loudness_start", F64, false),
                    ("loudness_max", F64, false),
                    ("loudness_max_time", F64, false),
                    ("loudness_end", F64, false),
                ]);
                c.extend(pitch_columns().into_iter().map(|n| col(n, F32, false)));
                c.extend(timbre_columns().into_iter().map(|n| col(n, F32, false)));
                (Layer::Interim, None, c)
            }
            Table::Sections => (
                Layer::Interim,
                None,
                cols(&[
                    ("track_id", Str, false),
                    ("section", U32, false),
                    ("start", F64, false),
                    ("duration", F64, false),
                    ("confidence", F64, true),
                    ("loudness", F64, true),
                    ("tempo", F64, true),
                    ("key", I32, true),
                    ("mode", I32, true),
                    ("time_signature", I32, true),
                ]),
            ),
            Table::AudioFeatures => {
                let mut c = vec![col("track_id".into(), Str, false)];
                c.extend(
                    AUDIO_FEATURE_COLUMNS
                        .iter()
                        .map(|n| col(n.to_string(), F64, true)),
                );
                (Layer::Interim, Some("track_id"), c)
            }
            Table::IngestErrors => (
                Layer::Interim,
                None,
                cols(&[
                    ("source", Str, false),
                    ("location", Str, false),
                    ("stage", Str, false),
                    ("error", Str, false),
                    ("at", Str, false),
                ]),
            ),
            Table::Features => {
                let mut c = vec![col("track_id".into(), Str, false)];
                c.extend(seed_feature_names().into_iter().map(|n| col(n, F64, false)));
                (Layer::Processed, Some("track_id"), c)
            }
            Table::Scaler => (
                Layer::Processed,
                Some("feature"),
                cols(&[
                    ("feature", Str, false),
                    ("mean", F64, false),
                    ("std", F64, false),
                    ("pca_mean", F64, false),
                    ("loading_1", F64, false),
                    ("loading_2", F64, false),
                    ("loading_3", F64, false),
                    ("loading_4", F64, false),
                    ("loading_5", F64, false),
                ]),
            ),
            Table::Pca => (
                Layer::Processed,
                Some("component"),
                cols(&[
                    ("component", U32, false),
                    ("explained_variance", F64, false),
                    ("explained_variance_ratio", F64, false),
                    ("cumulative_ratio", F64, false),
                ]),
            ),
            Table::Embedding => (
                Layer::Processed,
                Some("track_id"),
                cols(&[
                    ("track_id", Str, false),
                    ("pc_1", F64, false),
                    ("pc_2", F64, false),
                    ("pc_3", F64, false),
                    ("pc_4", F64, false),
                    ("pc_5", F64, false),
                    ("umap_x", F64, false),
                    ("umap_y", F64, false),
                    ("umap_1", F64, false),
                    ("umap_2", F64, false),
                    ("placed", Bool, false),
                ]),
            ),
            Table::Clusters => (
                Layer::Processed,
                Some("track_id"),
                cols(&[
                    ("track_id", Str, false),
                    ("kmeans", I32, false),
                    ("dbscan", I32, false),
                    ("hdbscan", I32, false),
                    ("hdbscan_fitted", Bool, false),
                ]),
            ),
            Table::ModelSelection => (
                Layer::Processed,
                None,
                cols(&[
                    ("k", U32, false),
                    ("inertia", F64, false),
                    ("silhouette", F64, true),
                    ("calinski_harabasz", F64, false),
                    ("davies_bouldin", F64, false),
                    ("chosen", Bool, false),
                ]),
            ),
            Table::KDistance => (
                Layer::Processed,
                None,
                cols(&[("rank", U32, false), ("distance", F64, false), ("knee", Bool, false)]),
            ),
            Table::ClusterQuality => (
                Layer::Processed,
                Some("metric"),
                cols(&[("metric", Str, false), ("value", F64, false)]),
            ),
            Table::GenreDensity => (
                Layer::Processed,
                Some("genre"),
                cols(&[
                    ("genre", Str, false),
                    ("songs", U32, false),
                    ("library_share", F64, false),
                    ("clusters", U32, false),
                    ("cluster_entropy", F64, true),
                    ("normalised_entropy", F64, true),
                    ("mean_distance", F64, true),
                    ("library_mean", F64, false),
                    ("distance_ratio", F64, true),
                    ("concentration_rank", U32, true),
                ]),
            ),
            Table::GenreClusters => (
                Layer::Processed,
                None,
                cols(&[
                    ("genre", Str, false),
                    ("cluster", I32, false),
                    ("songs", U32, false),
                    ("share", F64, false),
                ]),
            ),
            Table::GenreGrid => (
                Layer::Processed,
                None,
                cols(&[
                    ("genre", Str, false),
                    ("ix", U32, false),
                    ("iy", U32, false),
                    ("x", F64, false),
                    ("y", F64, false),
                    ("density", F64, false),
                ]),
            ),
            Table::IntraArtist => (
                Layer::Processed,
                Some("artist_id"),
                cols(&[
                    ("artist_id", Str, false),
                    ("artist_name", Str, false),
                    ("songs", U32, false),
                    ("mean_distance", F64, false),
                    ("library_mean", F64, false),
                    ("ratio", F64, false),
                    ("percentile", F64, false),
                    ("p_value", F64, false),
                    ("cohesion_rank", U32, false),
                ]),
            ),
            Table::ArtistSimilarity => (
                Layer::Processed,
                None,
                cols(&[
                    ("artist_id", Str, false),
                    ("artist_name", Str, false),
                    ("other_artist_id", Str, false),
                    ("other_artist_name", Str, false),
                    ("relation", Str, false),
                    ("rank", U32, false),
                    ("distance", F64, false),
                    ("pairs", I64, false),
                    ("space", Str, false),
                ]),
            ),
            Table::Recommendations => (
                Layer::Processed,
                None,
                cols(&[
                    ("track_id", Str, false),
                    ("rank", U32, false),
                    ("rec_track_id", Str, false),
                    ("distance", F64, false),
                    ("same_artist", Bool, false),
                    ("space", Str, false),
                ]),
            ),
            Table::Eval => (
                Layer::Processed,
                Some("metric"),
                cols(&[
                    ("metric", Str, false),
                    ("value", F64, true),
                    ("threshold_min", F64, true),
                    ("threshold_max", F64, true),
                    ("passed", Bool, true),
                    ("description", Str, false),
                ]),
            ),
        };
        TableSpec {
            table: self,
            layer,
            columns,
            unique,
        }
    }
}

/// Spotify's high-level audio features, kept when a source has them.
pub const AUDIO_FEATURE_COLUMNS: [&str; 9] = [
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "speechiness",
    "valence",
    "tempo",
];

pub fn pitch_columns() -> Vec<String> {
    (0..12).map(|i| format!("pitch_{i}")).collect()
}

pub fn timbre_columns() -> Vec<String> {
    (0..12).map(|i| format!("timbre_{i}")).collect()
}

/// The study's 90 features: `t0..t11`, then the upper triangle of the covariance matrix
/// column by column (`t0_t0, t0_t1, t1_t1, t0_t2, ..., t11_t11`).
pub fn seed_feature_names() -> Vec<String> {
    let mut names: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
    for j in 0..12 {
        for i in 0..=j {
            names.push(format!("t{i}_t{j}"));
        }
    }
    names
}

fn col(name: String, ty: ColumnType, nullable: bool) -> ColumnSpec {
    ColumnSpec { name, ty, nullable }
}

fn cols(spec: &[(&str, ColumnType, bool)]) -> Vec<ColumnSpec> {
    spec.iter()
        .map(|(n, t, nullable)| col(n.to_string(), *t, *nullable))
        .collect()
}

impl TableSpec {
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Checks that every required column is present with its type.
    pub fn validate_schema(&self, schema: &Schema) -> Result<()> {
        for c in &self.columns {
            let Some(found) = schema.get(c.name.as_str()) else {
                return Err(Error::MissingColumn {
                    table: self.table.name().to_string(),
                    column: c.name.clone(),
                });
            };
            let expected = c.ty.dtype();
            // An all-null column of a nullable field may arrive typed as Null.
            let compatible = *found == expected || (c.nullable && *found == DataType::Null);
            if !compatible {
                return Err(Error::WrongType {
                    table: self.table.name().to_string(),
                    column: c.name.clone(),
                    expected: expected.to_string(),
                    found: found.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Schema check plus nulls in non-nullable columns and key uniqueness.
    pub fn validate(&self, frame: &DataFrame) -> Result<()> {
        self.validate_schema(frame.schema())?;
        let table = self.table.name().to_string();
        for c in self.columns.iter().filter(|c| !c.nullable) {
            let column = frame
                .column(&c.name)
                .map_err(|e| Error::polars(format!("table `{table}`"), e))?;
            let nulls = column.null_count();
            if nulls > 0 {
                return Err(Error::InvalidValue {
                    table,
                    column: c.name.clone(),
                    why: format!("{nulls} null value(s) in a required column"),
                });
            }
        }
        if let Some(key) = self.unique {
            let column = frame
                .column(key)
                .map_err(|e| Error::polars(format!("table `{table}`"), e))?;
            let distinct = column
                .n_unique()
                .map_err(|e| Error::polars(format!("table `{table}`"), e))?;
            if distinct != frame.height() {
                return Err(Error::InvalidValue {
                    table,
                    column: key.to_string(),
                    why: format!(
                        "{} duplicate key(s) among {} rows",
                        frame.height() - distinct,
                        frame.height()
                    ),
                });
            }
        }
        Ok(())
    }

    /// An empty frame with exactly the required columns, for stages that start a table.
    pub fn empty_frame(&self) -> DataFrame {
        let columns: Vec<Column> = self
            .columns
            .iter()
            .map(|c| Column::new_empty(c.name.as_str().into(), &c.ty.dtype()))
            .collect();
        DataFrame::new(0, columns).expect("contract column names are unique")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_feature_order_is_the_studys() {
        let names = seed_feature_names();
        assert_eq!(names.len(), 90);
        assert_eq!(&names[..3], ["t0", "t1", "t2"]);
        assert_eq!(&names[12..18], ["t0_t0", "t0_t1", "t1_t1", "t0_t2", "t1_t2", "t2_t2"]);
        assert_eq!(names[12 + 66], "t0_t11");
        assert_eq!(names[89], "t11_t11");
    }

    #[test]
    fn missing_column_is_named() {
        let spec = Table::Segments.spec();
        let mut frame = spec.empty_frame();
        frame.drop_in_place("timbre_3").unwrap();
        let err = spec.validate(&frame).unwrap_err().to_string();
        assert!(err.contains("segments") && err.contains("timbre_3"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let spec = Table::Artists.spec();
        let frame = df!(
            "artist_id" => ["a"],
            "artist_name" => [1i64],
        )
        .unwrap();
        let mut frame = frame;
        frame
            .with_column(Column::new_empty("genres".into(), &ColumnType::ListStr.dtype()).extend_constant(AnyValue::Null, 1).unwrap())
            .unwrap();
        let err = spec.validate(&frame).unwrap_err().to_string();
        assert!(err.contains("artist_name") && err.contains("str"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let spec = Table::ClusterQuality.spec();
        let frame = df!("metric" => ["a", "a"], "value" => [1.0, 2.0]).unwrap();
        let err = spec.validate(&frame).unwrap_err().to_string();
        assert!(err.contains("duplicate"), "{err}");
    }
}

#[cfg(test)]
mod doc_tests {
    use super::*;

    /// Whether `name` occurs in `doc` as a whole word.
    fn mentions(doc: &str, name: &str) -> bool {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        doc.match_indices(name).any(|(i, _)| {
            let before = doc[..i].chars().next_back();
            let after = doc[i + name.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
    }

    /// docs/data-contract.md must name every table and every required column.
    #[test]
    fn contract_doc_lists_every_table_and_column() {
        let doc = include_str!("../../../docs/data-contract.md");
        for table in Table::ALL {
            assert!(doc.contains(table.name()), "docs/data-contract.md lacks table `{}`", table.name());
            let spec = table.spec();
            for column in &spec.columns {
                let generated = column.name.starts_with("pitch_")
                    || column.name.starts_with("timbre_")
                    || (table == &Table::Features && column.name.starts_with('t'));
                if !generated {
                    assert!(
                        mentions(doc, &column.name),
                        "docs/data-contract.md lacks column `{}` of `{}`",
                        column.name,
                        table.name()
                    );
                }
            }
        }
    }
}
