//! The stage, step by step: reduce (standardise, PCA), select k (K-Means over the range, the
//! kNN graph, silhouettes), embed (UMAP 2-D and n-D), density (DBSCAN, HDBSCAN), quality and
//! stability (`stability.rs`), and the tables they go to. Every step whose
//! exact form is quadratic in songs switches to a sample or an approximate graph above a
//! documented size (see `docs/clustering.md`, "At catalogue scale").

use std::time::Instant;

use timbral_core::progress::ProgressBar;
use ndarray::{Array2, ArrayView2};
use timbral_core::neighbors::{Method, distance_rows, nearest_in_row};
use timbral_core::progress::Stopwatch;
use timbral_core::{Result, Space, Table, Workdir};

use crate::density;
use crate::distance::{Graph, prepare, self_graph};
use crate::hyperparams::{ClusterValidParams, Metric, QUALITY_K};
use crate::kmeans::{self, KMeansSelection};
use crate::metrics;
use crate::pca::Pca;
use timbral_core::scaler::Scaler;
use crate::tables::{self, FeatureInput};
use crate::output::{ClusterOutput, ClusterSummary, PC_SCORES, StabilityFigures};
use crate::model::ClusterModel;
use crate::stability::{Labelings, stability};
use crate::umap::{self, UmapModel};

/// Runs the stage on `features` (the study's space) and writes the tables of
/// [`tables::CLUSTER_TABLES`].
pub fn run(workdir: &Workdir, params: &ClusterValidParams) -> Result<ClusterSummary> {
    let started = Instant::now();
    let frame = workdir.read_table(Table::Features)?;
    let input = tables::feature_input(&frame, params.feature_set)?;
    drop(frame);
    run_on(workdir, input, params, started)
}

/// Runs the stage on `input` (read since `started`) and writes the tables of
/// [`tables::CLUSTER_TABLES`].
pub fn run_on(workdir: &Workdir, input: FeatureInput, params: &ClusterValidParams, started: Instant) -> Result<ClusterSummary> {
    let load_seconds = started.elapsed().as_secs_f64();
    let mut out = cluster_in_space(input.track_ids, input.feature_names, input.data.view(), input.space, params)?;
    out.timings.insert(0, ("load", load_seconds));
    let write_started = Instant::now();
    // In the order of `CLUSTER_TABLES`.
    let builders: [FrameBuilder; 8] = [
        tables::scaler_frame,
        tables::pca_frame,
        tables::embedding_frame,
        tables::clusters_frame,
        tables::model_selection_frame,
        tables::kdistance_frame,
        tables::quality_frame,
        |out| out.model.frame(),
    ];
    for (table, build) in tables::CLUSTER_TABLES.into_iter().zip(builders) {
        workdir.write_table(table, &mut build(&out)?)?;
    }
    out.timings.push(("write", write_started.elapsed().as_secs_f64()));
    out.timings.push(("total", started.elapsed().as_secs_f64()));
    tracing::info!(
        songs = out.track_ids.len(),
        chosen_k = out.kmeans.chosen_k,
        seconds = started.elapsed().as_secs_f64(),
        "cluster stage done"
    );
    Ok(ClusterSummary {
        songs: out.track_ids.len(),
        features: out.scaler.features.len(),
        chosen_k: out.kmeans.chosen_k,
        quality: out.quality(),
        warnings: out.warnings,
        timings: out.timings,
    })
}

/// Builds one output table from the stage's results.
type FrameBuilder = fn(&ClusterOutput) -> Result<polars::prelude::DataFrame>;

/// Runs `f` and returns its result with the seconds it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed().as_secs_f64())
}

/// The stage's stopwatch and progress bar: each finished step laps both.
struct Steps {
    clock: Stopwatch,
    bar: ProgressBar,
}

impl Steps {
    fn done(&mut self, step: &'static str) {
        self.clock.lap(step);
        self.bar.inc(1);
    }

    fn record(&mut self, step: &'static str, seconds: f64) {
        self.clock.record(step, seconds);
        self.bar.inc(1);
    }
}

/// The whole computation on an in-memory matrix of features (rows are songs), without any
/// I/O: standardise and reduce, select k, embed, then density clustering beside the quality
/// and stability checks.
pub fn cluster_matrix(
    track_ids: Vec<String>,
    feature_names: Vec<String>,
    data: ArrayView2<f64>,
    params: &ClusterValidParams,
) -> Result<ClusterOutput> {
    cluster_in_space(track_ids, feature_names, data, Space::Study, params)
}

