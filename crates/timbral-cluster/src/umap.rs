//! UMAP with manifolds-rs, fed our kNN graph, and the placement of new songs into a fitted
//! embedding without refitting.
//!
//! Determinism: the kNN graph is ours (`timbral_core::neighbors`: exact, or NN-descent that
//! ignores the thread count; ties broken by index), the initialisation is
//! spectral, and manifolds-rs's `adam_parallel` optimiser gives every point its own RNG seeded
//! from `seed + index` and accumulates each point's gradient on one thread against a frozen
//! copy of the embedding, so thread scheduling cannot change the result. The test
//! `same_seed_gives_byte_identical_tables` checks this end to end.

use manifolds_rs::data::graph::smooth_knn_dist;
use manifolds_rs::prelude::UmapOptimParams;
use manifolds_rs::{UmapParams, umap};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use timbral_core::{Error, Result};

use timbral_core::neighbors::KnnMethod;

use crate::distance::{graph_to, prepare};
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

/// Fits a `dims`-dimensional UMAP. `prepared` are the input rows after
/// [`crate::distance::prepare`]; `knn_indices`/`knn_distances` their neighbours (self
/// excluded, nearest first, at least `n_neighbors` each). Returns `n x dims`.
pub fn fit(
    prepared: ArrayView2<f64>,
    knn_indices: &[Vec<usize>],
    knn_distances: &[Vec<f64>],
    dims: usize,
    settings: &UmapSettings,
    seed: u64,
) -> Result<Array2<f64>> {
    let (n, d) = prepared.dim();
    let k = settings.n_neighbors;
    let indices: Vec<Vec<usize>> = knn_indices.iter().map(|r| r[..k.min(r.len())].to_vec()).collect();
    let distances: Vec<Vec<f32>> = knn_distances
        .iter()
        .map(|r| r[..k.min(r.len())].iter().map(|&v| v as f32).collect())
        .collect();
    let data: Vec<f32> = prepared.iter().map(|&v| v as f32).collect();
    let mut params = UmapParams::<f32> {
        n_dim: dims,
        k,
        optimiser: "adam_parallel".to_string(),
        initialisation: "spectral".to_string(),
        optim_params: settings.optim_params(),
        ..Default::default()
    };
    params.nn_params.dist_metric = settings.metric.name().to_string();
    let columns = umap((&data[..], n, d), Some((indices, distances)), &params, seed as usize, 0)
        .map_err(|e| Error::algorithm(format!("UMAP ({dims}-D, {n} songs)"), e.to_string()))?;
    let mut out = Array2::zeros((n, dims));
    for (c, column) in columns.iter().enumerate() {
        for (i, &v) in column.iter().enumerate() {
            out[[i, c]] = f64::from(v);
        }
    }
    if out.iter().any(|v| !v.is_finite()) {
        return Err(Error::Degenerate { step: format!("UMAP ({dims}-D)"), why: "non-finite coordinates".into() });
    }
    Ok(out)
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
    let (n_ref, dims) = model.embedding.dim();
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
    let (indices, distances) = (graph.indices, graph.distances);
    let (sigmas, rhos) = smooth_knn_dist(&distances, k, 0.0, 1e-5, 64);
    let weights: Vec<Vec<f64>> = distances
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
    let placed: Vec<Vec<f64>> = (0..new_points.nrows())
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(point_seeds[i]);
            place_one(&model.embedding.view(), &indices[i], &weights[i], epochs, (a, b), &mut rng)
        })
        .collect();
    let mut out = Array2::zeros((new_points.nrows(), dims));
    for (i, row) in placed.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[[i, c]] = v;
        }
    }
    Ok(out)
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
                let coeff = -2.0 * a * b * dist_sq.powf(b - 1.0) / (a * dist_sq.powf(b) + 1.0);
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
