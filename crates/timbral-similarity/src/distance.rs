//! Euclidean distances between songs and between sets of songs.
//!
//! Sums are formed per row in parallel and then added in a fixed order, so results do not
//! depend on how rayon splits the work (byte-identical tables for the same input).

use ndarray::Array2;
use rayon::prelude::*;

/// Euclidean distance of two equally long vectors.
#[inline]
pub fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    squared_euclidean(a, b).sqrt()
}

#[inline]
pub fn squared_euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn row(points: &Array2<f64>, i: usize) -> &[f64] {
    points
        .row(i)
        .to_slice()
        .expect("points are a standard-layout matrix")
}

/// Mean distance over the distinct pairs of `members` (rows of `points`); `None` below 2.
pub fn mean_pairwise(points: &Array2<f64>, members: &[usize]) -> Option<f64> {
    let m = members.len();
    if m < 2 {
        return None;
    }
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
    Some(total / (m * (m - 1) / 2) as f64)
}

/// Mean distance over all distinct pairs of rows, in parallel over rows: the library mean.
pub fn library_mean_pairwise(points: &Array2<f64>) -> Option<f64> {
    let n = points.nrows();
    if n < 2 {
        return None;
    }
    let per_row: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            (i + 1..n)
                .map(|j| euclidean(row(points, i), row(points, j)))
                .sum::<f64>()
        })
        .collect();
    Some(per_row.iter().sum::<f64>() / (n * (n - 1) / 2) as f64)
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
        assert!((mean_pairwise(&points, &[0, 1, 2]).unwrap() - 4.0).abs() < 1e-12);
        assert!((library_mean_pairwise(&points).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(mean_pairwise(&points, &[1]), None);
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
    fn single_song_has_zero_trace() {
        let points = array![[1.0, 2.0], [4.0, 6.0]];
        let one = Moments::of(&points, &[1]);
        assert_eq!(one.trace, 0.0);
        assert_eq!(one.mean, vec![4.0, 6.0]);
        let other = Moments::of(&points, &[0]);
        assert_eq!(one.distance_bounds(&other), (5.0, 5.0));
    }
}