/// [`cluster_matrix`] on the rows of any space: `study` features are standardised, other
/// spaces' coordinates are taken as they are (see [`FeatureInput::space`]).
pub fn cluster_in_space(
    track_ids: Vec<String>,
    feature_names: Vec<String>,
    data: ArrayView2<f64>,
    space: Space,
    params: &ClusterValidParams,
) -> Result<ClusterOutput> {
    let (params, warnings) = params.fit_to(data.nrows())?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let n = data.nrows();
    let mut steps = Steps { clock: Stopwatch::new(), bar: timbral_core::progress::bar(9, "cluster") };
    let reduced = reduce(feature_names, data, space == Space::Study, &mut steps)?;
    let prepared = prepare(reduced.standardised.view(), params.metric);
    let (knn_method, graph, kmeans) = select_k(reduced.standardised.view(), prepared.view(), &params, &mut steps)?;
    let settings = params.umap_settings(n);
    let maps =
        umap::fit_maps(prepared.view(), &graph, params.umap_dims, params.umap_max_fit, &track_ids, params.knn, &settings, params.seed)?;
    let (umap_2d, umap_nd, umap_fitted) = (maps.map_2d, maps.map_nd, maps.fitted);
    steps.done("umap");
    let dbscan = density::dbscan_at_knee(umap_2d.view(), params.dbscan_min_samples);
    steps.done("dbscan");

    // HDBSCAN is single-threaded, so it runs beside the quality metrics and the stability
    // refits, which keep the other cores busy; each reports its own duration.
    let ((hdbscan, hdbscan_seconds), rest) = rayon::join(
        || timed(|| density::hdbscan_sampled(umap_nd.view(), Some(&umap_fitted), params.hdbscan_min_cluster_size, params.hdbscan_max_fit, params.seed)),
        || -> Result<_> {
            let (quality, quality_seconds) = timed(|| neighbourhood_figures(prepared.view(), umap_2d.view(), &graph, params.seed));
            let base = Labelings { kmeans: &kmeans.labels, dbscan: &dbscan.labels };
            let (stability, stability_seconds) =
                timed(|| stability(reduced.standardised.view(), prepared.view(), &graph, base, kmeans.chosen_k, &params));
            Ok((quality?, quality_seconds, stability?, stability_seconds))
        },
    );
    let hdbscan = hdbscan?;
    let (neighbourhood, quality_seconds, stability, stability_seconds) = rest?;
    steps.record("hdbscan", hdbscan_seconds);
    steps.record("quality", quality_seconds);
    steps.record("stability", stability_seconds);
    steps.bar.finish_and_clear();
    let stability = StabilityFigures { songs: stability.songs, aris: stability.aris(&hdbscan.labels) };
    let Reduced { scaler, standardised, pca, pca_scores } = reduced;
    let model = ClusterModel::new(&params, space, n, scaler.features.len(), knn_method.name(), settings, kmeans.chosen_k, dbscan.eps);
    let model_nd = UmapModel { reference: standardised, embedding: umap_nd.clone(), settings };
    Ok(ClusterOutput {
        track_ids,
        params,
        warnings,
        scaler,
        pca,
        pca_scores,
        kmeans,
        umap_2d,
        umap_nd,
        dbscan,
        hdbscan,
        neighbourhood,
        stability,
        umap_fitted: umap_fitted.iter().filter(|&&f| f).count(),
        model,
        timings: steps.clock.into_laps(),
        model_nd,
    })
}

/// The standardised features and their principal components.
struct Reduced {
    scaler: Scaler,
    standardised: Array2<f64>,
    pca: Pca,
    pca_scores: Array2<f64>,
}

fn reduce(feature_names: Vec<String>, data: ArrayView2<f64>, standardise: bool, steps: &mut Steps) -> Result<Reduced> {
    let scaler = if standardise { Scaler::fit(feature_names, data) } else { Scaler::identity(feature_names) };
    let standardised = scaler.transform(data);
    steps.done("standardise");
    let pca = Pca::fit(standardised.view())?;
    let pca_scores = pca.scores(standardised.view(), PC_SCORES);
    steps.done("pca");
    Ok(Reduced { scaler, standardised, pca, pca_scores })
}

/// K-Means for every k of the range, the kNN graph, and the k whose silhouette is best.
fn select_k(
    standardised: ArrayView2<f64>,
    prepared: ArrayView2<f64>,
    params: &ClusterValidParams,
    steps: &mut Steps,
) -> Result<(Method, Graph, KMeansSelection)> {
    let labelings = kmeans::fit_range(standardised, params.k_min, params.k_max, params.kmeans_runs, params.seed)?;
    steps.done("kmeans");
    let (method, graph, silhouettes) = graph_and_silhouettes(standardised, prepared, &labelings, params)?;
    let selection = kmeans::select(standardised, params.k_min, labelings, &silhouettes);
    steps.done("knn_silhouette");
    Ok((method, graph, selection))
}

/// The kNN graph of the prepared rows and every K-Means labeling's silhouette. While both are
/// exact and the metric is euclidean, one pass over the distance rows gives both.
fn graph_and_silhouettes(
    standardised: ArrayView2<f64>,
    prepared: ArrayView2<f64>,
    labelings: &[Vec<usize>],
    params: &ClusterValidParams,
) -> Result<(Method, Graph, Vec<f64>)> {
    let n = prepared.nrows();
    let graph_k = params.n_neighbors.max(QUALITY_K).min(n - 1);
    let exact = !params.knn.is_approximate(n, n);
    if exact && params.metric == Metric::Euclidean && n <= params.silhouette_max_exact {
        let scorer = metrics::SilhouetteScorer::new(labelings);
        let rows = distance_rows(prepared, prepared, |i, row| (nearest_in_row(row, graph_k, Some(i)), scorer.point(i, row)));
        let (nearest, per_point): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        return Ok((Method::BruteForce, Graph::from_rows(nearest, params.metric), scorer.mean(&per_point)));
    }
    let (method, graph) = self_graph(prepared, graph_k, params.metric, params.knn, params.seed)?;
    let silhouettes = metrics::silhouettes(standardised, labelings, params.silhouette_max_exact, params.seed);
    Ok((method, graph, silhouettes))
}

/// Trustworthiness, neighbour preservation and the graph's recall, on the rows
/// [`metrics::quality_rows`] picks.
fn neighbourhood_figures(
    prepared: ArrayView2<f64>,
    map_2d: ArrayView2<f64>,
    graph: &Graph,
    seed: u64,
) -> Result<metrics::NeighbourhoodQuality> {
    let n = prepared.nrows();
    let k = QUALITY_K.min(n - 1);
    let embedded_knn = metrics::self_knn(map_2d, k)?;
    let rows = metrics::quality_rows(n, seed);
    Ok(metrics::neighbourhood_quality(prepared, &embedded_knn, &graph.indices, k, &rows))
}
