//! Exact k-nearest-neighbour search between songs (shared by clustering and similarity).
//!
//! The index is chosen by dimension. Up to [`KD_TREE_MAX_DIMS`] (the n-D UMAP, 10 by default)
//! a kiddo k-d tree answers each query in microseconds. Above that (the 90 standardised
//! features) k-d trees degrade to a scan, so a parallel exact scan is used: on 13k songs it
//! is a few seconds for all songs, and unlike an approximate graph (hnsw_rs) it is exact and
//! independent of insertion order. Both paths order ties by row index, so the output is
//! deterministic.

use std::num::NonZero;

use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;
use ndarray::Array2;
use rayon::prelude::*;


/// Highest dimension for which the k-d tree is used.
pub const KD_TREE_MAX_DIMS: usize = 16;

/// How neighbours were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    KdTree,
    BruteForce,
}

impl Method {
    pub fn for_dims(dims: usize) -> Method {
        if (1..=KD_TREE_MAX_DIMS).contains(&dims) {
            Method::KdTree
        } else {
            Method::BruteForce
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::KdTree => "kiddo k-d tree",
            Method::BruteForce => "exact parallel scan",
        }
    }
}

/// A neighbouring song (row index) and its euclidean distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub index: usize,
    pub distance: f64,
}

/// The `k` nearest other songs of every song (fewer when there are fewer songs), nearest
/// first. The song itself is excluded.
pub fn all_nearest(points: &Array2<f64>, k: usize) -> (Method, Vec<Vec<Neighbour>>) {
    let method = Method::for_dims(points.ncols());
    let k = k.min(points.nrows().saturating_sub(1));
    if k == 0 {
        return (method, vec![Vec::new(); points.nrows()]);
    }
    let result = match method {
        Method::KdTree => kd_tree_all_nearest(points, k),
        Method::BruteForce => (0..points.nrows())
            .into_par_iter()
            .map(|i| nearest_filtered(points, row(points, i), k, |j| j != i))
            .collect(),
    };
    (method, result)
}

/// The `k` nearest songs to `query` among those accepted by `keep`, by exact scan.
pub fn nearest_filtered(
    points: &Array2<f64>,
    query: &[f64],
    k: usize,
    keep: impl Fn(usize) -> bool,
) -> Vec<Neighbour> {
    let mut candidates: Vec<Neighbour> = (0..points.nrows())
        .filter(|&j| keep(j))
        .map(|j| Neighbour {
            index: j,
            distance: euclidean(query, row(points, j)),
        })
        .collect();
    if candidates.len() > k && k > 0 {
        candidates.select_nth_unstable_by(k - 1, nearest_first);
    }
    candidates.truncate(k);
    candidates.sort_by(nearest_first);
    candidates
}

fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

fn nearest_first(a: &Neighbour, b: &Neighbour) -> std::cmp::Ordering {
    a.distance.total_cmp(&b.distance).then(a.index.cmp(&b.index))
}

fn row(points: &Array2<f64>, i: usize) -> &[f64] {
    points
        .row(i)
        .to_slice()
        .expect("points are a standard-layout matrix")
}

/// Dispatches the run-time dimension to kiddo's compile-time one.
fn kd_tree_all_nearest(points: &Array2<f64>, k: usize) -> Vec<Vec<Neighbour>> {
    macro_rules! dispatch {
        ($($dims:literal)*) => {
            match points.ncols() {
                $($dims => kd_tree::<$dims>(points, k),)*
                other => unreachable!("k-d tree used for {other} dimensions"),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

fn kd_tree<const K: usize>(points: &Array2<f64>, k: usize) -> Vec<Vec<Neighbour>> {
    let coordinates: Vec<[f64; K]> = (0..points.nrows())
        .map(|i| std::array::from_fn(|j| points[[i, j]]))
        .collect();
    let tree: ImmutableKdTree<f64, u64, K, 32> = ImmutableKdTree::new_from_slice(&coordinates);
    // One extra neighbour, because the query song finds itself.
    let wanted = NonZero::new(k + 1).expect("k + 1 is positive");
    coordinates
        .par_iter()
        .enumerate()
        .map(|(i, query)| {
            let mut found: Vec<Neighbour> = tree
                .nearest_n::<SquaredEuclidean>(query, wanted)
                .into_iter()
                .map(|n| Neighbour {
                    index: n.item as usize,
                    distance: n.distance.sqrt(),
                })
                .filter(|n| n.index != i)
                .collect();
            found.sort_by(nearest_first);
            found.truncate(k);
            found
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked_neighbours() {
        let points = array![[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 5.0]];
        let (method, all) = all_nearest(&points, 2);
        assert_eq!(method, Method::KdTree);
        let first: Vec<(usize, f64)> = all[0].iter().map(|n| (n.index, n.distance)).collect();
        assert_eq!(first, vec![(1, 1.0), (2, 3.0)]);
        let last: Vec<usize> = all[3].iter().map(|n| n.index).collect();
        assert_eq!(last, vec![0, 1]);
        let other: Vec<usize> = nearest_filtered(&points, &[0.9, 0.0], 2, |j| j != 1)
            .iter()
            .map(|n| n.index)
            .collect();
        assert_eq!(other, vec![0, 2]);
    }

    #[test]
    fn kd_tree_equals_exact_scan() {
        let points = Array2::from_shape_fn((500, 10), |(i, j)| {
            ((i * 31 + j * 17) % 97) as f64 / 7.0 + (i as f64 * 0.013 * (j + 1) as f64).sin()
        });
        let (method, tree) = all_nearest(&points, 7);
        assert_eq!(method, Method::KdTree);
        for (i, found) in tree.iter().enumerate() {
            let exact = nearest_filtered(&points, row(&points, i), 7, |j| j != i);
            let indices = |v: &[Neighbour]| v.iter().map(|n| n.index).collect::<Vec<_>>();
            assert_eq!(indices(found), indices(&exact), "song {i}");
            for (a, b) in found.iter().zip(&exact) {
                assert!((a.distance - b.distance).abs() < 1e-9, "song {i}: {a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn high_dimensions_use_the_scan_and_small_sets_shrink_k() {
        let points = Array2::from_shape_fn((3, 20), |(i, j)| (i * j) as f64);
        let (method, all) = all_nearest(&points, 10);
        assert_eq!(method, Method::BruteForce);
        assert!(all.iter().all(|n| n.len() == 2));
    }
}
