//! UMAP with manifolds-rs, fed our kNN graph, and the placement of new songs into a fitted
//! embedding without refitting.
//!
//! Determinism: the kNN graph is ours (`timbral_core::neighbors`: exact, or NN-descent that
//! ignores the thread count; ties broken by index), the initialisation is
//! spectral, and manifolds-rs's `adam_parallel` optimiser gives every point its own RNG seeded
//! from `seed + index` and accumulates each point's gradient on one thread against a frozen
//! copy of the embedding, so thread scheduling cannot change the result. The test
//! `same_seed_gives_byte_identical_tables` checks this end to end.

use manifolds_rs::data::graph::{coo_to_adjacency_list, smooth_knn_dist};
use manifolds_rs::data::init::EmbdInit;
use manifolds_rs::prelude::{CoordinateList, ManifoldsMatrix, UmapOptimParams, initialise_embedding};
use manifolds_rs::training::umap_optimisers::optimise_embedding_adam_parallel;
use manifolds_rs::{UmapParams, construct_umap_graph};
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use timbral_core::progress::Stopwatch;
use timbral_core::{Error, Result};

use timbral_core::neighbors::{self, KnnMethod, seeded_sample};

use crate::distance::{Graph, graph_to, prepare, self_graph};
use crate::metric::Metric;

/// UMAP settings shared by the fit and the transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UmapSettings {
    pub n_neighbors: usize,
    pub min_dist: f64,
    pub metric: Metric,
    pub n_epochs: usize,
}

impl UmapSettings {
    fn optim_params<T: manifolds_rs::prelude::ManifoldsFloat>(&self) -> UmapOptimParams<T> {
        let cast = |v: f64| T::from_f64(v).expect("f64 converts to f32/f64");
        UmapOptimParams::from_min_dist_spread(
            cast(self.min_dist),
            cast(1.0),
            None,
            None,
            Some(self.n_epochs),
            None,
            None,
            None,
            None,
        )
    }
}

/// The fuzzy simplicial set UMAP optimises (smoothed kNN memberships, symmetrised, edges too
/// weak for the epochs dropped), built once from a kNN graph and shared by every embedding
/// fitted on it: the 2-D and n-D maps and the stability refits with other seeds.
pub struct FuzzyGraph {
    coo: CoordinateList<f32>,
    adjacency: Vec<Vec<(usize, f32)>>,
    /// The prepared rows as f32, row-major: a graph of several components is initialised
    /// from the data of each.
    data: Vec<f32>,
    features: usize,
}

impl FuzzyGraph {
    /// The graph of `prepared` rows (after [`crate::distance::prepare`]) whose neighbours are
    /// `knn_indices`/`knn_distances` (self excluded, nearest first, at least `n_neighbors`).
    pub fn new(prepared: ArrayView2<f64>, knn_indices: &[Vec<usize>], knn_distances: &[Vec<f64>], settings: &UmapSettings) -> Result<Self> {
        let (n, features) = prepared.dim();
        let k = settings.n_neighbors;
        let indices: Vec<Vec<usize>> = knn_indices.iter().map(|r| r[..k.min(r.len())].to_vec()).collect();
        let distances: Vec<Vec<f32>> = knn_distances
            .iter()
            .map(|r| r[..k.min(r.len())].iter().map(|&v| v as f32).collect())
            .collect();
        let data: Vec<f32> = prepared.iter().map(|&v| v as f32).collect();
        let defaults = UmapParams::<f32>::default();
        // With precomputed neighbours neither the search method nor the seed is used.
        let (coo, _, _) = construct_umap_graph(
            (&data[..], n, features),
            Some((indices, distances)),
            k,
            defaults.ann_type,
            &defaults.umap_graph_params,
            &defaults.nn_params,
            settings.n_epochs,
            0,
            0,
        )
        .map_err(|e| Error::algorithm(format!("UMAP graph ({n} songs)"), e.to_string()))?;
        let adjacency = coo_to_adjacency_list(&coo);
        Ok(FuzzyGraph { coo, adjacency, data, features })
    }

    pub fn songs(&self) -> usize {
        self.adjacency.len()
    }
}

