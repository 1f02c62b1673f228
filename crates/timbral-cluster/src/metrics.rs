//! Cluster and embedding quality metrics, following scikit-learn's definitions:
//! silhouette, Calinski-Harabasz, Davies-Bouldin, adjusted Rand index, trustworthiness, and
//! the share of nearest neighbours an embedding preserves.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use timbral_core::neighbors::all_nearest;

use crate::distance::map_distance_rows;

/// Silhouettes of several labelings of the same points, scored from one distance row per
/// point: the row is added into every labeling's per-cluster sums at once. Labels are `0..k`.
/// A point alone in its cluster scores 0, as in scikit-learn.
pub struct SilhouetteScorer<'a> {
    labelings: &'a [Vec<usize>],
    sizes: Vec<usize>,
    offsets: Vec<usize>,
    counts: Vec<usize>,
    /// Slot of every point in every labeling, point-major for the inner loop.
    slot_of: Vec<u32>,
}

impl<'a> SilhouetteScorer<'a> {
    pub fn new(labelings: &'a [Vec<usize>]) -> Self {
        let sizes: Vec<usize> = labelings.iter().map(|l| l.iter().copied().max().map_or(0, |m| m + 1)).collect();
        let offsets: Vec<usize> = sizes
            .iter()
            .scan(0, |acc, s| {
                let start = *acc;
                *acc += s;
                Some(start)
            })
            .collect();
        let slots = sizes.iter().sum();
        let width = labelings.len();
        let n = labelings.first().map_or(0, Vec::len);
        let mut counts = vec![0usize; slots];
        let mut slot_of = vec![0u32; n * width];
        for (l, labels) in labelings.iter().enumerate() {
            for (j, &label) in labels.iter().enumerate() {
                let slot = offsets[l] + label;
                slot_of[j * width + l] = slot as u32;
                counts[slot] += 1;
            }
        }
        SilhouetteScorer { labelings, sizes, offsets, counts, slot_of }
    }

    /// Silhouette of point `i` in every labeling; `row[j]` is its distance to point `j`.
    pub fn point(&self, i: usize, row: &[f64]) -> Vec<f64> {
        let width = self.labelings.len();
        let mut sums = vec![0.0f64; self.counts.len()];
        for (j, &d) in row.iter().enumerate() {
            for &slot in &self.slot_of[j * width..(j + 1) * width] {
                sums[slot as usize] += d;
            }
        }
        (0..width)
            .map(|l| {
                let own = self.offsets[l] + self.labelings[l][i];
                if self.counts[own] <= 1 {
                    return 0.0;
                }
                let a = sums[own] / (self.counts[own] - 1) as f64;
                let b = (self.offsets[l]..self.offsets[l] + self.sizes[l])
                    .filter(|&s| s != own && self.counts[s] > 0)
                    .map(|s| sums[s] / self.counts[s] as f64)
                    .fold(f64::INFINITY, f64::min);
                if !b.is_finite() {
                    return 0.0;
                }
                let denom = a.max(b);
                if denom > 0.0 { (b - a) / denom } else { 0.0 }
            })
            .collect()
    }

    /// Mean per labeling of per-point scores from [`SilhouetteScorer::point`].
    pub fn mean(&self, per_point: &[Vec<f64>]) -> Vec<f64> {
        let m = per_point.len().max(1) as f64;
        (0..self.labelings.len()).map(|l| per_point.iter().map(|p| p[l]).sum::<f64>() / m).collect()
    }
}

/// Mean silhouette of several labelings of `data`. With more than `max_exact` points, the mean
/// is taken over a seeded uniform sample of `max_exact` points, each scored exactly against all
/// points.
pub fn silhouettes(
    data: ArrayView2<f64>,
    labelings: &[Vec<usize>],
    max_exact: usize,
    seed: u64,
) -> Vec<f64> {
    let n = data.nrows();
    if labelings.is_empty() || n == 0 {
        return vec![0.0; labelings.len()];
    }
    let scorer = SilhouetteScorer::new(labelings);
    let queries: Vec<usize> = if n > max_exact {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut picked = sample(&mut rng, n, max_exact).into_vec();
        picked.sort_unstable();
        picked
    } else {
        (0..n).collect()
    };
    let query_rows = data.select(ndarray::Axis(0), &queries);
    let per_point = map_distance_rows(query_rows.view(), data, |q, row| scorer.point(queries[q], row));
    scorer.mean(&per_point)
}

/// Cluster centroids (`k x d`) and sizes for labels `0..k`.
pub(crate) fn centroids(data: ArrayView2<f64>, labels: &[usize]) -> (Array2<f64>, Vec<usize>) {
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut sums = Array2::<f64>::zeros((k, data.ncols()));
    let mut sizes = vec![0usize; k];
    for (row, &label) in data.rows().into_iter().zip(labels) {
        let mut target = sums.row_mut(label);
        target += &row;
        sizes[label] += 1;
    }
    for (mut row, &size) in sums.rows_mut().into_iter().zip(&sizes) {
        if size > 0 {
            row /= size as f64;
        }
    }
    (sums, sizes)
}

fn squared_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Sum of squared distances of points to their cluster's centroid (scikit-learn's inertia).
pub fn inertia(data: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let (centres, _) = centroids(data, labels);
    data.rows()
        .into_iter()
        .zip(labels)
        .map(|(row, &label)| squared_distance(row, centres.row(label)))
        .sum()
}

