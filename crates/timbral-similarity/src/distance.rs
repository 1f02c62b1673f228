//! Euclidean distances between songs and between sets of songs.
//!
//! Sums are formed per row (or per fixed chunk of sampled pairs) in parallel and then added in
//! a fixed order, so results do not depend on how rayon splits the work (byte-identical tables
//! for the same input and seed). Means over all pairs of a large set are estimated from a
//! seeded sample of pairs above a documented size ([`LIBRARY_PAIRS`], [`GROUP_PAIRS`]).

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use timbral_core::neighbors::{euclidean, squared_euclidean};

fn row(points: &Array2<f64>, i: usize) -> &[f64] {
    points
        .row(i)
        .to_slice()
        .expect("points are a standard-layout matrix")
}

/// Distinct pairs whose mean the library mean visits exactly; above, it is estimated from this
/// many sampled pairs (10^7 distances: a tenth of a second in 10-D).
pub const LIBRARY_PAIRS: usize = 10_000_000;

/// Distinct pairs whose mean a genre's or an artist's spread visits exactly (about 1,400
/// songs); above, it is estimated from this many sampled pairs.
pub const GROUP_PAIRS: usize = 1_000_000;

/// A mean pairwise distance, exact or estimated from sampled pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairMean {
    pub mean: f64,
    /// Standard error of a sampled estimate; 0 when every pair was visited.
    pub standard_error: f64,
    /// Pairs visited (all distinct pairs when exact).
    pub pairs: usize,
}

/// Mean distance over the distinct pairs of `members` (rows of `points`); `None` below 2.
/// Exact while there are at most `max_pairs` distinct pairs; above, the unbiased mean of
/// `max_pairs` pairs drawn uniformly (with replacement) from a ChaCha8 RNG seeded by `seed`.
pub fn mean_pairwise(points: &Array2<f64>, members: &[usize], max_pairs: usize, seed: u64) -> Option<PairMean> {
    let m = members.len();
    if m < 2 {
        return None;
    }
    let all_pairs = m * (m - 1) / 2;
    if all_pairs <= max_pairs {
        let total: f64 = members
            .iter()
            .enumerate()
            .map(|(a, &i)| {
                members[a + 1..]
                    .iter()
                    .map(|&j| euclidean(row(points, i), row(points, j)))
                    .sum::<f64>()
            })
            .sum();
        return Some(PairMean {
            mean: total / all_pairs as f64,
            standard_error: 0.0,
            pairs: all_pairs,
        });
    }
    Some(sampled_mean(max_pairs, seed, |rng| {
        let (a, b) = distinct_pair(rng, m);
        euclidean(row(points, members[a]), row(points, members[b]))
    }))
}

/// Mean distance over all distinct pairs of rows: the library mean. Exact (in parallel over
/// rows) up to [`LIBRARY_PAIRS`] pairs, else estimated from that many sampled pairs.
pub fn library_mean_pairwise(points: &Array2<f64>, seed: u64) -> Option<PairMean> {
    let n = points.nrows();
    if n < 2 {
        return None;
    }
    let all_pairs = n * (n - 1) / 2;
    if all_pairs > LIBRARY_PAIRS {
        return Some(sampled_mean(LIBRARY_PAIRS, seed, |rng| {
            let (a, b) = distinct_pair(rng, n);
            euclidean(row(points, a), row(points, b))
        }));
    }
    let per_row: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            (i + 1..n)
                .map(|j| euclidean(row(points, i), row(points, j)))
                .sum::<f64>()
        })
        .collect();
    Some(PairMean {
        mean: per_row.iter().sum::<f64>() / all_pairs as f64,
        standard_error: 0.0,
        pairs: all_pairs,
    })
}

/// Two distinct indices below `m`, uniformly over unordered pairs.
fn distinct_pair(rng: &mut ChaCha8Rng, m: usize) -> (usize, usize) {
    let a = rng.random_range(0..m);
    let b = rng.random_range(0..m - 1);
    (a, if b >= a { b + 1 } else { b })
}

/// Mean and standard error of `draws` values of `draw`, in fixed-size chunks with one seeded
/// RNG each, so the estimate is parallel yet independent of the thread count.
fn sampled_mean(draws: usize, seed: u64, draw: impl Fn(&mut ChaCha8Rng) -> f64 + Sync) -> PairMean {
    const CHUNK: usize = 65_536;
    let chunks = draws.div_ceil(CHUNK);
    let sums: Vec<(f64, f64)> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let len = CHUNK.min(draws - c * CHUNK);
            (0..len).fold((0.0, 0.0), |(s, s2), _| {
                let d = draw(&mut rng);
                (s + d, s2 + d * d)
            })
        })
        .collect();
    let (sum, sum_sq) = sums.iter().fold((0.0, 0.0), |(s, s2), &(a, b)| (s + a, s2 + b));
    let k = draws as f64;
    let mean = sum / k;
    let variance = ((sum_sq - k * mean * mean) / (k - 1.0).max(1.0)).max(0.0);
    PairMean {
        mean,
        standard_error: (variance / k).sqrt(),
        pairs: draws,
    }
}

/// Mean distance over all pairs (one song of `a`, one of `b`): the study's artist distance.
pub fn mean_between(points: &Array2<f64>, a: &[usize], b: &[usize]) -> f64 {
    let total: f64 = a
        .iter()
        .map(|&i| b.iter().map(|&j| euclidean(row(points, i), row(points, j))).sum::<f64>())
        .sum();
    total / (a.len() * b.len()) as f64
}

