//! Exact search: a kiddo k-d tree up to [`KD_TREE_MAX_DIMS`] dimensions, and above that a
//! blocked scan whose distances come from a matrix product, handed out one row at a time so
//! that no `n x n` matrix is ever held.

use std::num::NonZero;

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use ndarray::{ArrayView2, Axis, s};
use rayon::prelude::*;

use super::{Neighbour, nearest_first};

/// Highest dimension for which the k-d tree is used.
pub const KD_TREE_MAX_DIMS: usize = 16;

/// Query rows per block of the scan: a block of distances is `BLOCK x n` f64, about 26 MB at
/// 13k reference songs.
const BLOCK: usize = 256;

/// Calls `f(i, row)` for every query row `i`, where `row[j]` is the euclidean distance from
/// query `i` to reference `j`, in parallel over blocks of queries, and collects the results in
/// query order. Distances use `|q|^2 + |r|^2 - 2 q.r` (as scikit-learn does), clamped at zero.
pub fn distance_rows<T, F>(queries: ArrayView2<f64>, reference: ArrayView2<f64>, f: F) -> Vec<T>
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

/// The `k` smallest entries of `row`, nearest first, skipping index `skip`; ties keep the
/// lower index first. A sorted insertion buffer: `k` is small (10-50), so this beats a heap.
pub fn nearest_in_row(row: &[f64], k: usize, skip: Option<usize>) -> Vec<Neighbour> {
    let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for (index, &distance) in row.iter().enumerate() {
        if Some(index) == skip || (best.len() == k && distance >= best[k - 1].distance) {
            continue;
        }
        let at = best.partition_point(|b| b.distance <= distance);
        best.insert(at, Neighbour { index, distance });
        best.truncate(k);
    }
    best
}

/// Exact `k` nearest reference rows of every query, nearest first. With `exclude_self`,
/// query `i` is reference `i` and is skipped.
pub fn nearest(
    queries: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    k: usize,
    exclude_self: bool,
) -> Vec<Vec<Neighbour>> {
    if (1..=KD_TREE_MAX_DIMS).contains(&reference.ncols()) {
        return kd_tree_nearest(queries, reference, k, exclude_self);
    }
    distance_rows(queries, reference, |i, row| nearest_in_row(row, k, exclude_self.then_some(i)))
}

/// Dispatches the run-time dimension to kiddo's compile-time one.
fn kd_tree_nearest(
    queries: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    k: usize,
    exclude_self: bool,
) -> Vec<Vec<Neighbour>> {
    macro_rules! dispatch {
        ($($dims:literal)*) => {
            match reference.ncols() {
                $($dims => kd_tree::<$dims>(queries, reference, k, exclude_self),)*
                other => unreachable!("k-d tree used for {other} dimensions"),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

fn kd_tree<const D: usize>(
    queries: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    k: usize,
    exclude_self: bool,
) -> Vec<Vec<Neighbour>> {
    let point = |m: &ArrayView2<f64>, i: usize| -> [f64; D] { std::array::from_fn(|j| m[[i, j]]) };
    let coordinates: Vec<[f64; D]> = (0..reference.nrows()).map(|i| point(&reference, i)).collect();
    let tree: ImmutableKdTree<f64, u64, D, 32> = ImmutableKdTree::new_from_slice(&coordinates);
    // One extra neighbour, because a query song finds itself.
    let wanted = NonZero::new(k + usize::from(exclude_self)).expect("k + 1 is positive");
    (0..queries.nrows())
        .into_par_iter()
        .map(|i| {
            let mut found: Vec<Neighbour> = tree
                .nearest_n::<SquaredEuclidean>(&point(&queries, i), wanted)
                .into_iter()
                .map(|n| Neighbour { index: n.item as usize, distance: n.distance.sqrt() })
                .filter(|n| !(exclude_self && n.index == i))
                .collect();
            found.sort_by(nearest_first);
            found.truncate(k);
            found
        })
        .collect()
}