/// Calinski-Harabasz index: between- over within-cluster dispersion, scaled by degrees of
/// freedom. 1 when the within dispersion is zero (scikit-learn's convention).
pub fn calinski_harabasz(data: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let n = data.nrows();
    let (centres, sizes) = centroids(data, labels);
    let k = sizes.iter().filter(|&&s| s > 0).count();
    if k < 2 || n <= k {
        return 0.0;
    }
    let mean = data.mean_axis(ndarray::Axis(0)).expect("non-empty data");
    let between: f64 = centres
        .rows()
        .into_iter()
        .zip(&sizes)
        .map(|(c, &s)| s as f64 * squared_distance(c, mean.view()))
        .sum();
    let within = inertia(data, labels);
    if within == 0.0 {
        1.0
    } else {
        between * (n - k) as f64 / (within * (k - 1) as f64)
    }
}

/// Davies-Bouldin index: mean over clusters of the worst ratio of summed spreads to centroid
/// separation. Lower is better.
pub fn davies_bouldin(data: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let (centres, sizes) = centroids(data, labels);
    let k = sizes.len();
    let mut spread = vec![0.0f64; k];
    for (row, &label) in data.rows().into_iter().zip(labels) {
        spread[label] += squared_distance(row, centres.row(label)).sqrt();
    }
    for (s, &size) in spread.iter_mut().zip(&sizes) {
        if size > 0 {
            *s /= size as f64;
        }
    }
    let live: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    if live.len() < 2 {
        return 0.0;
    }
    let worst: f64 = live
        .iter()
        .map(|&i| {
            live.iter()
                .filter(|&&j| j != i)
                .map(|&j| {
                    let separation = squared_distance(centres.row(i), centres.row(j)).sqrt();
                    if separation > 0.0 { (spread[i] + spread[j]) / separation } else { 0.0 }
                })
                .fold(0.0, f64::max)
        })
        .sum();
    worst / live.len() as f64
}

/// Adjusted Rand index between two labelings (noise, -1, is a label like any other, as in
/// scikit-learn). 1 for identical partitions, about 0 for independent ones.
pub fn adjusted_rand_index(a: &[i32], b: &[i32]) -> f64 {
    let n = a.len();
    if n != b.len() || n < 2 {
        return 1.0;
    }
    let pairs = |c: usize| (c * c.saturating_sub(1) / 2) as f64;
    let mut table: HashMap<(i32, i32), usize> = HashMap::new();
    let mut rows: HashMap<i32, usize> = HashMap::new();
    let mut cols: HashMap<i32, usize> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let index: f64 = table.values().map(|&c| pairs(c)).sum();
    let sum_rows: f64 = rows.values().map(|&c| pairs(c)).sum();
    let sum_cols: f64 = cols.values().map(|&c| pairs(c)).sum();
    let expected = sum_rows * sum_cols / pairs(n);
    let max = 0.5 * (sum_rows + sum_cols);
    if max == expected {
        // Both partitions trivial (one cluster each, or all singletons).
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Trustworthiness of an embedding at `k` (Venna and Kaski; scikit-learn's formula):
/// 1 minus the normalised rank penalty of embedded neighbours that are not among the `k`
/// nearest in the input space. `input` rows must already be prepared for the metric
/// ([`crate::distance::prepare`]); `input_knn` and `embedded_knn` hold at least `k`
/// neighbours per point, nearest first.
pub fn trustworthiness(
    input: ArrayView2<f64>,
    input_knn: &[Vec<usize>],
    embedded_knn: &[Vec<usize>],
    k: usize,
) -> f64 {
    let n = input.nrows();
    let penalties: Vec<f64> = map_distance_rows(input, input, |i, row| {
        let near = &input_knn[i][..k.min(input_knn[i].len())];
        embedded_knn[i]
            .iter()
            .take(k)
            .filter(|j| !near.contains(j))
            .map(|&j| {
                let target = row[j];
                // 1-based rank of j among the other points by input distance.
                let closer = row
                    .iter()
                    .enumerate()
                    .filter(|&(l, &d)| l != i && d < target)
                    .count();
                (closer + 1).saturating_sub(k) as f64
            })
            .sum()
    });
    let total: f64 = penalties.iter().sum();
    let (n, k) = (n as f64, k as f64);
    1.0 - total * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
}

/// Mean share of each point's `k` nearest input-space neighbours that are also among its `k`
/// nearest embedded neighbours.
pub fn neighbours_preserved(input_knn: &[Vec<usize>], embedded_knn: &[Vec<usize>], k: usize) -> f64 {
    let n = input_knn.len();
    if n == 0 || k == 0 {
        return 0.0;
    }
    let kept: usize = input_knn
        .iter()
        .zip(embedded_knn)
        .map(|(a, b)| {
            let b = &b[..k.min(b.len())];
            a.iter().take(k).filter(|j| b.contains(j)).count()
        })
        .sum();
    kept as f64 / (n * k) as f64
}

/// Exact kNN of every row within `data` (Euclidean), used for embeddings: a k-d tree in
/// low dimensions (see `timbral_core::neighbors`).
pub fn self_knn(data: ArrayView2<f64>, k: usize) -> Vec<Vec<usize>> {
    let (_, nearest) = all_nearest(&data.to_owned(), k);
    nearest.into_iter().map(|row| row.into_iter().map(|n| n.index).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_is_one_for_relabelled_partitions_and_low_for_unrelated() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, -1, -1]) - 1.0).abs() < 1e-12);
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 1, 0, 1, 0, 1];
        assert!(adjusted_rand_index(&a, &b) < 0.1);
    }

    #[test]
    fn neighbours_preserved_counts_overlap() {
        let a = vec![vec![1, 2], vec![0, 2], vec![0, 1]];
        let b = vec![vec![2, 1], vec![2, 0], vec![1, 2]];
        assert!((neighbours_preserved(&a, &b, 2) - 5.0 / 6.0).abs() < 1e-12);
    }
}
