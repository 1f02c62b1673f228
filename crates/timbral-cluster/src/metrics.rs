//! Cluster and embedding quality metrics, following scikit-learn's definitions:
//! silhouette, Calinski-Harabasz, Davies-Bouldin, adjusted Rand index, trustworthiness, and
//! the share of nearest neighbours an embedding preserves.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2, Axis};
use timbral_core::Result;
use timbral_core::neighbors::{self, AUTO_EXACT_MAX_PAIRS, KnnMethod, distance_rows, nearest_in_row, seeded_sample};

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

/// Mean silhouette of several labelings of `data`. With more than `max_exact` points it is
/// the silhouette of a seeded uniform sample of `max_exact` points within that sample, as
/// scikit-learn's `silhouette_score(sample_size=...)` computes it, so the cost stays
/// `max_exact^2` whatever the catalogue size.
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
    let rows = seeded_sample(n, max_exact, seed);
    let sampled: Vec<Vec<usize>> = labelings.iter().map(|l| rows.iter().map(|&i| l[i]).collect()).collect();
    let scorer = SilhouetteScorer::new(&sampled);
    let points = data.select(Axis(0), &rows);
    let per_point = distance_rows(points.view(), points.view(), |q, row| scorer.point(q, row));
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

/// Rows on which the neighbourhood metrics are scored: all of them while a full pass costs no
/// more than an exact kNN graph at the `auto` limit, else a seeded sample of
/// `AUTO_EXACT_MAX_PAIRS / n` rows (at least 1,000), each still scored against every row.
pub fn quality_rows(n: usize, seed: u64) -> Vec<usize> {
    let affordable = (AUTO_EXACT_MAX_PAIRS / n.max(1)).max(1_000);
    seeded_sample(n, affordable, seed)
}

/// Neighbourhood figures of an embedding and of the kNN graph it was built from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeighbourhoodQuality {
    /// Trustworthiness at `k` (Venna and Kaski; scikit-learn's formula).
    pub trustworthiness: f64,
    /// Mean share of each row's `k` nearest input rows among its `k` nearest embedded rows.
    pub preserved: f64,
    /// Mean share of each row's exact `k` nearest input rows that the graph holds (1 for an
    /// exact graph).
    pub graph_recall: f64,
    /// Rows scored.
    pub rows: usize,
}

/// [`NeighbourhoodQuality`] at `k`, scored on `rows` (ascending). For each scored row the
/// exact `k` nearest input rows and the rank of every embedded neighbour come from one exact
/// distance row, so the figures do not depend on how the graph was searched. With a sample the
/// trustworthiness penalty is scaled up by `n / rows`. `input` rows must already be prepared
/// for the metric ([`crate::distance::prepare`]); `embedded_knn` and `graph` hold at least
/// `k` neighbours per row, nearest first.
pub fn neighbourhood_quality(
    input: ArrayView2<f64>,
    embedded_knn: &[Vec<usize>],
    graph: &[Vec<usize>],
    k: usize,
    rows: &[usize],
) -> NeighbourhoodQuality {
    let n = input.nrows();
    if rows.is_empty() || k == 0 {
        return NeighbourhoodQuality { trustworthiness: f64::NAN, preserved: f64::NAN, graph_recall: f64::NAN, rows: 0 };
    }
    let queries = input.select(Axis(0), rows);
    let scored: Vec<(f64, usize, usize)> = distance_rows(queries.view(), input, |q, row| {
        let i = rows[q];
        let near: Vec<usize> = nearest_in_row(row, k, Some(i)).into_iter().map(|nb| nb.index).collect();
        let found = &graph[i][..k.min(graph[i].len())];
        let recalled = near.iter().filter(|j| found.contains(j)).count();
        let embedded = &embedded_knn[i][..k.min(embedded_knn[i].len())];
        let kept = embedded.iter().filter(|j| near.contains(j)).count();
        let mut targets: Vec<f64> = embedded.iter().filter(|j| !near.contains(j)).map(|&j| row[j]).collect();
        targets.sort_by(f64::total_cmp);
        // closer[t]: other rows strictly closer than target t (its 1-based rank minus one).
        let mut closer = vec![0usize; targets.len()];
        for (l, &d) in row.iter().enumerate() {
            if l != i {
                let from = targets.partition_point(|&t| t <= d);
                closer[from..].iter_mut().for_each(|c| *c += 1);
            }
        }
        let penalty = closer.iter().map(|&c| (c + 1).saturating_sub(k) as f64).sum();
        (penalty, kept, recalled)
    });
    let total: f64 = scored.iter().map(|s| s.0).sum::<f64>() * n as f64 / rows.len() as f64;
    let share = |count: usize| count as f64 / (rows.len() * k) as f64;
    let (nf, kf) = (n as f64, k as f64);
    NeighbourhoodQuality {
        trustworthiness: 1.0 - total * 2.0 / (nf * kf * (2.0 * nf - 3.0 * kf - 1.0)),
        preserved: share(scored.iter().map(|s| s.1).sum()),
        graph_recall: share(scored.iter().map(|s| s.2).sum()),
        rows: rows.len(),
    }
}

/// Exact kNN of every row within `data` (euclidean), for embeddings: a k-d tree in low
/// dimensions (see `timbral_core::neighbors`).
pub fn self_knn(data: ArrayView2<f64>, k: usize) -> Result<Vec<Vec<usize>>> {
    let (_, nearest) = neighbors::all_nearest(data, k, KnnMethod::Exact, 0)?;
    Ok(nearest.into_iter().map(|row| row.into_iter().map(|n| n.index).collect()).collect())
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
        // Input neighbours (k = 1): 0 -> 1, 1 -> 0, 2 -> 1, 3 -> 2; embedded 0 -> 1, 1 -> 2,
        // 2 -> 1, 3 -> 0: two of four kept. Embedded 1 -> 2 is input rank 2 (penalty 1),
        // 3 -> 0 is input rank 3 (penalty 2).
        let input = ndarray::array![[0.0], [1.0], [2.5], [4.5]];
        let embedded = vec![vec![1], vec![2], vec![1], vec![0]];
        // A graph that misses row 2's neighbour: recall 3 of 4.
        let graph = vec![vec![1], vec![0], vec![3], vec![2]];
        let q = neighbourhood_quality(input.view(), &embedded, &graph, 1, &[0, 1, 2, 3]);
        assert!((q.preserved - 0.5).abs() < 1e-12);
        assert!((q.graph_recall - 0.75).abs() < 1e-12);
        assert!((q.trustworthiness - (1.0 - 3.0 * 2.0 / (4.0 * 1.0 * (8.0 - 3.0 - 1.0)))).abs() < 1e-12);
        assert_eq!(q.rows, 4);
    }

    #[test]
    fn quality_samples_only_above_the_exact_limit() {
        assert_eq!(quality_rows(20_000, 1).len(), 20_000);
        assert_eq!(quality_rows(100_000, 1).len(), 4_000);
        assert_eq!(quality_rows(1_000_000, 1).len(), 1_000);
        assert_eq!(quality_rows(100_000, 1), quality_rows(100_000, 1));
    }
}
