//! The stage: standardise, PCA, K-Means model selection, the kNN graph, UMAP 2-D and n-D,
//! DBSCAN, HDBSCAN, quality metrics, stability, and the tables they go to. Every step whose
//! exact form is quadratic in songs switches to a sample or an approximate graph above a
//! documented size (see `docs/clustering.md`, "At catalogue scale").

use std::time::Instant;

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;
use timbral_core::neighbors::{Method, distance_rows, nearest_in_row, seeded_sample};
use timbral_core::progress::Stopwatch;
use timbral_core::{Result, Table, Workdir};

use crate::density;
use crate::distance::{Graph, prepare, self_graph};
use crate::hyperparams::{ClusterValidParams, Metric, QUALITY_K};
use crate::kmeans;
use crate::metrics;
use crate::pca::Pca;
use timbral_core::scaler::Scaler;
use crate::tables;
use crate::output::{ClusterOutput, ClusterSummary, PC_SCORES, StabilityFigures};
use crate::model::ClusterModel;
use crate::umap::{self, UmapModel};

/// Runs the stage on `features` and writes the tables of [`tables::CLUSTER_TABLES`].
pub fn run(workdir: &Workdir, params: &ClusterValidParams) -> Result<ClusterSummary> {
    let started = Instant::now();
    let frame = workdir.read_table(Table::Features)?;
    let input = tables::feature_input(&frame, params.feature_set)?;
    drop(frame);
    let load_seconds = started.elapsed().as_secs_f64();
    let mut out = cluster_matrix(input.track_ids, input.feature_names, input.data.view(), params)?;
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

/// The whole computation on an in-memory matrix (rows are songs), without any I/O.
pub fn cluster_matrix(
    track_ids: Vec<String>,
    feature_names: Vec<String>,
    data: ArrayView2<f64>,
    params: &ClusterValidParams,
) -> Result<ClusterOutput> {
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

    let prepared = prepare(standardised.view(), params.metric);
    let (knn_method, graph, silhouettes) = graph_and_silhouettes(standardised.view(), prepared.view(), &labelings, &params)?;
    let kmeans = kmeans::select(standardised.view(), params.k_min, labelings, &silhouettes);
    clock.lap("knn_silhouette");
    bar.inc(1);

    let settings = params.umap_settings(n);
    let umap_2d = umap::fit(prepared.view(), &graph.indices, &graph.distances, 2, &settings, params.seed)?;
    clock.lap("umap_2d");
    let umap_nd = umap::fit(prepared.view(), &graph.indices, &graph.distances, params.umap_dims, &settings, params.seed)?;
    clock.lap("umap_nd");
    bar.inc(1);

    let dbscan = density::dbscan_at_knee(umap_2d.view(), params.dbscan_min_samples);
    clock.lap("dbscan");
    bar.inc(1);

    // HDBSCAN is single-threaded, so it runs beside the quality metrics and the stability
    // refits, which keep the other cores busy; each reports its own duration.
    let ((hdbscan, hdbscan_seconds), rest) = rayon::join(
        || timed(|| density::hdbscan_sampled(umap_nd.view(), params.hdbscan_min_cluster_size, params.hdbscan_max_fit, params.seed)),
        || -> Result<_> {
            let (quality, quality_seconds) = timed(|| neighbourhood_figures(prepared.view(), umap_2d.view(), &graph, params.seed));
            let base = Labelings { kmeans: &kmeans.labels, dbscan: &dbscan.labels };
            let (stability, stability_seconds) =
                timed(|| stability(standardised.view(), prepared.view(), &graph, base, kmeans.chosen_k, &params));
            Ok((quality?, quality_seconds, stability?, stability_seconds))
        },
    );
    let hdbscan = hdbscan?;
    let (neighbourhood, quality_seconds, stability, stability_seconds) = rest?;
    clock.record("hdbscan", hdbscan_seconds);
    clock.record("quality", quality_seconds);
    clock.record("stability", stability_seconds);
    bar.inc(2);
    bar.finish_and_clear();
    let stability = StabilityFigures { songs: stability.songs, aris: stability.aris(&hdbscan.labels) };
    let model = ClusterModel::new(&params, n, scaler.features.len(), knn_method.name(), settings, kmeans.chosen_k, dbscan.eps);
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
        model,
        timings: clock.into_laps(),
        model_nd,
    })
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

/// The base run's labels that the stability check compares refits with.
#[derive(Clone, Copy)]
struct Labelings<'a> {
    kmeans: &'a [usize],
    dbscan: &'a [i32],
}