/// Fits a `dims`-dimensional UMAP on `graph`: spectral initialisation, then manifolds-rs's
/// `adam_parallel` optimiser for `settings.n_epochs`. Returns `n x dims`.
pub fn fit(graph: &FuzzyGraph, dims: usize, settings: &UmapSettings, seed: u64) -> Result<Array2<f64>> {
    let n = graph.songs();
    let failed = |e: manifolds_rs::prelude::ManifoldsError| Error::algorithm(format!("UMAP ({dims}-D, {n} songs)"), e.to_string());
    let started = std::time::Instant::now();
    let rows = (&graph.data[..], n, graph.features);
    let input = rows.to_mat_input();
    let mut points = initialise_embedding(&EmbdInit::SpectralInit { range: None }, dims, seed, &graph.coo, input.as_mat_ref())
        .map_err(failed)?;
    let init_seconds = started.elapsed().as_secs_f64();
    optimise_embedding_adam_parallel(&mut points, &graph.adjacency, &settings.optim_params(), None, seed, 0).map_err(failed)?;
    tracing::debug!(dims, songs = n, init_seconds, optimise_seconds = started.elapsed().as_secs_f64() - init_seconds, "UMAP fitted");
    let out = Array2::from_shape_fn((n, dims), |(i, c)| f64::from(points[i][c]));
    if out.iter().any(|v| !v.is_finite()) {
        return Err(Error::Degenerate { step: format!("UMAP ({dims}-D)"), why: "non-finite coordinates".into() });
    }
    Ok(out)
}

/// The 2-D and `nd_dims`-D maps [`fit`] on one graph.
pub fn fit_pair(graph: &FuzzyGraph, nd_dims: usize, settings: &UmapSettings, seed: u64) -> Result<[Array2<f64>; 2]> {
    Ok([fit(graph, 2, settings, seed)?, fit(graph, nd_dims, settings, seed)?])
}

/// The 2-D and n-D maps of every row, fitted on at most `max_fit` of them.
pub struct Maps {
    pub map_2d: Array2<f64>,
    pub map_nd: Array2<f64>,
    /// Rows fitted (all of them up to `max_fit`); the others were placed into both maps.
    pub fitted: Vec<bool>,
}

/// The 2-D and `nd_dims`-D UMAPs of all `prepared` rows, whose kNN graph is `graph`. Up to
/// `max_fit` rows both are [`fit`] on that graph. Above, both are fitted on one seeded sample of
/// `max_fit` rows (their own kNN graph, searched with `knn`), and every other row is placed
/// into each map as [`transform`] places a new song: its neighbours among the fitted rows come
/// from a walk of `graph` ([`neighbors::nearest_members`]) and its RNG seed from its entry of
/// `track_ids` ([`song_seed`]). So the fits' cost stops growing with the catalogue, as umap-learn advises
/// for large data (fit a subset, `transform` the rest).
#[allow(clippy::too_many_arguments)]
pub fn fit_maps(
    prepared: ArrayView2<f64>,
    graph: &Graph,
    nd_dims: usize,
    max_fit: usize,
    track_ids: &[String],
    knn: KnnMethod,
    settings: &UmapSettings,
    seed: u64,
) -> Result<Maps> {
    let n = prepared.nrows();
    let mut clock = Stopwatch::new();
    if n <= max_fit {
        let fuzzy = FuzzyGraph::new(prepared, &graph.indices, &graph.distances, settings)?;
        let [map_2d, map_nd] = fit_pair(&fuzzy, nd_dims, settings, seed)?;
        return Ok(Maps { map_2d, map_nd, fitted: vec![true; n] });
    }
    let members = seeded_sample(n, max_fit, seed);
    let member_rows = prepared.select(Axis(0), &members);
    let graph_k = graph.indices.first().map_or(settings.n_neighbors, Vec::len);
    let (_, member_graph) = self_graph(member_rows.view(), graph_k, settings.metric, knn, seed)?;
    let member_settings = UmapSettings { n_epochs: fit_epochs(max_fit), ..*settings };
    let fuzzy = FuzzyGraph::new(member_rows.view(), &member_graph.indices, &member_graph.distances, &member_settings)?;
    let graph_seconds = clock.lap("sample graph");
    let member_maps = fit_pair(&fuzzy, nd_dims, &member_settings, seed)?;
    drop(fuzzy);
    let fit_seconds = clock.lap("sample fits");
    let mut fitted = vec![false; n];
    members.iter().for_each(|&i| fitted[i] = true);
    let rest: Vec<usize> = (0..n).filter(|&i| !fitted[i]).collect();
    let found = Graph::from_rows(
        neighbors::nearest_members(prepared, &graph.indices, &members, &member_graph.indices, &rest, settings.n_neighbors),
        settings.metric,
    );
    let search_seconds = clock.lap("neighbours");
    let rest_seeds: Vec<u64> = rest.iter().map(|&i| song_seed(seed, &track_ids[i])).collect();
    let [map_2d, map_nd] = member_maps.map(|member_map| {
        let placed = place_by_neighbours(member_map.view(), &found, &rest_seeds, transform_epochs(rest.len()), settings);
        let mut map = Array2::zeros((n, member_map.ncols()));
        for (&i, row) in members.iter().zip(member_map.rows()) {
            map.row_mut(i).assign(&row);
        }
        for (&i, row) in rest.iter().zip(placed.rows()) {
            map.row_mut(i).assign(&row);
        }
        map
    });
    tracing::debug!(fitted = members.len(), placed = rest.len(), graph_seconds, fit_seconds, search_seconds, place_seconds = clock.lap("place"), "UMAP maps fitted on a sample");
    Ok(Maps { map_2d, map_nd, fitted })
}

