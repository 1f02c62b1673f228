//! The stage's metrics on top of `timbral_core::neighbors`, which searches in euclidean
//! distance only: cosine rows are normalised once ([`prepare`]), after which euclidean
//! distance ranks like cosine distance, and distances are converted back ([`to_metric`]).

use ndarray::{ArrayView2, CowArray, Ix2};
use timbral_core::Result;
use timbral_core::neighbors::{self, KnnMethod, Method, Neighbour};

use crate::metric::Metric;

/// Prepares rows for the euclidean search: cosine distance ranks like the euclidean distance
/// between unit vectors, so cosine rows are normalised once here (a zero row stays zero).
/// Euclidean rows are borrowed as they are: at 10^6 songs a copy is 0.7 GB.
pub fn prepare(data: ArrayView2<'_, f64>, metric: Metric) -> CowArray<'_, f64, Ix2> {
    if metric == Metric::Euclidean {
        return CowArray::from(data);
    }
    let mut out = data.to_owned();
    for mut row in out.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    CowArray::from(out)
}

/// Converts a euclidean distance between prepared rows into the metric's distance:
/// itself for euclidean, `1 - cos = d^2 / 2` for cosine.
pub fn to_metric(euclidean: f64, metric: Metric) -> f64 {
    match metric {
        Metric::Euclidean => euclidean,
        Metric::Cosine => 0.5 * euclidean * euclidean,
    }
}

/// A kNN graph split the way UMAP takes it: neighbour indices and distances in the metric's
/// units, nearest first.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub indices: Vec<Vec<usize>>,
    pub distances: Vec<Vec<f64>>,
}

impl Graph {
    pub fn from_rows(rows: Vec<Vec<Neighbour>>, metric: Metric) -> Graph {
        let (indices, distances) = rows
            .into_iter()
            .map(|row| row.into_iter().map(|n| (n.index, to_metric(n.distance, metric))).unzip())
            .unzip();
        Graph { indices, distances }
    }
}

/// The `k` nearest other songs of every prepared row.
pub fn self_graph(prepared: ArrayView2<f64>, k: usize, metric: Metric, knn: KnnMethod, seed: u64) -> Result<(Method, Graph)> {
    let (method, rows) = neighbors::all_nearest(prepared, k, knn, seed)?;
    Ok((method, Graph::from_rows(rows, metric)))
}

/// The `k` nearest prepared `reference` rows of every prepared `queries` row.
pub fn graph_to(
    reference: ArrayView2<f64>,
    queries: ArrayView2<f64>,
    k: usize,
    metric: Metric,
    knn: KnnMethod,
    seed: u64,
) -> Result<Graph> {
    let (_, rows) = neighbors::nearest_to(reference, queries, k, knn, seed)?;
    Ok(Graph::from_rows(rows, metric))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cosine_distance_is_one_minus_cosine() {
        let rows = array![[1.0, 0.0], [1.0, 1.0]];
        let a = prepare(rows.view(), Metric::Cosine);
        let (_, graph) = self_graph(a.view(), 1, Metric::Cosine, KnnMethod::Exact, 0).unwrap();
        assert!((graph.distances[0][0] - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
        assert_eq!(graph.indices, vec![vec![1], vec![0]]);
    }
}
