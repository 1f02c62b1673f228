//! Density clustering: DBSCAN with eps from the knee of the k-distance curve (on a grid, in
//! O(n) memory: [`crate::grid_dbscan`]), and HDBSCAN with petal-clustering. Labels are canonical: clusters are numbered by their first member in
//! input order, and noise is -1, so equal partitions give equal label vectors.

use std::collections::{BTreeMap, HashMap};

use ndarray17::Array2 as Array2v17;
use ndarray::{ArrayView2, Axis};
use petal_clustering::{Fit, HDbscan};
use petal_neighbors::distance::Euclidean;
use timbral_core::Result;
use timbral_core::neighbors::{self, KnnMethod, Neighbour, seeded_sample};

use crate::grid_dbscan;

/// DBSCAN result with the curve that chose eps.
#[derive(Debug, Clone)]
pub struct DbscanResult {
    pub labels: Vec<i32>,
    pub eps: f64,
    /// k-distances sorted ascending (one per point).
    pub kdistance: Vec<f64>,
    /// Index into `kdistance` of the knee.
    pub knee: usize,
}

/// Distance of every point to its `min_samples`-th nearest point counting itself (the
/// scikit-learn convention for DBSCAN's core test), sorted ascending.
pub fn k_distance_curve(data: ArrayView2<f64>, min_samples: usize) -> Vec<f64> {
    let others = min_samples.saturating_sub(1).max(1);
    let (_, nearest) = neighbors::all_nearest(data, others, KnnMethod::Exact, 0).expect("exact search does not fail");
    let mut curve: Vec<f64> = nearest.iter().map(|row| row.last().map_or(0.0, |n| n.distance)).collect();
    curve.sort_by(f64::total_cmp);
    curve
}

/// Knee of an ascending curve (Kneedle): after scaling both axes to [0, 1], the point farthest
/// below the chord from the first to the last point, i.e. the largest `x - y`.
pub fn knee(curve: &[f64]) -> usize {
    let n = curve.len();
    if n < 3 {
        return n.saturating_sub(1);
    }
    let (lo, hi) = (curve[0], curve[n - 1]);
    if hi <= lo {
        return n - 1;
    }
    (0..n)
        .map(|i| (i, i as f64 / (n - 1) as f64 - (curve[i] - lo) / (hi - lo)))
        .fold((n - 1, f64::NEG_INFINITY), |best, (i, gap)| if gap > best.1 { (i, gap) } else { best })
        .0
}

/// DBSCAN on `data` with eps taken at the knee of the k-distance curve.
pub fn dbscan_at_knee(data: ArrayView2<f64>, min_samples: usize) -> DbscanResult {
    let kdistance = k_distance_curve(data, min_samples);
    let knee = knee(&kdistance);
    let eps = kdistance.get(knee).copied().unwrap_or(0.0).max(f64::MIN_POSITIVE);
    let labels = grid_dbscan::dbscan(data, eps, min_samples);
    DbscanResult { labels, eps, kdistance, knee }
}

/// HDBSCAN labels and which songs the model was fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct HdbscanLabels {
    pub labels: Vec<i32>,
    pub fitted: Vec<bool>,
}

