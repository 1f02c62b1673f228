//! PCA by eigen-decomposition of the covariance matrix (faer's symmetric eigensolver).
//!
//! linfa-reduction's PCA was once seen to panic ("NaN values in array") on a synthetic frame;
//! the covariance route is exact, small (`d x d`), deterministic, and checked against numpy.
//! Explained variances use the `n - 1` denominator like numpy and scikit-learn.

use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use timbral_core::{Error, Result};

/// A fitted PCA: components sorted by decreasing explained variance.
#[derive(Debug, Clone)]
pub struct Pca {
    pub mean: Array1<f64>,
    /// `d x d`, column `c` is component `c` (unit length, largest-magnitude loading positive).
    pub components: Array2<f64>,
    pub explained_variance: Vec<f64>,
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits on `data` (rows are songs). Needs at least two rows.
    pub fn fit(data: ArrayView2<f64>) -> Result<Pca> {
        let (n, d) = data.dim();
        if n < 2 {
            return Err(Error::TooFewRows { table: "features".into(), rows: n, why: "PCA needs at least 2 songs".into() });
        }
        let mean = data.sum_axis(Axis(0)) / n as f64;
        let centred = &data - &mean;
        let covariance = centred.t().dot(&centred) / (n as f64 - 1.0);
        let total: f64 = covariance.diag().sum();
        let matrix = Mat::<f64>::from_fn(d, d, |i, j| covariance[[i, j]]);
        let eigen = matrix
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| Error::algorithm("PCA eigen-decomposition", format!("{e:?}")))?;
        let (values, vectors) = (eigen.S().column_vector(), eigen.U());
        let mut components = Array2::zeros((d, d));
        let mut explained_variance = Vec::with_capacity(d);
        // faer sorts ascending; components go out descending.
        for (c, source) in (0..d).rev().enumerate() {
            explained_variance.push(values[source].max(0.0));
            let mut column: Vec<f64> = (0..d).map(|i| vectors[(i, source)]).collect();
            let pivot = column.iter().copied().fold(0.0f64, |best, v| if v.abs() > best.abs() { v } else { best });
            if pivot < 0.0 {
                column.iter_mut().for_each(|v| *v = -*v);
            }
            for (i, v) in column.into_iter().enumerate() {
                components[[i, c]] = v;
            }
        }
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();
        Ok(Pca { mean, components, explained_variance, explained_variance_ratio })
    }

    /// Scores of `data` on the first `count` components.
    pub fn scores(&self, data: ArrayView2<f64>, count: usize) -> Array2<f64> {
        let count = count.min(self.components.ncols());
        (&data - &self.mean).dot(&self.components.slice(ndarray::s![.., ..count]))
    }

    /// Cumulative explained-variance ratio per component.
    pub fn cumulative_ratio(&self) -> Vec<f64> {
        self.explained_variance_ratio
            .iter()
            .scan(0.0, |sum, r| {
                *sum += r;
                Some(*sum)
            })
            .collect()
    }

    /// The fewest components whose cumulative ratio reaches `share` (e.g. 0.8).
    pub fn components_for(&self, share: f64) -> usize {
        let cumulative = self.cumulative_ratio();
        cumulative
            .iter()
            .position(|&c| c >= share - 1e-12)
            .map_or(cumulative.len(), |p| p + 1)
    }
}
