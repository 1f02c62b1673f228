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
    U64,
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
            ColumnType::U64 => DataType::UInt64,
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

/// Declares every table once: its [`Table`] variant, file name, layer, key and required
/// columns. For each table it generates a module of column-name constants (`tracks::TRACK_ID`),
/// which every crate uses in place of string literals, and [`Table::spec`]'s schema. Column
/// families whose names are numbered (`pitch_0..11`, the 90 features, `umap_1..n`) are added
/// by the function after `extra:`.
macro_rules! contract {
    ($(
        $(#[$doc:meta])*
        $module:ident => $variant:ident ($name:literal, $layer:ident, key: [$($key:ident)?]) {
            $( $(#[$column_doc:meta])* $constant:ident = $column:literal : $ty:ident $($nullable:ident)? ),* $(,)?
        } $(extra: $extra:path)?;
    )*) => {
        /// Every table of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Table { $($variant),* }

        impl Table {
            pub const ALL: &'static [Table] = &[$(Table::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Table::$variant => $name),* }
            }

            pub fn spec(self) -> TableSpec {
                match self {
                    $(Table::$variant => {
                        #[allow(unused_mut)]
                        let mut columns: Vec<ColumnSpec> = cols::$module::REQUIRED
                            .iter()
                            .map(|&(name, ty, nullable)| col(name.to_string(), ty, nullable))
                            .collect();
                        $(columns.extend($extra());)?
                        TableSpec { table: self, layer: Layer::$layer, columns, unique: cols::$module::PRIMARY_KEY }
                    })*
                }
            }
        }

        /// Column names, one module per table: `cols::tracks::TRACK_ID`.
        pub mod cols {
        $(
            $(#[$doc])*
            pub mod $module {
                use super::super::{ColumnType, Table};

                pub const TABLE: Table = Table::$variant;
                $( $(#[$column_doc])* pub const $constant: &str = $column; )*
                /// The primary key, if the table has one.
                pub const PRIMARY_KEY: Option<&str> = contract!(@key $($key)?);
                pub(in crate::contract) const REQUIRED: &[(&str, ColumnType, bool)] =
                    &[$(($constant, ColumnType::$ty, contract!(@nullable $($nullable)?))),*];
            }
        )*
        }
    };
    (@key) => { None };
    (@key $key:ident) => { Some($key) };
    (@nullable) => { false };
    (@nullable nullable) => { true };
}

contract! {
    /// `data/interim/tracks`: one row per song, from every source.
    tracks => Tracks("tracks", Interim, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
        TITLE = "title": Str,
        ARTIST_ID = "artist_id": Str,
        ARTIST_NAME = "artist_name": Str,
        ALBUM = "album": Str nullable,
        GENRES = "genres": ListStr,
        DURATION_S = "duration_s": F64,
        TEMPO = "tempo": F64 nullable,
        TEMPO_CONFIDENCE = "tempo_confidence": F64 nullable,
        KEY = "key": I32 nullable,
        KEY_CONFIDENCE = "key_confidence": F64 nullable,
        MODE = "mode": I32 nullable,
        MODE_CONFIDENCE = "mode_confidence": F64 nullable,
        TIME_SIGNATURE = "time_signature": I32 nullable,
        TIME_SIGNATURE_CONFIDENCE = "time_signature_confidence": F64 nullable,
        LOUDNESS = "loudness": F64 nullable,
        SOURCE = "source": Str,
        LOCATION = "location": Str,
    };
    /// `data/interim/artists`: one row per artist, genres merged across sources.
    artists => Artists("artists", Interim, key: [ARTIST_ID]) {
        ARTIST_ID = "artist_id": Str,
        ARTIST_NAME = "artist_name": Str,
        GENRES = "genres": ListStr,
    };
    /// `data/interim/segments`: Echo-Nest-style segments, `pitch_0..11` and `timbre_0..11`.
    segments => Segments("segments", Interim, key: []) {
        TRACK_ID = "track_id": Str,
        SEG = "seg": U32,
        START = "start": F64,
        DURATION = "duration": F64,
        CONFIDENCE = "confidence": F64,
        LOUDNESS_START = "loudness_start": F64,
        LOUDNESS_MAX = "loudness_max": F64,
        LOUDNESS_MAX_TIME = "loudness_max_time": F64,
        LOUDNESS_END = "loudness_end": F64,
    } extra: segment_vectors;
    /// `data/interim/sections`: a song's larger sections.
    sections => Sections("sections", Interim, key: []) {
        TRACK_ID = "track_id": Str,
        SECTION = "section": U32,
        START = "start": F64,
        DURATION = "duration": F64,
        CONFIDENCE = "confidence": F64 nullable,
        LOUDNESS = "loudness": F64 nullable,
        TEMPO = "tempo": F64 nullable,
        KEY = "key": I32 nullable,
        MODE = "mode": I32 nullable,
        TIME_SIGNATURE = "time_signature": I32 nullable,
    };
    /// `data/interim/audio_features`: Spotify's high-level audio features, where a source has them.
    audio_features => AudioFeatures("audio_features", Interim, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
        ACOUSTICNESS = "acousticness": F64 nullable,
        DANCEABILITY = "danceability": F64 nullable,
        ENERGY = "energy": F64 nullable,
        INSTRUMENTALNESS = "instrumentalness": F64 nullable,
        LIVENESS = "liveness": F64 nullable,
        LOUDNESS = "loudness": F64 nullable,
        SPEECHINESS = "speechiness": F64 nullable,
        VALENCE = "valence": F64 nullable,
        TEMPO = "tempo": F64 nullable,
    };
    /// `data/interim/embeddings`: each song's musicnn embedding (`emb_0..emb_199`), computed
    /// from its audio; sources without audio have none.
    embeddings => Embeddings("embeddings", Interim, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
        /// The network that made it (`MSD_musicnn`).
        MODEL = "model": Str,
        /// 3-second patches averaged.
        PATCHES = "patches": U32,
        /// The model's most probable tags for the song, most probable first.
        TOP_TAGS = "top_tags": ListStr,
    } extra: embedding_vector_columns;
    /// `data/interim/ingest_errors`: one row per input that failed, and why.
    ingest_errors => IngestErrors("ingest_errors", Interim, key: []) {
        SOURCE = "source": Str,
        LOCATION = "location": Str,
        STAGE = "stage": Str,
        ERROR = "error": Str,
        AT = "at": Str,
    };
    /// `data/processed/features`: the study's 90 features per song (and the extended set).
    features => Features("features", Processed, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
    } extra: seed_feature_columns;
    /// `data/processed/scaler`: the z-score parameters and PCA loadings, one row per feature.
    scaler => Scaler("scaler", Processed, key: [FEATURE]) {
        FEATURE = "feature": Str,
        MEAN = "mean": F64,
        STD = "std": F64,
        PCA_MEAN = "pca_mean": F64,
    } extra: loading_columns;
    /// `data/processed/pca`: explained variance per component.
    pca => Pca("pca", Processed, key: [COMPONENT]) {
        COMPONENT = "component": U32,
        EXPLAINED_VARIANCE = "explained_variance": F64,
        EXPLAINED_VARIANCE_RATIO = "explained_variance_ratio": F64,
        CUMULATIVE_RATIO = "cumulative_ratio": F64,
    };
    /// `data/processed/embedding`: PCA scores and the 2-D and n-D UMAP maps per song.
    embedding => Embedding("embedding", Processed, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
        UMAP_X = "umap_x": F64,
        UMAP_Y = "umap_y": F64,
        /// Placed into the fitted maps by `timbral place`, not fitted.
        PLACED = "placed": Bool,
    } extra: embedding_columns;
    /// `data/processed/clusters`: each song's K-Means, DBSCAN and HDBSCAN label.
    clusters => Clusters("clusters", Processed, key: [TRACK_ID]) {
        TRACK_ID = "track_id": Str,
        KMEANS = "kmeans": I32,
        DBSCAN = "dbscan": I32,
        HDBSCAN = "hdbscan": I32,
        /// In HDBSCAN's fitted sample (the rest were assigned by placement).
        HDBSCAN_FITTED = "hdbscan_fitted": Bool,
    };
    /// `data/processed/model_selection`: K-Means scores per k.
    model_selection => ModelSelection("model_selection", Processed, key: []) {
        K = "k": U32,
        INERTIA = "inertia": F64,
        SILHOUETTE = "silhouette": F64 nullable,
        CALINSKI_HARABASZ = "calinski_harabasz": F64,
        DAVIES_BOULDIN = "davies_bouldin": F64,
        CHOSEN = "chosen": Bool,
    };
    /// `data/processed/kdistance`: the sorted k-distance curve DBSCAN's eps comes from.
    kdistance => KDistance("kdistance", Processed, key: []) {
        RANK = "rank": U32,
        DISTANCE = "distance": F64,
        KNEE = "knee": Bool,
    };
    /// `data/processed/cluster_quality`: named quality figures of the fit.
    cluster_quality => ClusterQuality("cluster_quality", Processed, key: [METRIC]) {
        METRIC = "metric": Str,
        VALUE = "value": F64,
    };
    /// `data/processed/cluster_model`: one row, the settings of the fit that `timbral place`
    /// extends (the per-feature scaler and loadings are in `scaler`).
    cluster_model => ClusterModel("cluster_model", Processed, key: []) {
        FEATURE_SET = "feature_set": Str,
        /// The space mapped and clustered: `study` (the features, z-scored) or a representation.
        SPACE = "space": Str,
        SONGS = "songs": U32,
        FEATURE_COUNT = "feature_count": U32,
        SEED = "seed": U64,
        /// The neighbour search used: `kd-tree`, `brute-force` or `nn-descent`.
        KNN = "knn": Str,
        UMAP_N_NEIGHBORS = "umap_n_neighbors": U32,
        UMAP_MIN_DIST = "umap_min_dist": F64,
        UMAP_METRIC = "umap_metric": Str,
        UMAP_DIMS = "umap_dims": U32,
        UMAP_EPOCHS = "umap_epochs": U32,
        KMEANS_K = "kmeans_k": U32,
        DBSCAN_EPS = "dbscan_eps": F64,
        DBSCAN_MIN_SAMPLES = "dbscan_min_samples": U32,
        HDBSCAN_MIN_CLUSTER_SIZE = "hdbscan_min_cluster_size": U32,
    };
    /// `data/processed/codebook_model`: the fitted `codebook` representation, one row per timbre
    /// coefficient: its standardisation and each codeword's centre on it (standardised).
    codebook_model => CodebookModel("codebook_model", Processed, key: [COEFFICIENT]) {
        COEFFICIENT = "coefficient": Str,
        MEAN = "mean": F64,
        STD = "std": F64,
        /// The `--seed` the codebook was fitted with.
        SEED = "seed": U64,
    } extra: codeword_columns;
    /// `data/processed/genre_density`: how each genre spreads over the clusters and the map.
    genre_density => GenreDensity("genre_density", Processed, key: [GENRE]) {
        GENRE = "genre": Str,
        SONGS = "songs": U32,
        LIBRARY_SHARE = "library_share": F64,
        CLUSTERS = "clusters": U32,
        CLUSTER_ENTROPY = "cluster_entropy": F64 nullable,
        NORMALISED_ENTROPY = "normalised_entropy": F64 nullable,
        MEAN_DISTANCE = "mean_distance": F64 nullable,
        LIBRARY_MEAN = "library_mean": F64,
        DISTANCE_RATIO = "distance_ratio": F64 nullable,
        CONCENTRATION_RANK = "concentration_rank": U32 nullable,
    };
    /// `data/processed/genre_clusters`: songs of each genre per cluster.
    genre_clusters => GenreClusters("genre_clusters", Processed, key: []) {
        GENRE = "genre": Str,
        CLUSTER = "cluster": I32,
        SONGS = "songs": U32,
        SHARE = "share": F64,
    };
    /// `data/processed/genre_grid`: each genre's density on a grid over the 2-D map.
    genre_grid => GenreGrid("genre_grid", Processed, key: []) {
        GENRE = "genre": Str,
        IX = "ix": U32,
        IY = "iy": U32,
        X = "x": F64,
        Y = "y": F64,
        DENSITY = "density": F64,
    };
    /// `data/processed/intra_artist`: how close each artist's songs sit, against chance.
    intra_artist => IntraArtist("intra_artist", Processed, key: [ARTIST_ID]) {
        ARTIST_ID = "artist_id": Str,
        ARTIST_NAME = "artist_name": Str,
        SONGS = "songs": U32,
        MEAN_DISTANCE = "mean_distance": F64,
        LIBRARY_MEAN = "library_mean": F64,
        RATIO = "ratio": F64,
        PERCENTILE = "percentile": F64,
        P_VALUE = "p_value": F64,
        COHESION_RANK = "cohesion_rank": U32,
    };
    /// `data/processed/artist_similarity`: each artist's nearest and farthest artists.
    artist_similarity => ArtistSimilarity("artist_similarity", Processed, key: []) {
        ARTIST_ID = "artist_id": Str,
        ARTIST_NAME = "artist_name": Str,
        OTHER_ARTIST_ID = "other_artist_id": Str,
        OTHER_ARTIST_NAME = "other_artist_name": Str,
        RELATION = "relation": Str,
        RANK = "rank": U32,
        DISTANCE = "distance": F64,
        PAIRS = "pairs": I64,
        SPACE = "space": Str,
    };
    /// `data/processed/recommendations`: each song's nearest songs.
    recommendations => Recommendations("recommendations", Processed, key: []) {
        TRACK_ID = "track_id": Str,
        RANK = "rank": U32,
        REC_TRACK_ID = "rec_track_id": Str,
        DISTANCE = "distance": F64,
        SAME_ARTIST = "same_artist": Bool,
        SPACE = "space": Str,
    };
    /// `data/processed/eval`: the evaluator's metrics and their thresholds.
    eval => Eval("eval", Processed, key: [METRIC]) {
        METRIC = "metric": Str,
        VALUE = "value": F64 nullable,
        THRESHOLD_MIN = "threshold_min": F64 nullable,
        THRESHOLD_MAX = "threshold_max": F64 nullable,
        PASSED = "passed": Bool nullable,
        DESCRIPTION = "description": Str,
    };
    /// `data/processed/representation_eval`: `timbral eval --compare`, every song
    /// representation scored on the same library, with seeded bootstrap intervals.
    representation_eval => RepresentationEval("representation_eval", Processed, key: []) {
        REPRESENTATION = "representation": Str,
        METRIC = "metric": Str,
        VALUE = "value": F64 nullable,
        CI_LOW = "ci_low": F64 nullable,
        CI_HIGH = "ci_high": F64 nullable,
        IS_DEFAULT = "is_default": Bool,
    };
}

impl Table {
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }
}

/// Spotify's high-level audio features, kept when a source has them.
pub const AUDIO_FEATURE_COLUMNS: [&str; 9] = [
    cols::audio_features::ACOUSTICNESS,
    cols::audio_features::DANCEABILITY,
    cols::audio_features::ENERGY,
    cols::audio_features::INSTRUMENTALNESS,
    cols::audio_features::LIVENESS,
    cols::audio_features::LOUDNESS,
    cols::audio_features::SPEECHINESS,
    cols::audio_features::VALENCE,
    cols::audio_features::TEMPO,
];

/// Number of principal-component scores kept in `embedding` (`pc_1..pc_5`) and of loadings
/// in `scaler` (`loading_1..loading_5`).
pub const PC_SCORES: usize = 5;

/// Codewords of the `codebook` representation (`codeword_0..codeword_63` in `codebook_model`).
pub const CODEWORDS: usize = 64;

/// `codeword_0..codeword_{CODEWORDS - 1}`: the centre columns of `codebook_model`.
pub fn codeword_names() -> Vec<String> {
    (0..CODEWORDS).map(|i| format!("codeword_{i}")).collect()
}

/// Dimensions of a song embedding in `embeddings` (musicnn's penultimate layer).
pub const EMBEDDING_DIMS: usize = 200;

/// `emb_0..emb_{EMBEDDING_DIMS - 1}`: the vector columns of `embeddings`.
pub fn embedding_vector_names() -> Vec<String> {
    (0..EMBEDDING_DIMS).map(|i| format!("emb_{i}")).collect()
}

/// Dimensions of the n-D UMAP map the contract requires (`umap_1, umap_2`); more may follow.
pub const MIN_UMAP_DIMS: usize = 2;

pub fn pitch_columns() -> Vec<String> {
    (0..12).map(|i| format!("pitch_{i}")).collect()
}

pub fn timbre_columns() -> Vec<String> {
    (0..12).map(|i| format!("timbre_{i}")).collect()
}

/// The study's 90 features: `t0..t11`, then the upper triangle of the covariance matrix
/// column by column (`t0_t0, t0_t1, t1_t1, t0_t2, ..., t11_t11`).
pub fn seed_feature_names() -> Vec<String> {
    let mut names: Vec<String> = (0..12).map(timbre_mean_column).collect();
    for j in 0..12 {
        for i in 0..=j {
            names.push(timbre_covariance_column(i, j));
        }
    }
    names
}

/// `t{i}`: the feature holding the mean of timbre coefficient `i`.
pub fn timbre_mean_column(i: usize) -> String {
    format!("t{i}")
}

/// `t{i}_t{j}` (`i <= j`): the feature holding the covariance of timbre coefficients `i`, `j`.
pub fn timbre_covariance_column(i: usize, j: usize) -> String {
    format!("t{i}_t{j}")
}

/// `pc_1..pc_n`: PCA score columns of `embedding`.
pub fn pc_columns(n: usize) -> Vec<String> {
    (1..=n).map(|c| format!("pc_{c}")).collect()
}

/// `loading_1..loading_n`: the PCA loading columns of `scaler`.
pub fn loading_names(n: usize) -> Vec<String> {
    (1..=n).map(|c| format!("loading_{c}")).collect()
}

/// `umap_1..umap_n`: the n-D map's columns of `embedding`.
pub fn umap_nd_columns(n: usize) -> Vec<String> {
    (1..=n).map(|c| format!("umap_{c}")).collect()
}

/// The `umap_1..umap_n` columns among `names` (a frame's or a schema's), in numeric order;
/// `umap_x`/`umap_y` are the 2-D map, not part of it.
pub fn umap_nd_columns_in<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut numbered: Vec<(usize, &str)> = names
        .into_iter()
        .filter_map(|name| Some((name.strip_prefix("umap_")?.parse().ok()?, name)))
        .collect();
    numbered.sort();
    numbered.into_iter().map(|(_, name)| name.to_string()).collect()
}

fn segment_vectors() -> Vec<ColumnSpec> {
    let vectors = pitch_columns().into_iter().chain(timbre_columns());
    vectors.map(|n| col(n, ColumnType::F32, false)).collect()
}

fn codeword_columns() -> Vec<ColumnSpec> {
    codeword_names().into_iter().map(|n| col(n, ColumnType::F64, false)).collect()
}

fn embedding_vector_columns() -> Vec<ColumnSpec> {
    embedding_vector_names().into_iter().map(|n| col(n, ColumnType::F32, false)).collect()
}

fn seed_feature_columns() -> Vec<ColumnSpec> {
    seed_feature_names().into_iter().map(|n| col(n, ColumnType::F64, false)).collect()
}

fn loading_columns() -> Vec<ColumnSpec> {
    loading_names(PC_SCORES).into_iter().map(|n| col(n, ColumnType::F64, false)).collect()
}

fn embedding_columns() -> Vec<ColumnSpec> {
    let names = pc_columns(PC_SCORES).into_iter().chain(umap_nd_columns(MIN_UMAP_DIMS));
    names.map(|n| col(n, ColumnType::F64, false)).collect()
}

fn col(name: String, ty: ColumnType, nullable: bool) -> ColumnSpec {
    ColumnSpec { name, ty, nullable }
}

impl TableSpec {
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Strict casts of the integer columns of `found` whose width or signedness differs from
    /// the contract's, for data from engines without unsigned integers (Spark writes `seg` as
    /// int64); a value out of range fails rather than wrapping.
    pub fn integer_casts(&self, found: &Schema) -> Vec<Expr> {
        self.columns
            .iter()
            .filter_map(|c| {
                let (have, want) = (found.get(c.name.as_str())?, c.ty.dtype());
                (have != &want && have.is_integer() && want.is_integer()).then(|| polars::prelude::col(c.name.as_str()).strict_cast(want))
            })
            .collect()
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
                    || column.name.starts_with("emb_")
                    || column.name.starts_with("codeword_")
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

/// Issue 17: column names are written once, in this file. A test walks the workspace's
/// non-test sources and fails on a contract column name written as a string literal where a
/// column is meant: inside the arguments of a column call (`col("track_id")`,
/// `Column::new(...)`, `strs(frame, t, ...)`), as a `df!`/`match` key (`"genre" => ...`) or as
/// an error's `column:` field.
#[cfg(test)]
mod literal_tests {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};

    use super::*;

    /// Calls whose arguments name columns.
    const COLUMN_CALLS: &[&str] = &[
        "col", "column", "Column::new", "Series::new", "alias", "strs", "f64s", "bools", "i64s", "u32s",
        "i32s", "str_lists", "strings", "has", "rows_where_in", "labels", "cluster_labels",
        "cluster_labels_of", "noise_share", "optional_f64", "push", "drop_in_place", "rename",
        "to_matrix", "select", "sort", "sort_by", "group_by", "is_in", "columns", "unique",
    ];

    /// Files that describe an input format's own field names (Spotify's analysis JSON, the
    /// metadata and audio-features CSV headers); they coincide with column names by design.
    const EXTERNAL_FORMATS: &[&str] = &[
        "crates/timbral-ingest/src/json/analysis.rs",
        "crates/timbral-ingest/src/json/metadata.rs",
        "crates/timbral-ingest/src/features_csv/columns.rs",
        "crates/timbral-ingest/src/audio/metadata.rs",
    ];

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The code before the file's test module.
    fn non_test(text: &str) -> &str {
        let mut at = 0;
        while let Some(i) = text[at..].find("#[cfg(test)]\n") {
            let start = at + i;
            let next = &text[start + "#[cfg(test)]\n".len()..];
            let line = next.lines().next().unwrap_or("");
            if (line.starts_with("mod ") || line.starts_with("pub mod ")) && line.ends_with('{') {
                return &text[..start];
            }
            at = start + 1;
        }
        text
    }

    /// String literals of `line` where a column is meant.
    fn column_literals(line: &str) -> Vec<&str> {
        let bytes = line.as_bytes();
        let mut found = Vec::new();
        let literal_at = |i: usize| line[i + 1..].find('"').map(|j| &line[i + 1..i + 1 + j]);
        for call in COLUMN_CALLS {
            let pattern = format!("{call}(");
            for (start, _) in line.match_indices(&pattern) {
                let before = line[..start].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let (mut i, mut depth) = (start + pattern.len(), 0usize);
                while i < bytes.len() {
                    match bytes[i] {
                        b'(' | b'[' => depth += 1,
                        b')' | b']' if depth == 0 => break,
                        b')' | b']' => depth -= 1,
                        b'"' => match literal_at(i) {
                            Some(lit) => {
                                found.push(lit);
                                i += lit.len() + 1;
                            }
                            None => break,
                        },
                        _ => {}
                    }
                    i += 1;
                }
            }
        }
        for (i, _) in line.match_indices('"') {
            if let Some(lit) = literal_at(i) {
                let after = line[i + lit.len() + 2..].trim_start();
                let before = line[..i].trim_end();
                if after.starts_with("=>") || before.ends_with("column:") {
                    found.push(lit);
                }
            }
        }
        found
    }

    /// Bracketed lists made only of string literals (`["track_id", "seg"]`).
    fn literal_lists(line: &str) -> Vec<Vec<&str>> {
        let mut lists = Vec::new();
        for (open, _) in line.match_indices('[') {
            let Some(len) = line[open..].find(']') else { continue };
            let inner = &line[open + 1..open + len];
            let parts: Vec<&str> = inner.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
            let literals: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.strip_prefix('"')?.strip_suffix('"'))
                .filter(|l| !l.contains('"'))
                .collect();
            if literals.len() >= 2 && literals.len() == parts.len() {
                lists.push(literals);
            }
        }
        lists
    }

    #[test]
    fn column_names_are_written_only_in_the_contract() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let names: HashSet<String> = Table::ALL
            .iter()
            .flat_map(|t| t.spec().columns.into_iter().map(|c| c.name))
            .collect();
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        for krate in std::fs::read_dir(root.join("crates")).unwrap() {
            let src = krate.unwrap().path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        assert!(files.len() > 50, "found only {} source files under {}", files.len(), root.display());
        let mut offences = Vec::new();
        for file in &files {
            let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            if relative.ends_with("timbral-core/src/contract.rs") || EXTERNAL_FORMATS.contains(&relative.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in non_test(&text).lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") || code.starts_with("#[") {
                    continue;
                }
                let lists = literal_lists(line).into_iter().filter(|l| l.iter().all(|lit| names.contains(*lit)));
                for lit in column_literals(line).into_iter().chain(lists.flatten()) {
                    if names.contains(lit) {
                        offences.push(format!("{relative}:{}: \"{lit}\" (use timbral_core::cols)", n + 1));
                    }
                }
            }
        }
        assert!(offences.is_empty(), "column names written as literals:\n{}", offences.join("\n"));
    }

    #[test]
    fn the_literal_finder_sees_column_calls_keys_and_error_fields() {
        let line = r#"df!("genre" => g, x => y); col("track_id").alias("n"); Column::new(a, f("umap_x")); column: "seg".into()"#;
        let found = column_literals(line);
        for lit in ["genre", "track_id", "n", "umap_x", "seg"] {
            assert!(found.contains(&lit), "{lit} not found in {found:?}");
        }
        assert!(column_literals(r#"println!("{:>4}", "rank"); bar(8, "cluster")"#).is_empty());
        assert_eq!(literal_lists(r#"let c = ["track_id", "seg"]; let h = [x, "rank"];"#), vec![vec!["track_id", "seg"]]);
    }
}
