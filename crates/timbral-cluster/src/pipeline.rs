//! The stage: standardise, PCA, K-Means model selection, exact kNN, UMAP 2-D and n-D,
//! DBSCAN, HDBSCAN, quality metrics, and the tables they go to.

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use timbral_core::{Result, Table, Workdir};

use crate::density::{self, DbscanResult};
use crate::distance::{knn, map_distance_rows, nearest_in_row, prepare};
use crate::hyperparams::{ClusterParams, Metric, QUALITY_K};
use crate::kmeans::{self, KMeansSelection};
use crate::metrics;
use crate::pca::Pca;
use crate::scaler::Scaler;
use crate::tables;
use crate::umap::{self, UmapModel, UmapSettings};

/// Number of principal-component scores kept in `embedding`.
pub const PC_SCORES: usize = 5;

/// Everything the stage computes, before it is written.
#[derive(Debug, Clone)]
pub struct ClusterOutput {
    pub track_ids: Vec<String>,
    /// The parameters actually used (after any reduction for few songs).
    pub params: ClusterParams,
    pub warnings: Vec<String>,
    pub scaler: Scaler,
    pub pca: Pca,
    pub pca_scores: Array2<f64>,
    pub kmeans: KMeansSelection,
    pub umap_2d: Array2<f64>,
    pub umap_nd: Array2<f64>,
    pub dbscan: DbscanResult,
    pub hdbscan_labels: Vec<i32>,
    /// `(metric, value)` rows of `cluster_quality`, in a fixed order.
    pub quality: Vec<(&'static str, f64)>,
    /// Seconds per step, in execution order. `hdbscan` runs beside `quality` and `stability`,
    /// so those three overlap; `total` (added by [`run`]) is the wall time.
    pub timings: Vec<(&'static str, f64)>,
    /// The n-D embedding as a model that new songs can be placed into.
    pub model_nd: UmapModel,
}

impl ClusterOutput {
    /// Looks up a `cluster_quality` value by name.
    pub fn quality(&self, metric: &str) -> Option<f64> {
        self.quality.iter().find(|(n, _)| *n == metric).map(|(_, v)| *v)
    }
}

/// What `timbral cluster` reports.
#[derive(Debug, Clone)]
pub struct ClusterSummary {
    pub songs: usize,
    pub features: usize,
    pub chosen_k: usize,
    pub quality: Vec<(&'static str, f64)>,
    pub warnings: Vec<String>,
    pub timings: Vec<(&'static str, f64)>,
}

struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch { last: Instant::now(), laps: Vec::new() }
    }

    /// Records a step that ran beside others with its own duration, and restarts the lap.
    fn record(&mut self, step: &'static str, seconds: f64) {
        tracing::debug!(step, seconds, "cluster step done");
        self.laps.push((step, seconds));
        self.last = Instant::now();
    }

    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        tracing::debug!(step, seconds, "cluster step done");
        self.laps.push((step, seconds));
        self.last = now;
    }
}

/// Runs the stage on `features` and writes `scaler`, `pca`, `embedding`, `clusters`,
/// `model_selection`, `kdistance` and `cluster_quality`.
pub fn run(workdir: &Workdir, params: &ClusterParams) -> Result<ClusterSummary> {
    params.check()?;
    let started = Instant::now();
    let frame = workdir.read_table(Table::Features)?;
    let input = tables::feature_input(&frame, params.feature_set)?;
    drop(frame);
    let load_seconds = started.elapsed().as_secs_f64();
    let mut out = cluster_matrix(input.track_ids, input.feature_names, input.data.view(), params)?;
    out.timings.insert(0, ("load", load_seconds));
    let write_started = Instant::now();
    let writes: [(Table, FrameBuilder); 7] = [
        (Table::Scaler, tables::scaler_frame),
        (Table::Pca, tables::pca_frame),
        (Table::Embedding, tables::embedding_frame),
        (Table::Clusters, tables::clusters_frame),
        (Table::ModelSelection, tables::model_selection_frame),
        (Table::KDistance, tables::kdistance_frame),
        (Table::ClusterQuality, tables::quality_frame),
    ];
    for (table, build) in writes {
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
        quality: out.quality,
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

/// The whole computation on an in-memory matrix (rows are songs), without any I/O.
pub fn cluster_matrix(
    track_ids: Vec<String>,
    feature_names: Vec<String>,
    data: ArrayView2<f64>,
    params: &ClusterParams,
) -> Result<ClusterOutput> {
    params.check()?;
    let (params, warnings) = params.fit_to(data.nrows())?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let n = data.nrows();
    let bar = timbral_core::progress::bar(8, "cluster");
    let mut clock = Stopwatch::new();

    let scaler = Scaler::fit(feature_names, data);
    let standardised = scaler.transform(data);
    clock.lap("standardise");
    bar.inc(1);

    let pca = Pca::fit(standardised.view())?;
    let pca_scores = pca.scores(standardised.view(), PC_SCORES);
    clock.lap("pca");
    bar.inc(1);

    let labelings = kmeans::fit_range(standardised.view(), params.k_min, params.k_max, params.kmeans_runs, params.seed)?;
    clock.lap("kmeans");
    bar.inc(1);

    // One pass over the exact distances gives both the kNN graph and, when the metric is
    // Euclidean and the silhouette is exact, every k's silhouette.
    let prepared = prepare(standardised.view(), params.metric);
    let graph_k = params.n_neighbors.max(QUALITY_K).min(n - 1);
    let scorer = metrics::SilhouetteScorer::new(&labelings);
    let (knn_indices, knn_distances, silhouettes) =
        if params.metric == Metric::Euclidean && n <= params.silhouette_max_exact {
            let rows = map_distance_rows(prepared.view(), prepared.view(), |i, row| {
                (nearest_in_row(row, graph_k, Some(i)), scorer.point(i, row))
            });
            let (nearest, per_point): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
            let (indices, distances) = nearest
                .into_iter()
                .map(|row: Vec<(f64, usize)>| row.into_iter().map(|(d, j)| (j, d)).unzip::<_, _, Vec<_>, Vec<_>>())
                .unzip();
            (indices, distances, scorer.mean(&per_point))
        } else {
            let (indices, distances) = knn(prepared.view(), prepared.view(), graph_k, true, params.metric);
            let silhouettes =
                metrics::silhouettes(standardised.view(), &labelings, params.silhouette_max_exact, params.seed);
            (indices, distances, silhouettes)
        };
    let kmeans = kmeans::select(standardised.view(), params.k_min, labelings, &silhouettes);
    clock.lap("knn_silhouette");
    bar.inc(1);

    let settings = UmapSettings {
        n_neighbors: params.n_neighbors,
        min_dist: params.min_dist,
        metric: params.metric,
        n_epochs: ClusterParams::umap_epochs(n),
    };
    let embed = |dims: usize, seed: u64| {
        umap::fit(prepared.view(), &knn_indices, &knn_distances, dims, &settings, seed)
    };
    let umap_2d = embed(2, params.seed)?;
    clock.lap("umap_2d");
    let umap_nd = embed(params.umap_dims, params.seed)?;
    clock.lap("umap_nd");
    bar.inc(1);

    let dbscan = density::dbscan_at_knee(umap_2d.view(), params.dbscan_min_samples);
    clock.lap("dbscan");
    bar.inc(1);

    // HDBSCAN is single-threaded, so it runs beside the quality metrics and the stability
    // refits, which keep the other cores busy; each reports its own duration.
    let quality_k = QUALITY_K.min(n - 1);
    let seeds: Vec<u64> = (1..params.stability_seeds as u64).map(|i| params.seed.wrapping_add(i)).collect();
    let ((hdbscan_labels, hdbscan_seconds), rest) = rayon::join(
        || timed(|| density::hdbscan(umap_nd.view(), params.hdbscan_min_cluster_size)),
        || -> Result<_> {
            let (quality, quality_seconds) = timed(|| {
                let embedded_knn = metrics::self_knn(umap_2d.view(), quality_k);
                (
                    metrics::trustworthiness(prepared.view(), &knn_indices, &embedded_knn, quality_k),
                    metrics::neighbours_preserved(&knn_indices, &embedded_knn, quality_k),
                )
            });
            let (reruns, stability_seconds) = timed(|| -> Result<_> {
                // UMAP is parallel inside; DBSCAN and HDBSCAN are not, so all seeds' density
                // clusterings run at once after the embeddings.
                let mut embeddings = Vec::with_capacity(seeds.len());
                for &seed in &seeds {
                    embeddings.push((embed(2, seed)?, embed(params.umap_dims, seed)?));
                }
                let density: Vec<(Vec<i32>, Vec<i32>)> = embeddings
                    .par_iter()
                    .map(|(map_2d, map_nd)| {
                        rayon::join(
                            || density::dbscan_at_knee(map_2d.view(), params.dbscan_min_samples).labels,
                            || density::hdbscan(map_nd.view(), params.hdbscan_min_cluster_size),
                        )
                    })
                    .collect();
                let kmeans_labels = seeds
                    .par_iter()
                    .map(|&seed| kmeans::kmeans_labels(standardised.view(), kmeans.chosen_k, params.kmeans_runs, seed))
                    .collect::<Result<Vec<_>>>()?;
                Ok((density, kmeans_labels))
            });
            Ok((quality, quality_seconds, reruns?, stability_seconds))
        },
    );
    let ((trust, preserved), quality_seconds, (density_reruns, kmeans_reruns), stability_seconds) = rest?;
    clock.record("hdbscan", hdbscan_seconds);
    clock.record("quality", quality_seconds);
    clock.record("stability", stability_seconds);
    bar.inc(2);

    let mut kmeans_runs = vec![kmeans.labels.iter().map(|&l| l as i32).collect::<Vec<i32>>()];
    kmeans_runs.extend(kmeans_reruns.into_iter().map(|labels| labels.into_iter().map(|l| l as i32).collect()));
    let mut dbscan_runs = vec![dbscan.labels.clone()];
    let mut hdbscan_runs = vec![hdbscan_labels.clone()];
    for (dbscan_labels, hdbscan_run) in density_reruns {
        dbscan_runs.push(dbscan_labels);
        hdbscan_runs.push(hdbscan_run);
    }
    bar.finish_and_clear();

    let quality = vec![
        ("songs", n as f64),
        ("features", scaler.features.len() as f64),
        ("kmeans_chosen_k", kmeans.chosen_k as f64),
        ("kmeans_silhouette", chosen_score(&kmeans)),
        ("pca_components_80", pca.components_for(0.8) as f64),
        ("pca_components_90", pca.components_for(0.9) as f64),
        ("pca_ratio_2", pca.cumulative_ratio().get(1).copied().unwrap_or(1.0)),
        ("trustworthiness_2d_k15", trust),
        ("neighbours_preserved_2d_k15", preserved),
        ("dbscan_eps", dbscan.eps),
        ("dbscan_clusters", density::cluster_count(&dbscan.labels) as f64),
        ("dbscan_noise_share", density::noise_share(&dbscan.labels)),
        ("hdbscan_clusters", density::cluster_count(&hdbscan_labels) as f64),
        ("hdbscan_noise_share", density::noise_share(&hdbscan_labels)),
        ("stability_seeds", params.stability_seeds as f64),
        ("stability_ari_kmeans", mean_pairwise_ari(&kmeans_runs)),
        ("stability_ari_dbscan", mean_pairwise_ari(&dbscan_runs)),
        ("stability_ari_hdbscan", mean_pairwise_ari(&hdbscan_runs)),
        // Settings `timbral place` needs to extend this fit.
        ("umap_n_neighbors", params.n_neighbors as f64),
        ("umap_min_dist", params.min_dist),
        ("umap_metric_cosine", f64::from(u8::from(params.metric == Metric::Cosine))),
    ];
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
        hdbscan_labels,
        quality,
        timings: clock.laps,
        model_nd,
    })
}

fn chosen_score(selection: &KMeansSelection) -> f64 {
    selection
        .scores
        .iter()
        .find(|s| s.k == selection.chosen_k)
        .map_or(f64::NAN, |s| s.silhouette)
}

/// Mean ARI over all pairs of runs; NaN with a single run (stability check off).
fn mean_pairwise_ari(runs: &[Vec<i32>]) -> f64 {
    let mut total = 0.0;
    let mut pairs = 0usize;
    for a in 0..runs.len() {
        for b in a + 1..runs.len() {
            total += metrics::adjusted_rand_index(&runs[a], &runs[b]);
            pairs += 1;
        }
    }
    if pairs == 0 { f64::NAN } else { total / pairs as f64 }
}