/// Labels of every stability run (the base run first), and how many songs they cover.
struct Stability {
    songs: usize,
    kmeans: Vec<Vec<i32>>,
    dbscan: Vec<Vec<i32>>,
    /// HDBSCAN labels of the refits; the base run's are added by [`Stability::aris`] when the
    /// check covers every song.
    hdbscan: Vec<Vec<i32>>,
    whole_catalogue: bool,
}

impl Stability {
    /// Mean pairwise ARI of K-Means, DBSCAN and HDBSCAN across the runs.
    fn aris(mut self, base_hdbscan: &[i32]) -> [f64; 3] {
        if self.whole_catalogue {
            self.hdbscan.insert(0, base_hdbscan.to_vec());
        }
        [mean_pairwise_ari(&self.kmeans), mean_pairwise_ari(&self.dbscan), mean_pairwise_ari(&self.hdbscan)]
    }
}

/// Refits UMAP, DBSCAN, HDBSCAN and K-Means (at the chosen k) with the next seeds. Up to
/// `stability_max_songs` songs the refits are compared with the base run; above, every run,
/// the base seed's included, is refitted on one seeded sample of that many songs.
#[allow(clippy::too_many_arguments)]
fn stability(
    standardised: ArrayView2<f64>,
    prepared: ArrayView2<f64>,
    graph: &Graph,
    base: Labelings,
    chosen_k: usize,
    params: &ClusterValidParams,
) -> Result<Stability> {
    let n = standardised.nrows();
    let whole_catalogue = n <= params.stability_max_songs;
    let rerun_seeds: Vec<u64> = (1..params.stability_seeds as u64).map(|i| params.seed.wrapping_add(i)).collect();
    let mut result = Stability { songs: n, kmeans: Vec::new(), dbscan: Vec::new(), hdbscan: Vec::new(), whole_catalogue };
    // Owned copies in both cases: the whole catalogue is at most `stability_max_songs` rows.
    let (standardised, prepared, graph, seeds) = if whole_catalogue {
        result.kmeans.push(base.kmeans.iter().map(|&l| l as i32).collect());
        result.dbscan.push(base.dbscan.to_vec());
        (standardised.to_owned(), prepared.to_owned(), graph.clone(), rerun_seeds)
    } else {
        let rows = seeded_sample(n, params.stability_max_songs, params.seed);
        let sub_standardised = standardised.select(Axis(0), &rows);
        let sub_prepared = prepared.select(Axis(0), &rows);
        let graph_k = params.n_neighbors.max(QUALITY_K);
        let (_, sub_graph) = self_graph(sub_prepared.view(), graph_k, params.metric, params.knn, params.seed)?;
        result.songs = rows.len();
        let mut seeds = vec![params.seed];
        seeds.extend(rerun_seeds);
        (sub_standardised, sub_prepared, sub_graph, seeds)
    };
    let settings = params.umap_settings(prepared.nrows());
    // UMAP is parallel inside; DBSCAN and HDBSCAN are not, so all seeds' density clusterings
    // run at once after the embeddings.
    let mut embeddings = Vec::with_capacity(seeds.len());
    for &seed in &seeds {
        let fit = |dims| umap::fit(prepared.view(), &graph.indices, &graph.distances, dims, &settings, seed);
        embeddings.push((fit(2)?, fit(params.umap_dims)?));
    }
    let density: Vec<(Vec<i32>, Result<density::HdbscanLabels>)> = embeddings
        .par_iter()
        .zip(&seeds)
        .map(|((map_2d, map_nd), &seed)| {
            rayon::join(
                || density::dbscan_at_knee(map_2d.view(), params.dbscan_min_samples).labels,
                || density::hdbscan_sampled(map_nd.view(), params.hdbscan_min_cluster_size, params.hdbscan_max_fit, seed),
            )
        })
        .collect();
    for (dbscan, hdbscan) in density {
        result.dbscan.push(dbscan);
        result.hdbscan.push(hdbscan?.labels);
    }
    let kmeans_runs = seeds
        .par_iter()
        .map(|&seed| kmeans::kmeans_labels(standardised.view(), chosen_k, params.kmeans_runs, seed))
        .collect::<Result<Vec<_>>>()?;
    result.kmeans.extend(kmeans_runs.into_iter().map(|labels| labels.into_iter().map(|l| l as i32).collect()));
    Ok(result)
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
