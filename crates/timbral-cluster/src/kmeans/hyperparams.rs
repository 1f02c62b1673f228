//! K-Means hyperparameters: a builder checked once before fitting (linfa's `ParamGuard`).

use linfa::ParamGuard;

use super::errors::KMeansError;

/// Checked hyperparameters; obtained from [`KMeansParams`] through [`ParamGuard`].
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

    /// Independent restarts; the fit with the lowest inertia wins.
    pub fn runs(mut self, runs: usize) -> Self {
        self.0.runs = runs;
        self
    }

    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.0.max_iterations = max_iterations;
        self
    }

    /// Stop when the squared centre shift of an iteration is at most this times the mean
    /// feature variance (scikit-learn's `tol`).
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.0.tolerance = tolerance;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
}

impl ParamGuard for KMeansParams {
    type Checked = KMeansValidParams;
    type Error = KMeansError;

    fn check_ref(&self) -> Result<&KMeansValidParams, KMeansError> {
        let p = &self.0;
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
        Ok(p)
    }

    fn check(self) -> Result<KMeansValidParams, KMeansError> {
        self.check_ref()?;
        Ok(self.0)
    }
}
