//! `timbral._timbral`: the Python face of timbral's Rust crates, for notebooks and Spark
//! tasks. The Rust code stays the single implementation: each function here converts Arrow
//! data in and out ([`arrow`]), releases the GIL, runs the library call in a rayon pool of the
//! requested size, and turns every error (and any panic) into `timbral.TimbralError` with the
//! library's message, which names the file, table, column or value.

mod arrow;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use timbral_cluster::{ClusterParams, ParamGuard, PlaceOptions, PlacementModel};
use timbral_core::error::panic_message;
use timbral_core::neighbors::KnnMethod;
use timbral_core::{FeatureSet, Workdir, errors_log};
use timbral_ingest::audio::{
    AnalyzerConfig, AudioFile, AudioIngestOptions, EmbedOptions, MetadataOverrides, analyse_files, find_audio_files,
};
use timbral_ingest::tables::{embeddings_frame, segments_frame, tracks_frame};

use crate::arrow::{Table, import_frame};

pyo3::create_exception!(_timbral, TimbralError, PyException, "A timbral error: bad input, a missing table or column, a failed step.");

/// Runs `work` without the GIL in a pool of `threads` workers (0: one per core); a
/// `timbral_core::Error` or a panic becomes a `TimbralError`.
fn run<T: Send>(py: Python<'_>, threads: usize, work: impl FnOnce() -> timbral_core::Result<T> + Send) -> PyResult<T> {
    let outcome = py.detach(|| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| format!("starting {threads} worker threads: {e}"))?;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.install(work)));
        match caught {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(payload) => Err(format!("internal error (a bug in timbral): {}", panic_message(payload.as_ref()))),
        }
    });
    outcome.map_err(TimbralError::new_err)
}

fn table(frame: DataFrame) -> Table {
    Table { frame }
}

fn feature_set(name: &str) -> PyResult<FeatureSet> {
    name.parse().map_err(|e: timbral_core::Error| TimbralError::new_err(e.to_string()))
}

fn knn_method(name: &str) -> PyResult<KnnMethod> {
    name.parse().map_err(|e: timbral_core::Error| TimbralError::new_err(e.to_string()))
}

/// Audio files under `dirs`, as `timbral ingest audio` finds them: (files, errors), files with
/// `path` (as found) and `relative` (the `tracks.location`), sorted by relative path.
#[pyfunction]
fn scan(py: Python<'_>, dirs: Vec<PathBuf>) -> PyResult<(Table, Table)> {
    run(py, 1, || {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for dir in &dirs {
            let (found, walk_errors) = find_audio_files(dir)?;
            files.extend(found);
            errors.extend(walk_errors);
        }
        let paths: Vec<String> = files.iter().map(AudioFile::error_location).collect();
        let relative: Vec<&str> = files.iter().map(|f| f.relative.as_str()).collect();
        let frame = DataFrame::new_infer_height(vec![Column::new("path".into(), paths), Column::new("relative".into(), relative)])
            .map_err(|e| timbral_core::Error::polars("listing audio files", e))?;
        Ok((table(frame), table(errors_log::errors_frame(&errors)?)))
    })
}

