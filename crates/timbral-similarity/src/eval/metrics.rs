//! Quality measures: retrieval precision against shuffled labels, trustworthiness, noise.

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::distance::squared_euclidean;
use crate::neighbors::Neighbour;

/// Mean over eligible songs of the share of their neighbours that `matches` them. Songs with
/// no neighbours are skipped; `None` when no song is eligible.
pub fn precision(
    neighbours: &[Vec<Neighbour>],
    eligible: impl Fn(usize) -> bool + Sync,
    matches: impl Fn(usize, usize) -> bool + Sync,
) -> Option<f64> {
    let shares: Vec<f64> = neighbours
        .par_iter()
        .enumerate()
        .filter(|(i, list)| !list.is_empty() && eligible(*i))
        .map(|(i, list)| {
            list.iter().filter(|n| matches(i, n.index)).count() as f64 / list.len() as f64
        })
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

/// Artist precision@k: the share of a song's neighbours by the same artist, over songs whose
/// artist has at least two songs (for the others it is 0 by construction).
pub fn artist_precision(neighbours: &[Vec<Neighbour>], artist: &[usize]) -> Option<f64> {
    let mut songs = vec![0usize; artist.iter().max().map_or(0, |m| m + 1)];
    for &a in artist {
        songs[a] += 1;
    }
    precision(neighbours, |i| songs[artist[i]] >= 2, |i, j| artist[i] == artist[j])
}

/// Genre precision@k: the share of a song's neighbours sharing at least one genre with it,
/// over songs with a genre. `genres[i]` must be sorted.
pub fn genre_precision(neighbours: &[Vec<Neighbour>], genres: &[Vec<u32>]) -> Option<f64> {
    precision(neighbours, |i| !genres[i].is_empty(), |i, j| sorted_overlap(&genres[i], &genres[j]))
}

/// Whether two sorted lists share an item.
pub fn sorted_overlap(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// The mean of `measure` over `shuffles` seeded permutations of the labels among songs: what
/// the neighbour structure would score if labels were unrelated to it.
pub fn shuffled_baseline<T: Clone>(
    labels: &[T],
    shuffles: usize,
    seed: u64,
    measure: impl Fn(&[T]) -> Option<f64>,
) -> Option<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut total = 0.0;
    for _ in 0..shuffles {
        let mut shuffled = labels.to_vec();
        shuffled.shuffle(&mut rng);
        total += measure(&shuffled)?;
    }
    Some(total / shuffles as f64)
}

/// Trustworthiness (Venna and Kaski; scikit-learn's definition) of an embedding against the
/// original `high` coordinates: `1 - 2 / (m k (2n - 3k - 1)) * sum_i sum_{j in U_k(i)} (r(i, j)
/// - k)`, where `U_k(i)` are the embedded neighbours of query `i` that are not among its `k`
/// original neighbours and `r` is the rank in the original space. `embedded[q]` holds the
/// embedded neighbours of `queries[q]`; summed over the `m` queries (all songs gives
/// scikit-learn's value exactly). `None` unless `k < n / 2`.
pub fn trustworthiness(high: &Array2<f64>, queries: &[usize], embedded: &[Vec<Neighbour>], k: usize) -> Option<f64> {
    let n = high.nrows();
    if queries.is_empty() || k == 0 || 2 * k >= n {
        return None;
    }
    let row = |i: usize| high.row(i).to_slice().expect("standard layout");
    let penalties: Vec<f64> = queries
        .par_iter()
        .zip(embedded)
        .map(|(&i, found)| {
            let distances: Vec<f64> = (0..n).map(|l| squared_euclidean(row(i), row(l))).collect();
            // Rank among the other songs, 1 = nearest: one pass counting, for each embedded
            // neighbour's distance, the songs strictly nearer.
            let mut thresholds: Vec<f64> = found.iter().take(k).map(|nb| distances[nb.index]).collect();
            thresholds.sort_by(f64::total_cmp);
            let mut nearer = vec![0usize; thresholds.len() + 1];
            for (l, &d) in distances.iter().enumerate() {
                if l != i {
                    nearer[thresholds.partition_point(|&t| t <= d)] += 1;
                }
            }
            // Songs strictly nearer than the b-th threshold: those in buckets 0..=b.
            let mut below = 0;
            (0..thresholds.len())
                .map(|b| {
                    below += nearer[b];
                    (1 + below).saturating_sub(k) as f64
                })
                .sum::<f64>()
        })
        .collect();
    let total: f64 = penalties.iter().sum();
    let (m, k, n) = (queries.len() as f64, k as f64, n as f64);
    Some(1.0 - 2.0 * total / (m * k * (2.0 * n - 3.0 * k - 1.0)))
}

/// Share of songs labelled -1 (noise).
pub fn noise_share(labels: &[i32]) -> Option<f64> {
    (!labels.is_empty()).then(|| labels.iter().filter(|&&l| l == -1).count() as f64 / labels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(raw: &[&[usize]]) -> Vec<Vec<Neighbour>> {
        raw.iter()
            .map(|l| l.iter().map(|&index| Neighbour { index, distance: 0.0 }).collect())
            .collect()
    }

    #[test]
    fn hand_checked_precisions() {
        // Songs 0, 1 by artist 0; 2, 3 by artist 1; 4 alone (not eligible).
        let nb = lists(&[&[1, 2], &[2, 3], &[3, 0], &[2, 4], &[0, 1]]);
        let artist = [0, 0, 1, 1, 2];
        // Shares of songs 0..3: 1/2, 0, 1/2, 1/2 -> mean 0.375.
        assert_eq!(artist_precision(&nb, &artist), Some(0.375));
        let genres = vec![vec![1, 2], vec![2], vec![3], vec![], vec![1]];
        // 0: [1 yes, 2 no] 1/2; 1: [2 no, 3 no] 0; 2: [3 no, 0 no] 0; 4: [0 yes, 1 no] 1/2.
        assert_eq!(genre_precision(&nb, &genres), Some(0.25));
        assert_eq!(noise_share(&[-1, 0, 1, -1]), Some(0.5));
        assert_eq!(noise_share(&[]), None);
    }

    #[test]
    fn shuffled_baseline_is_seeded_and_averages() {
        let labels: Vec<usize> = (0..40).map(|i| i / 4).collect();
        let nb: Vec<Vec<Neighbour>> = (0..40)
            .map(|i| vec![Neighbour { index: i ^ 1, distance: 0.0 }])
            .collect();
        assert_eq!(artist_precision(&nb, &labels), Some(1.0));
        let measure = |l: &[usize]| artist_precision(&nb, l);
        let base = shuffled_baseline(&labels, 20, 9, measure).unwrap();
        // Chance of a same-label partner: 3/39, about 0.077.
        assert!(base < 0.3, "{base}");
        assert_eq!(Some(base), shuffled_baseline(&labels, 20, 9, measure));
    }
}