/// [`hdbscan`] on every song up to `max_fit` songs. Above, HDBSCAN is fitted on a seeded
/// uniform sample of `max_fit` songs (of those `map_fitted` marks, when the map was fitted on
/// a sample and the rest placed) and every other song takes the majority label of its
/// `min_cluster_size` nearest fitted songs in `data` (exact search), in the spirit of the
/// hdbscan library's `approximate_predict`.
pub fn hdbscan_sampled(
    data: ArrayView2<f64>,
    map_fitted: Option<&[bool]>,
    min_cluster_size: usize,
    max_fit: usize,
    seed: u64,
) -> Result<HdbscanLabels> {
    let n = data.nrows();
    if n <= max_fit {
        return Ok(HdbscanLabels { labels: hdbscan(data, min_cluster_size), fitted: vec![true; n] });
    }
    // Drawn from the songs the map was fitted on, whose places are the optimised ones.
    let pool: Vec<usize> = match map_fitted {
        Some(fitted) => (0..n).filter(|&i| fitted[i]).collect(),
        None => (0..n).collect(),
    };
    let fit_rows: Vec<usize> = seeded_sample(pool.len(), max_fit, seed).into_iter().map(|p| pool[p]).collect();
    let mut fitted = vec![false; n];
    fit_rows.iter().for_each(|&i| fitted[i] = true);
    let rest: Vec<usize> = (0..n).filter(|&i| !fitted[i]).collect();
    let fit_data = data.select(Axis(0), &fit_rows);
    let fit_labels = hdbscan(fit_data.view(), min_cluster_size);
    let (_, nearest) =
        neighbors::nearest_to(fit_data.view(), data.select(Axis(0), &rest).view(), min_cluster_size, KnnMethod::Exact, seed)?;
    let mut labels = vec![-1; n];
    fit_rows.iter().zip(&fit_labels).for_each(|(&i, &l)| labels[i] = l);
    rest.iter().zip(majority_labels(&nearest, &fit_labels)).for_each(|(&i, l)| labels[i] = l);
    Ok(HdbscanLabels { labels, fitted })
}

/// HDBSCAN (Boruvka MST, excess-of-mass selection) with `min_samples = min_cluster_size`.
pub fn hdbscan(data: ArrayView2<f64>, min_cluster_size: usize) -> Vec<i32> {
    let input = to_ndarray17(data);
    let mut model = HDbscan {
        alpha: 1.0,
        min_samples: min_cluster_size,
        min_cluster_size,
        metric: Euclidean::default(),
        boruvka: true,
    };
    let (clusters, _noise, _scores) = model.fit(&input, None);
    canonical_labels(data.nrows(), clusters)
}

/// Share of points labelled noise.
pub fn noise_share(labels: &[i32]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    labels.iter().filter(|&&l| l < 0).count() as f64 / labels.len() as f64
}

/// Number of clusters, noise excluded.
pub fn cluster_count(labels: &[i32]) -> usize {
    labels.iter().filter(|&&l| l >= 0).max().map_or(0, |&m| m as usize + 1)
}

fn to_ndarray17(data: ArrayView2<f64>) -> Array2v17<f64> {
    let (rows, cols) = data.dim();
    let flat: Vec<f64> = data.iter().copied().collect();
    Array2v17::from_shape_vec((rows, cols), flat).expect("shape matches the copied data")
}

/// Numbers clusters by their smallest member index; everything else is -1.
fn canonical_labels(n: usize, clusters: HashMap<usize, Vec<usize>>) -> Vec<i32> {
    let mut groups: Vec<Vec<usize>> = clusters.into_values().filter(|m| !m.is_empty()).collect();
    groups.iter_mut().for_each(|m| m.sort_unstable());
    groups.sort_by_key(|m| m[0]);
    let mut labels = vec![-1i32; n];
    for (id, members) in groups.iter().enumerate() {
        for &i in members {
            labels[i] = id as i32;
        }
    }
    labels
}

/// Majority label of each song's neighbours (ties to the smaller label, noise included).
pub(crate) fn majority_labels(neighbours: &[Vec<Neighbour>], labels: &[i32]) -> Vec<i32> {
    neighbours
        .iter()
        .map(|row| {
            let mut votes: BTreeMap<i32, usize> = BTreeMap::new();
            for n in row {
                *votes.entry(labels[n.index]).or_default() += 1;
            }
            votes.iter().fold((-1, 0), |best, (&l, &c)| if c > best.1 { (l, c) } else { best }).0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knee_of_a_hockey_stick_is_at_the_bend() {
        let mut curve: Vec<f64> = (0..90).map(|i| i as f64 * 0.01).collect();
        curve.extend((1..=10).map(|i| 0.9 + i as f64));
        assert_eq!(knee(&curve), 89);
    }

    #[test]
    fn labels_are_canonical() {
        let clusters = HashMap::from([(7, vec![3, 2]), (1, vec![4, 1])]);
        assert_eq!(canonical_labels(5, clusters), vec![-1, 0, 1, 1, 0]);
    }
}
