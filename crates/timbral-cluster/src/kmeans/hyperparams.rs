//! K-Means hyperparameters: a builder checked once before fitting (linfa's `ParamGuard`).

use super::errors::KMeansError;

/// Checked hyperparameters; obtained from [`KMeansParams`] through [`linfa::ParamGuard`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansValidParams {
    pub(crate) k: usize,
    pub(crate) runs: usize,
    pub(crate) max_iterations: usize,
    pub(crate) tolerance: f64,
    pub(crate) seed: u64,
}

/// K-Means with k-means++ seeding and Lloyd iterations. Defaults follow scikit-learn:
/// 300 iterations at most, tolerance 1e-4 relative to the mean feature variance.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams(KMeansValidParams);

impl KMeansParams {
    pub fn new(k: usize) -> Self {
        KMeansParams(KMeansValidParams { k, runs: 1, max_iterations: 300, tolerance: 1e-4, seed: 0 })
    }
}

timbral_core::param_fields! {
    KMeansParams, 0 => KMeansValidParams {
        /// Independent restarts; the fit with the lowest inertia wins.
        runs: usize,
        max_iterations: usize,
        /// Stop when the squared centre shift of an iteration is at most this times the mean
        /// feature variance (scikit-learn's `tol`).
        tolerance: f64,
        seed: u64,
    }
}

timbral_core::param_guard!(KMeansParams, 0 => KMeansValidParams, KMeansError, |p| {
    let bad = |name, problem: &str| Err(KMeansError::InvalidParam { name, problem: problem.to_string() });
    if p.k == 0 {
        return bad("k", "must be at least 1");
    }
    if p.runs == 0 {
        return bad("runs", "must be at least 1");
    }
    if p.max_iterations == 0 {
        return bad("max_iterations", "must be at least 1");
    }
    if !(p.tolerance.is_finite() && p.tolerance >= 0.0) {
        return bad("tolerance", "must be a finite number >= 0");
    }
});