/// First and second moments of a set of points: its mean and the trace of its population
/// covariance (the mean squared distance to the mean).
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub mean: Vec<f64>,
    pub trace: f64,
}

impl Moments {
    /// `members` must not be empty.
    pub fn of(points: &Array2<f64>, members: &[usize]) -> Moments {
        let d = points.ncols();
        let m = members.len() as f64;
        let mut mean = vec![0.0; d];
        for &i in members {
            for (acc, v) in mean.iter_mut().zip(row(points, i)) {
                *acc += v;
            }
        }
        mean.iter_mut().for_each(|v| *v /= m);
        let trace = members
            .iter()
            .map(|&i| squared_euclidean(row(points, i), &mean))
            .sum::<f64>()
            / m;
        Moments { mean, trace }
    }

    /// The mean squared distance over all pairs of the two sets, without visiting the pairs:
    /// `E|x - y|^2 = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b)` for independent x in a, y in b.
    pub fn mean_squared_distance(&self, other: &Moments) -> f64 {
        squared_euclidean(&self.mean, &other.mean) + self.trace + other.trace
    }

    /// Bounds on the mean (unsquared) distance between the sets: `|mu_a - mu_b|` below, by
    /// convexity of the norm, and `sqrt` of the mean squared distance above, by Jensen.
    pub fn distance_bounds(&self, other: &Moments) -> (f64, f64) {
        let centres = squared_euclidean(&self.mean, &other.mean);
        (centres.sqrt(), (centres + self.trace + other.trace).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn brute_mean_squared(points: &Array2<f64>, a: &[usize], b: &[usize]) -> f64 {
        let mut total = 0.0;
        for &i in a {
            for &j in b {
                total += squared_euclidean(row(points, i), row(points, j));
            }
        }
        total / (a.len() * b.len()) as f64
    }

    #[test]
    fn hand_checked_pairwise_means() {
        // A 3-4-5 triangle: pair distances 3, 4 and 5.
        let points = array![[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]];
        let exact = mean_pairwise(&points, &[0, 1, 2], GROUP_PAIRS, 0).unwrap();
        assert_eq!((exact.pairs, exact.standard_error), (3, 0.0));
        assert!((exact.mean - 4.0).abs() < 1e-12);
        assert!((library_mean_pairwise(&points, 0).unwrap().mean - 4.0).abs() < 1e-12);
        assert_eq!(mean_pairwise(&points, &[1], GROUP_PAIRS, 0), None);
        // {origin} against {(3,0), (0,4)}: (3 + 4) / 2.
        assert!((mean_between(&points, &[0], &[1, 2]) - 3.5).abs() < 1e-12);
    }

    #[test]
    fn moments_identity_matches_brute_force() {
        // Deterministic irregular points in 4-D.
        let points = Array2::from_shape_fn((23, 4), |(i, j)| {
            ((i * 7 + j * 13) % 11) as f64 * 0.37 - (i as f64 * 0.05).sin() * j as f64
        });
        let a: Vec<usize> = (0..9).collect();
        let b: Vec<usize> = (9..23).collect();
        let (ma, mb) = (Moments::of(&points, &a), Moments::of(&points, &b));
        let identity = ma.mean_squared_distance(&mb);
        let brute = brute_mean_squared(&points, &a, &b);
        assert!((identity - brute).abs() < 1e-9 * brute, "{identity} vs {brute}");
        let exact = mean_between(&points, &a, &b);
        let (low, high) = ma.distance_bounds(&mb);
        assert!(low <= exact && exact <= high, "{low} <= {exact} <= {high}");
        // A set against itself, i == j pairs included: twice its trace.
        let self_msd = brute_mean_squared(&points, &a, &a);
        assert!((ma.mean_squared_distance(&ma) - self_msd).abs() < 1e-9 * self_msd);
    }

    #[test]
    fn sampled_pair_mean_is_within_its_standard_error_of_the_exact_mean() {
        let points = Array2::from_shape_fn((300, 3), |(i, j)| ((i * 31 + j * 17) % 97) as f64 * 0.1 + (i % 7) as f64);
        let members: Vec<usize> = (0..300).collect();
        let exact = mean_pairwise(&points, &members, usize::MAX, 0).unwrap();
        assert_eq!(exact.pairs, 300 * 299 / 2);
        let sampled = mean_pairwise(&points, &members, 20_000, 5).unwrap();
        assert_eq!(sampled.pairs, 20_000);
        assert!(sampled.standard_error > 0.0);
        let z = (sampled.mean - exact.mean).abs() / sampled.standard_error;
        assert!(z < 4.0, "{sampled:?} vs exact {}", exact.mean);
        assert_eq!(Some(sampled), mean_pairwise(&points, &members, 20_000, 5));
        // Thread count does not change the estimate.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(Some(sampled), pool.install(|| mean_pairwise(&points, &members, 20_000, 5)));
    }

    #[test]
    fn single_song_has_zero_trace() {
        let points = array![[1.0, 2.0], [4.0, 6.0]];
        let one = Moments::of(&points, &[1]);
        assert_eq!(one.trace, 0.0);
        assert_eq!(one.mean, vec![4.0, 6.0]);
        let other = Moments::of(&points, &[0]);
        assert_eq!(one.distance_bounds(&other), (5.0, 5.0));
    }
}