/// A placed song's RNG seed: the run's seed mixed with a hash of its track id, so that its
/// place does not depend on which other songs are placed with it.
pub fn song_seed(seed: u64, track_id: &str) -> u64 {
    let hash = blake3::hash(track_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    seed ^ u64::from_le_bytes(first)
}

/// A fitted embedding that new songs can be placed into.
#[derive(Debug, Clone)]
pub struct UmapModel {
    /// Standardised feature rows of the fitted songs (not yet prepared for the metric).
    pub reference: Array2<f64>,
    /// Their embedding, `n x dims`.
    pub embedding: Array2<f64>,
    pub settings: UmapSettings,
}

/// Places `new_points` (standardised like the reference) into `model`'s embedding without
/// refitting, the way umap-learn's `transform` does: fuzzy memberships to the `n_neighbors`
/// nearest reference songs (local connectivity 0), a membership-weighted mean of their
/// coordinates as the start, then `epochs` SGD epochs ([`transform_epochs`]) pulling towards
/// those neighbours and pushing from random reference songs, with the reference points held
/// fixed. Each new song is optimised independently with an RNG seeded by its entry of
/// `point_seeds`, and edge sampling is scaled by the largest possible membership (1) rather
/// than umap-learn's largest in the batch, so with an exact neighbour search a song's place
/// does not depend on threads or on which other songs are placed at once (a Spark partition
/// places the same as one machine). `knn` chooses how the reference neighbours are searched.
pub fn transform(
    model: &UmapModel,
    new_points: ArrayView2<f64>,
    point_seeds: &[u64],
    epochs: usize,
    knn: KnnMethod,
    seed: u64,
) -> Result<Array2<f64>> {
    if point_seeds.len() != new_points.nrows() {
        return Err(Error::Internal(format!(
            "{} seeds for {} songs to place",
            point_seeds.len(),
            new_points.nrows()
        )));
    }
    let n_ref = model.embedding.nrows();
    if model.reference.nrows() != n_ref || n_ref < 2 {
        return Err(Error::Degenerate {
            step: "UMAP transform".into(),
            why: format!("the model has {} reference rows and {n_ref} embedded ones", model.reference.nrows()),
        });
    }
    if new_points.ncols() != model.reference.ncols() {
        return Err(Error::Degenerate {
            step: "UMAP transform".into(),
            why: format!(
                "new songs have {} features, the embedding was fitted on {}",
                new_points.ncols(),
                model.reference.ncols()
            ),
        });
    }
    let settings = &model.settings;
    let k = settings.n_neighbors.min(n_ref);
    let reference = prepare(model.reference.view(), settings.metric);
    let queries = prepare(new_points, settings.metric);
    let graph = graph_to(reference.view(), queries.view(), k, settings.metric, knn, seed)?;
    Ok(place_by_neighbours(model.embedding.view(), &graph, point_seeds, epochs, settings))
}

/// [`transform`] with each song's neighbours among the `embedding` rows already found
/// (`neighbours`, distances in the metric's units).
pub fn place_by_neighbours(
    embedding: ArrayView2<f64>,
    neighbours: &Graph,
    point_seeds: &[u64],
    epochs: usize,
    settings: &UmapSettings,
) -> Array2<f64> {
    let k = neighbours.indices.iter().map(Vec::len).max().unwrap_or(0);
    let (sigmas, rhos) = smooth_knn_dist(&neighbours.distances, k, 0.0, 1e-5, 64);
    let weights: Vec<Vec<f64>> = neighbours
        .distances
        .iter()
        .zip(sigmas.iter().zip(&rhos))
        .map(|(row, (&sigma, &rho))| {
            row.iter()
                .map(|&d| if sigma > 0.0 { (-(d - rho).max(0.0) / sigma).exp() } else { 1.0 })
                .collect()
        })
        .collect();
    let optim = settings.optim_params::<f64>();
    let (a, b) = (optim.a, optim.b);
    let placed: Vec<Vec<f64>> = (0..point_seeds.len())
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(point_seeds[i]);
            place_one(&embedding, &neighbours.indices[i], &weights[i], epochs, (a, b), &mut rng)
        })
        .collect();
    Array2::from_shape_fn((placed.len(), embedding.ncols()), |(i, c)| placed[i][c])
}

