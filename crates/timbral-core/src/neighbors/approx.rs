//! Approximate search with NN-descent (Dong, Charikar and Li 2011), the method pynndescent
//! and umap-learn use, from the ann-search-rs crate (already compiled for manifolds-rs).
//!
//! ann-search-rs applies each iteration's graph updates in sorted order and derives its
//! sampling from hashes of the seed, so the graph does not depend on the thread count (tested
//! in `approximate_graph_ignores_thread_count`; its queryable index is not, so queries go
//! through the same graph, see [`query_graph`]). Its f32 distances are only used to find the
//! candidates: every returned neighbour gets its exact f64 distance here and rows are re-sorted
//! with ties broken by index, as the exact search does. Searching for `k + SLACK` neighbours
//! and keeping the best `k` lifts recall at small `k`.

use ann_search_rs::cpu::nndescent::NNDescentKnnParams;
use ann_search_rs::utils::nndescent_utils::KnnGraph;
use ann_search_rs::{Verbosity, build_knn_graph_nndescent};
use ndarray::ArrayView2;
use rayon::prelude::*;

use super::{Neighbour, euclidean, nearest_first};
use crate::{Error, Result};

/// Extra neighbours searched beyond the `k` asked for.
const SLACK: usize = 10;
/// NN-descent stops when fewer than this share of the graph's edges changed in an iteration
/// (pynndescent's default).
const DELTA: f64 = 0.001;

/// The `k` nearest other rows of every row, approximately.
pub fn self_graph(points: ArrayView2<f64>, k: usize, seed: u64) -> Result<Vec<Vec<Neighbour>>> {
    let n = points.nrows();
    let search_k = (k + SLACK).min(n - 1);
    let data = to_f32(points);
    let params = NNDescentKnnParams::new(search_k, None, None, None, DELTA, false, false);
    let graph: KnnGraph<f32> =
        build_knn_graph_nndescent((&data[..], n, points.ncols()), "euclidean", Some(params), seed as usize, Verbosity::Quiet)
            .map_err(|e| Error::algorithm(format!("NN-descent over {n} songs"), e.to_string()))?;
    let rows = (0..n)
        .into_par_iter()
        .map(|i| {
            let found = &graph.indices[i * graph.k..(i + 1) * graph.k];
            let candidates = found.iter().map(|&j| j as usize).filter(|&j| j < n && j != i);
            exact_best(points, points.row(i).as_slice(), candidates, k)
        })
        .collect();
    Ok(rows)
}

/// The `k` nearest reference rows of every query row, approximately. ann-search-rs's queryable
/// index is not reproducible from run to run, so the deterministic graph is built over the
/// reference and query rows together and each query keeps its reference neighbours; a query
/// left with fewer than `k` (its graph row held other queries) is scanned exactly.
pub fn query_graph(
    reference: ArrayView2<f64>,
    queries: ArrayView2<f64>,
    k: usize,
    seed: u64,
) -> Result<Vec<Vec<Neighbour>>> {
    let n = reference.nrows();
    let together = ndarray::concatenate(ndarray::Axis(0), &[reference.reborrow(), queries.reborrow()])
        .map_err(|e| Error::Internal(format!("queries do not match the reference's columns: {e}")))?;
    let graph = self_graph(together.view(), k + SLACK, seed)?;
    Ok(graph[n..]
        .par_iter()
        .enumerate()
        .map(|(q, row)| {
            let query = queries.row(q);
            let found = exact_best(reference, query.as_slice(), row.iter().map(|nb| nb.index).filter(|&j| j < n), k);
            if found.len() == k.min(n) {
                return found;
            }
            exact_best(reference, query.as_slice(), 0..n, k)
        })
        .collect())
}

/// The best `k` of `candidates` by exact f64 distance to `query`, nearest first.
fn exact_best(
    points: ArrayView2<f64>,
    query: Option<&[f64]>,
    candidates: impl Iterator<Item = usize>,
    k: usize,
) -> Vec<Neighbour> {
    let query = query.expect("points are a standard-layout matrix");
    let mut best: Vec<Neighbour> = candidates
        .map(|index| {
            let distance = euclidean(points.row(index), query);
            Neighbour { index, distance }
        })
        .collect();
    best.sort_by(nearest_first);
    best.dedup_by_key(|n| n.index);
    best.truncate(k);
    best
}

fn to_f32(points: ArrayView2<f64>) -> Vec<f32> {
    points.iter().map(|&v| v as f32).collect()
}
