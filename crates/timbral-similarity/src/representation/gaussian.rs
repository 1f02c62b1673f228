//! `gaussian-kl`: each song as one Gaussian over its segments' timbre vectors (its 12 means
//! and 12x12 covariance, the same numbers as the seed features), compared by the symmetrised
//! Kullback-Leibler divergence, the song-level timbre similarity of Mandel and Ellis (2005,
//! "Song-level features and support vector machines for music classification") and Pampalk
//! (2006):
//!
//! `KL(p||q) + KL(q||p) = (tr(S_q^-1 S_p) + tr(S_p^-1 S_q) + d' (S_p^-1 + S_q^-1) d) / 2 - 12`,
//! `d = mu_p - mu_q` (the log-determinants cancel).
//!
//! It is not a metric of a vector space, so no k-d tree, NN-descent or centroid bound applies:
//! it is scored by `timbral eval --compare` with exact scans (at most
//! [`crate::eval::compare::QUERY_SONGS`] query songs against all songs), and the stages that
//! need vector coordinates (`similarity`, `recommend`, `artists`) do not accept it.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::vectors::{DIMS, covariance_index};

/// Ridge added to every covariance's diagonal, relative to its mean variance, so a song with
/// a singular covariance (too few segments, a constant coefficient) still has an inverse.
pub const RIDGE: f64 = 1e-6;

/// One Gaussian per song, with its inverse covariance.
#[derive(Debug, Clone)]
pub struct Gaussians {
    means: Vec<[f64; DIMS]>,
    covariances: Vec<[f64; DIMS * DIMS]>,
    inverses: Vec<[f64; DIMS * DIMS]>,
}

impl Gaussians {
    /// From the raw (unscaled) 90 seed features, one row per song.
    pub fn from_features(raw: ArrayView2<f64>) -> Gaussians {
        let rows: Vec<_> = (0..raw.nrows())
            .into_par_iter()
            .map(|r| {
                let row = raw.row(r);
                let mut mean = [0.0; DIMS];
                let mut cov = [0.0; DIMS * DIMS];
                for i in 0..DIMS {
                    mean[i] = row[i];
                    for j in 0..DIMS {
                        cov[i * DIMS + j] = row[covariance_index(i, j)];
                    }
                }
                let ridge = RIDGE * (0..DIMS).map(|i| cov[i * DIMS + i]).sum::<f64>().max(1e-12) / DIMS as f64;
                for i in 0..DIMS {
                    cov[i * DIMS + i] += ridge;
                }
                let inv = spd_inverse(&cov);
                (mean, cov, inv)
            })
            .collect();
        let mut g = Gaussians { means: Vec::new(), covariances: Vec::new(), inverses: Vec::new() };
        for (m, c, i) in rows {
            g.means.push(m);
            g.covariances.push(c);
            g.inverses.push(i);
        }
        g
    }

    pub fn len(&self) -> usize {
        self.means.len()
    }

    pub fn is_empty(&self) -> bool {
        self.means.is_empty()
    }

    /// The symmetrised KL divergence between songs `p` and `q` (0 for `p == q`).
    pub fn symmetric_kl(&self, p: usize, q: usize) -> f64 {
        let (sp, sq) = (&self.covariances[p], &self.covariances[q]);
        let (ip, iq) = (&self.inverses[p], &self.inverses[q]);
        // Both matrices are symmetric, so tr(A B) is the sum of their elementwise product.
        let mut total = 0.0;
        for e in 0..DIMS * DIMS {
            total += iq[e] * sp[e] + ip[e] * sq[e];
        }
        let d: Vec<f64> = (0..DIMS).map(|i| self.means[p][i] - self.means[q][i]).collect();
        for i in 0..DIMS {
            for j in 0..DIMS {
                total += d[i] * (ip[i * DIMS + j] + iq[i * DIMS + j]) * d[j];
            }
        }
        (0.5 * total - DIMS as f64).max(0.0)
    }
}

/// The inverse of a symmetric positive-definite matrix by Cholesky factorisation (`L L'`,
/// then `L^-1`, then `L'^-1 L^-1`). A pivot that is not positive is floored at 1e-300.
fn spd_inverse(a: &[f64; DIMS * DIMS]) -> [f64; DIMS * DIMS] {
    let mut l = [0.0; DIMS * DIMS];
    for j in 0..DIMS {
        let mut diag = a[j * DIMS + j];
        for k in 0..j {
            diag -= l[j * DIMS + k] * l[j * DIMS + k];
        }
        let pivot = diag.max(1e-300).sqrt();
        l[j * DIMS + j] = pivot;
        for i in j + 1..DIMS {
            let mut v = a[i * DIMS + j];
            for k in 0..j {
                v -= l[i * DIMS + k] * l[j * DIMS + k];
            }
            l[i * DIMS + j] = v / pivot;
        }
    }
    // Forward substitution for each column of L^-1 (lower triangular).
    let mut li = [0.0; DIMS * DIMS];
    for c in 0..DIMS {
        for i in c..DIMS {
            let mut v = if i == c { 1.0 } else { 0.0 };
            for k in c..i {
                v -= l[i * DIMS + k] * li[k * DIMS + c];
            }
            li[i * DIMS + c] = v / l[i * DIMS + i];
        }
    }
    let mut inv = [0.0; DIMS * DIMS];
    for i in 0..DIMS {
        for j in 0..=i {
            let v: f64 = (i..DIMS).map(|k| li[k * DIMS + i] * li[k * DIMS + j]).sum();
            inv[i * DIMS + j] = v;
            inv[j * DIMS + i] = v;
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_the_identity() {
        let mut a = [0.0; DIMS * DIMS];
        for i in 0..DIMS {
            for j in 0..DIMS {
                a[i * DIMS + j] = 1.0 / (1.0 + (i as f64 - j as f64).abs()) + if i == j { 2.0 } else { 0.0 };
            }
        }
        let inv = spd_inverse(&a);
        for i in 0..DIMS {
            for j in 0..DIMS {
                let v: f64 = (0..DIMS).map(|k| a[i * DIMS + k] * inv[k * DIMS + j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-10, "{i} {j} {v}");
            }
        }
    }
}