/// UMAP epochs of a fit on `songs` songs, umap-learn's rule: 500 up to 10,000, 200 above.
pub fn fit_epochs(songs: usize) -> usize {
    if songs <= 10_000 { 500 } else { 200 }
}

/// umap-learn's transform epochs for `songs` placed: 100 up to 10,000 songs, 30 above. A
/// caller that places a catalogue in parts passes the whole count to every part.
pub fn transform_epochs(songs: usize) -> usize {
    if songs <= 10_000 { 100 } else { 30 }
}

/// One song's transform: weighted-mean start, then umap-learn's `optimize_layout_euclidean`
/// with `move_other = False` restricted to this song's edges.
fn place_one(
    embedding: &ArrayView2<f64>,
    neighbours: &[usize],
    weights: &[f64],
    n_epochs: usize,
    (a, b): (f64, f64),
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    const NEGATIVE_SAMPLE_RATE: f64 = 5.0;
    const INITIAL_ALPHA: f64 = 0.25;
    const CLIP: f64 = 4.0;
    let (n_ref, dims) = embedding.dim();
    let total: f64 = weights.iter().sum();
    let mut point = vec![0.0f64; dims];
    for (&j, &w) in neighbours.iter().zip(weights) {
        for (c, p) in point.iter_mut().enumerate() {
            *p += w / total.max(f64::MIN_POSITIVE) * embedding[[j, c]];
        }
    }
    // Edges too weak to be sampled within the epochs are dropped, as in umap-learn; memberships
    // are at most 1, the scale of the sampling schedule.
    const MAX_WEIGHT: f64 = 1.0;
    let edges: Vec<(usize, f64)> = neighbours
        .iter()
        .zip(weights)
        .filter(|&(_, &w)| w > 0.0 && w >= MAX_WEIGHT / n_epochs as f64)
        .map(|(&j, &w)| (j, MAX_WEIGHT / w))
        .collect();
    let mut next_sample: Vec<f64> = edges.iter().map(|e| e.1).collect();
    let mut next_negative: Vec<f64> = edges.iter().map(|e| e.1 / NEGATIVE_SAMPLE_RATE).collect();
    let clip = |v: f64| v.clamp(-CLIP, CLIP);
    for epoch in 0..n_epochs {
        let alpha = INITIAL_ALPHA * (1.0 - epoch as f64 / n_epochs as f64);
        let now = epoch as f64;
        for (e, &(j, per_sample)) in edges.iter().enumerate() {
            if next_sample[e] > now {
                continue;
            }
            let dist_sq: f64 = (0..dims).map(|c| (point[c] - embedding[[j, c]]).powi(2)).sum();
            if dist_sq > 0.0 {
                let pow_b = dist_sq.powf(b);
                let coeff = -2.0 * a * b * (pow_b / dist_sq) / (a * pow_b + 1.0);
                for (c, p) in point.iter_mut().enumerate() {
                    *p += clip(coeff * (*p - embedding[[j, c]])) * alpha;
                }
            }
            next_sample[e] += per_sample;
            let per_negative = per_sample / NEGATIVE_SAMPLE_RATE;
            let negatives = ((now - next_negative[e]) / per_negative).floor().max(0.0) as usize;
            for _ in 0..negatives {
                let other = rng.random_range(0..n_ref);
                let dist_sq: f64 = (0..dims).map(|c| (point[c] - embedding[[other, c]]).powi(2)).sum();
                if dist_sq > 0.0 {
                    let coeff = 2.0 * b / ((0.001 + dist_sq) * (a * dist_sq.powf(b) + 1.0));
                    for (c, p) in point.iter_mut().enumerate() {
                        *p += clip(coeff * (*p - embedding[[other, c]])) * alpha;
                    }
                } else if other != j {
                    for p in point.iter_mut() {
                        *p += CLIP * alpha;
                    }
                }
            }
            next_negative[e] += negatives as f64 * per_negative;
        }
    }
    point
}
