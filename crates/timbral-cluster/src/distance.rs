//! Exact pairwise distances, computed block by block with a matrix product and handed out one
//! row at a time, so no `n x n` matrix is ever held. Every quadratic step of the stage (exact
//! kNN, silhouette, trustworthiness) is built on [`map_distance_rows`].

use ndarray::{Array2, ArrayView2, Axis, s};
use rayon::prelude::*;

use crate::hyperparams::Metric;

/// Rows per block: a block of distances is `BLOCK x n` f64, about 26 MB at 13k songs.
const BLOCK: usize = 256;

/// Prepares rows for [`map_distance_rows`]: cosine distance ranks like the Euclidean distance
/// between unit vectors, so cosine rows are normalised once here (a zero row stays zero).
pub fn prepare(data: ArrayView2<f64>, metric: Metric) -> Array2<f64> {
    let mut out = data.to_owned();
    if metric == Metric::Cosine {
        for mut row in out.rows_mut() {
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row /= norm;
            }
        }
    }
    out
}

/// Converts a Euclidean distance between prepared rows into the metric's distance:
/// itself for Euclidean, `1 - cos = d^2 / 2` for cosine.
pub fn to_metric(euclidean: f64, metric: Metric) -> f64 {
    match metric {
        Metric::Euclidean => euclidean,
        Metric::Cosine => 0.5 * euclidean * euclidean,
    }
}

/// Calls `f(i, row)` for every query row `i`, where `row[j]` is the Euclidean distance from
/// query `i` to reference `j`, in parallel over blocks of queries, and collects the results in
/// query order. Distances use `|q|^2 + |r|^2 - 2 q.r` (as scikit-learn does), clamped at zero.
pub fn map_distance_rows<T, F>(queries: ArrayView2<f64>, reference: ArrayView2<f64>, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &[f64]) -> T + Sync,
{
    let query_norms: Vec<f64> = queries.rows().into_iter().map(|r| r.dot(&r)).collect();
    let reference_norms: Vec<f64> = reference.rows().into_iter().map(|r| r.dot(&r)).collect();
    let reference_t = reference.t();
    let starts: Vec<usize> = (0..queries.nrows()).step_by(BLOCK).collect();
    let blocks: Vec<Vec<T>> = starts
        .into_par_iter()
        .map(|start| {
            let end = (start + BLOCK).min(queries.nrows());
            let mut block = queries.slice(s![start..end, ..]).dot(&reference_t);
            // The product may come out column-major (e.g. one column); rows must be slices.
            if !block.is_standard_layout() {
                block = block.as_standard_layout().into_owned();
            }
            let mut out = Vec::with_capacity(end - start);
            for (offset, mut row) in block.axis_iter_mut(Axis(0)).enumerate() {
                let i = start + offset;
                let qn = query_norms[i];
                for (value, rn) in row.iter_mut().zip(&reference_norms) {
                    *value = (qn + rn - 2.0 * *value).max(0.0).sqrt();
                }
                let row = row.as_slice().expect("rows of a standard-layout matrix are contiguous");
                out.push(f(i, row));
            }
            out
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

/// Exact k nearest neighbours of each query among the reference rows, nearest first, ties
/// broken by the lower index. With `exclude_self`, query `i` is reference `i` and is skipped.
/// Distances are in the metric's units (see [`to_metric`]).
pub fn knn(
    queries: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    k: usize,
    exclude_self: bool,
    metric: Metric,
) -> (Vec<Vec<usize>>, Vec<Vec<f64>>) {
    let rows = map_distance_rows(queries, reference, |i, row| {
        let skip = exclude_self.then_some(i);
        let nearest = nearest_in_row(row, k, skip);
        let distances = nearest.iter().map(|&(d, _)| to_metric(d, metric)).collect::<Vec<_>>();
        (nearest.into_iter().map(|(_, j)| j).collect::<Vec<_>>(), distances)
    });
    rows.into_iter().unzip()
}

/// The `k` smallest entries of `row` as `(distance, index)`, ascending, skipping `skip`.
/// A sorted insertion buffer: `k` is small (15-50) so this beats a heap.
pub fn nearest_in_row(row: &[f64], k: usize, skip: Option<usize>) -> Vec<(f64, usize)> {
    let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
    for (j, &d) in row.iter().enumerate() {
        if Some(j) == skip {
            continue;
        }
        if best.len() == k && d >= best[k - 1].0 {
            continue;
        }
        // Inserting after equal distances keeps the lower index first.
        let at = best.partition_point(|&(b, _)| b <= d);
        best.insert(at, (d, j));
        best.truncate(k);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn distances_match_the_definition() {
        let a = array![[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]];
        let rows = map_distance_rows(a.view(), a.view(), |_, row| row.to_vec());
        assert!((rows[0][1] - 5.0).abs() < 1e-12);
        assert!((rows[1][2] - (13.0f64).sqrt()).abs() < 1e-12);
        assert_eq!(rows[2][2], 0.0);
    }

    #[test]
    fn knn_is_sorted_skips_self_and_breaks_ties_by_index() {
        let a = array![[0.0], [1.0], [-1.0], [2.0]];
        let (idx, dist) = knn(a.view(), a.view(), 2, true, Metric::Euclidean);
        assert_eq!(idx[0], vec![1, 2]);
        assert_eq!(dist[0], vec![1.0, 1.0]);
        assert_eq!(idx[3], vec![1, 0]);
    }

    #[test]
    fn cosine_distance_is_one_minus_cosine() {
        let a = prepare(array![[1.0, 0.0], [1.0, 1.0]].view(), Metric::Cosine);
        let (_, dist) = knn(a.view(), a.view(), 1, true, Metric::Cosine);
        assert!((dist[0][0] - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
    }
}