/// Analyses audio files exactly as `timbral ingest audio` does: (tracks, segments, embeddings,
/// errors) in the table contract. `relative` gives each file's `location` (default: its file
/// name); a file that cannot be analysed becomes an `errors` row. With `embed`, each song's
/// musicnn embedding over at most `max_patches` patches (`ingest audio --max-patches`);
/// without, `embeddings` has no rows.
#[pyfunction]
#[pyo3(signature = (
    paths, relative = None, metadata = None, threads = 0, file_timeout = 600.0, embed = true,
    max_patches = EmbedOptions::default().max_patches,
))]
#[allow(clippy::too_many_arguments)]
fn analyze(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    relative: Option<Vec<String>>,
    metadata: Option<PathBuf>,
    threads: usize,
    file_timeout: f64,
    embed: bool,
    max_patches: usize,
) -> PyResult<(Table, Table, Table, Table)> {
    if let Some(relative) = &relative
        && relative.len() != paths.len()
    {
        return Err(TimbralError::new_err(format!(
            "`relative`: {} entries for {} paths",
            relative.len(),
            paths.len()
        )));
    }
    if !(file_timeout.is_finite() && file_timeout > 0.0) {
        return Err(TimbralError::new_err(format!("`file_timeout`: {file_timeout} is not a positive number of seconds")));
    }
    if max_patches == 0 {
        return Err(TimbralError::new_err("`max_patches`: 0; a song's embedding needs at least 1 patch"));
    }
    run(py, threads, || {
        let files: Vec<AudioFile> = paths
            .iter()
            .enumerate()
            .map(|(i, path)| AudioFile {
                path: path.clone(),
                relative: match &relative {
                    Some(relative) => relative[i].clone(),
                    None => file_name(path),
                },
            })
            .collect();
        let overrides = metadata.as_deref().map(MetadataOverrides::read).transpose()?;
        let options = AudioIngestOptions {
            analyzer: AnalyzerConfig { time_limit: Some(std::time::Duration::from_secs_f64(file_timeout)), ..Default::default() },
            embed: embed.then_some(EmbedOptions { max_patches }),
            ..Default::default()
        };
        let analysed = analyse_files(&files, &options, overrides.as_ref());
        let tracks = tracks_frame(&analysed.batch.tracks)?;
        let segments = segments_frame(&analysed.batch.segments)?;
        let embeddings = embeddings_frame(&analysed.batch.embeddings)?;
        Ok((table(tracks), table(segments), table(embeddings), table(errors_log::errors_frame(&analysed.errors)?)))
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// The `features` rows of `segments` (every segment of each track; `sections` for the
/// extended set's section columns), as the `features` stage computes them, and the
/// `ingest_errors` rows of the tracks it leaves out.
#[pyfunction]
#[pyo3(signature = (segments, set = "seed", sections = None, threads = 0))]
fn features(
    py: Python<'_>,
    segments: &Bound<'_, PyAny>,
    set: &str,
    sections: Option<&Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<(Table, Table)> {
    let set = feature_set(set)?;
    let segments = import_frame(segments, "segments")?;
    let sections = sections.map(|s| import_frame(s, "sections")).transpose()?;
    run(py, threads, || {
        let segments = conform(timbral_core::Table::Segments, segments)?;
        let sections = sections.map(|s| conform(timbral_core::Table::Sections, s)).transpose()?;
        let sorted = segments
            .sort([timbral_core::cols::segments::TRACK_ID], SortMultipleOptions::default().with_maintain_order(true))
            .map_err(|e| timbral_core::Error::polars("sorting segments", e))?;
        let (features, excluded) = timbral_features::features_and_exclusions_of_complete_tracks(sorted, sections, set)?;
        let errors: Vec<_> = excluded.iter().map(timbral_features::ExcludedTrack::error).collect();
        Ok((table(features), table(errors_log::errors_frame(&errors)?)))
    })
}

/// Per-track partial sums of the seed features over any subset of the segment rows.
#[pyfunction]
#[pyo3(signature = (segments, threads = 0))]
fn feature_moments(py: Python<'_>, segments: &Bound<'_, PyAny>, threads: usize) -> PyResult<Table> {
    let segments = import_frame(segments, "segments")?;
    run(py, threads, || timbral_features::moments::track_moments(segments).map(table))
}

/// The seed features of every track from its pieces (rows of `feature_moments`, one table or
/// a list of them, in any order).
#[pyfunction]
#[pyo3(signature = (parts, threads = 0))]
fn merge_moments(py: Python<'_>, parts: &Bound<'_, PyAny>, threads: usize) -> PyResult<Table> {
    let frames: Vec<DataFrame> = match parts.extract::<Vec<Bound<'_, PyAny>>>() {
        Ok(list) if !parts.hasattr("__arrow_c_stream__")? => {
            list.iter().enumerate().map(|(i, p)| import_frame(p, &format!("parts[{i}]"))).collect::<PyResult<_>>()?
        }
        _ => vec![import_frame(parts, "parts")?],
    };
    run(py, threads, || {
        let mut frames = frames.into_iter();
        let mut all = frames.next().unwrap_or_default();
        for frame in frames {
            all.vstack_mut_owned(frame).map_err(|e| timbral_core::Error::polars("concatenating moment parts", e))?;
        }
        timbral_features::moments::merge_moments(all).map(table)
    })
}

/// Casts integer columns to the contract's types (data from engines without unsigned
/// integers) and validates the frame against `table`'s schema.
fn conform(table: timbral_core::Table, frame: DataFrame) -> timbral_core::Result<DataFrame> {
    let spec = table.spec();
    let casts = spec.integer_casts(frame.schema());
    let frame = if casts.is_empty() {
        frame
    } else {
        frame.lazy().with_columns(casts).collect().map_err(|e| timbral_core::Error::polars(format!("table `{}`", table.name()), e))?
    };
    spec.validate_schema(frame.schema())?;
    Ok(frame)
}

/// `timbral cluster` on `workdir` (its `data/processed/features.parquet`); returns a summary.
#[pyfunction]
#[pyo3(signature = (workdir, seed = 42, knn = "auto", threads = 0))]
fn cluster<'py>(py: Python<'py>, workdir: PathBuf, seed: u64, knn: &str, threads: usize) -> PyResult<Bound<'py, PyDict>> {
    let params = ClusterParams::new(seed).knn(knn_method(knn)?).check().map_err(|e| TimbralError::new_err(e.to_string()))?;
    let summary = run(py, threads, || timbral_cluster::run(&Workdir::new(&workdir), &params))?;
    let out = PyDict::new(py);
    out.set_item("songs", summary.songs)?;
    out.set_item("features", summary.features)?;
    out.set_item("chosen_k", summary.chosen_k)?;
    out.set_item("quality", summary.quality.into_iter().collect::<Vec<_>>())?;
    out.set_item("warnings", summary.warnings)?;
    Ok(out)
}

/// A model fitted by `timbral cluster` in a workdir, loaded once and used to place any number
/// of batches of songs.
#[pyclass(frozen, module = "timbral._timbral")]
struct Model {
    inner: PlacementModel,
}

#[pymethods]
impl Model {
    #[new]
    fn new(py: Python<'_>, model_dir: PathBuf) -> PyResult<Self> {
        let inner = run(py, 1, || PlacementModel::load(&Workdir::new(&model_dir)))?;
        Ok(Model { inner })
    }

    /// Track ids of the fitted songs.
    #[getter]
    fn fitted_track_ids(&self) -> Vec<String> {
        self.inner.track_ids.clone()
    }

    /// (embedding, clusters) rows of the songs of `features`, placed without refitting.
    /// `catalogue_songs`: songs placed in all, across batches (sets the UMAP epochs; default:
    /// this batch's size).
    #[pyo3(signature = (features, seed = 42, knn = "auto", catalogue_songs = None, threads = 0))]
    fn place(
        &self,
        py: Python<'_>,
        features: &Bound<'_, PyAny>,
        seed: u64,
        knn: &str,
        catalogue_songs: Option<usize>,
        threads: usize,
    ) -> PyResult<(Table, Table)> {
        let knn = knn_method(knn)?;
        let features = import_frame(features, "features")?;
        run(py, threads, || {
            let options = PlaceOptions { knn, seed, catalogue_songs: catalogue_songs.unwrap_or(features.height()) };
            let placed = self.inner.place(&features, &options)?;
            Ok((table(placed.embedding_rows()?), table(placed.cluster_rows()?)))
        })
    }
}

/// Per-artist sums (`songs`, `sum_<column>`, `sum_sq`) of the vector `columns` of `values`
/// (default: every float column but `track_id`), artists from `tracks`.
#[pyfunction]
#[pyo3(signature = (values, tracks, columns = None, threads = 0))]
fn artist_moments(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    tracks: &Bound<'_, PyAny>,
    columns: Option<Vec<String>>,
    threads: usize,
) -> PyResult<Table> {
    let values = import_frame(values, "values")?;
    let tracks = import_frame(tracks, "tracks")?;
    let columns = columns.unwrap_or_else(|| {
        values
            .columns()
            .iter()
            .filter(|c| c.dtype().is_float())
            .map(|c| c.name().to_string())
            .collect()
    });
    run(py, threads, || timbral_similarity::artist_moments::artist_sums(&values, &tracks, &columns).map(table))
}

/// `timbral similarity` on `workdir` (tracks, features, embedding, clusters).
#[pyfunction]
#[pyo3(signature = (workdir, seed = 42, threads = 0))]
fn similarity<'py>(py: Python<'py>, workdir: PathBuf, seed: u64, threads: usize) -> PyResult<Bound<'py, PyDict>> {
    let params = timbral_similarity::SimilarityParams::builder()
        .seed(seed)
        .check()
        .map_err(|e| TimbralError::new_err(e.to_string()))?;
    let summary = run(py, threads, || timbral_similarity::run(&Workdir::new(&workdir), &params))?;
    let out = PyDict::new(py);
    out.set_item("songs", summary.songs)?;
    out.set_item("artists", summary.artists)?;
    out.set_item("genres", summary.genres)?;
    out.set_item("space", summary.space.name())?;
    out.set_item("library_mean_distance", summary.library_mean_distance)?;
    Ok(out)
}

#[pymodule]
fn _timbral(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Library code draws no progress bars in a Python process (notebooks, Spark tasks).
    timbral_core::progress::set_quiet(true);
    m.add("TimbralError", m.py().get_type::<TimbralError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // `analyze`'s default, for the Python wrapper's signature.
    m.add("DEFAULT_MAX_PATCHES", EmbedOptions::default().max_patches)?;
    m.add_class::<Table>()?;
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    m.add_function(wrap_pyfunction!(feature_moments, m)?)?;
    m.add_function(wrap_pyfunction!(merge_moments, m)?)?;
    m.add_function(wrap_pyfunction!(cluster, m)?)?;
    m.add_function(wrap_pyfunction!(artist_moments, m)?)?;
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    Ok(())
}
