//! K-Means for every k of a range, scored for model selection. The algorithm ([`algorithm`])
//! follows linfa's layout: a checked builder ([`KMeansParams`]) that `Fit`s a model that
//! `Predict`s.
//!
//! Choice of k: the k with the highest mean silhouette; ties go to the smaller k. The
//! silhouette rewards both compact and separated clusters, and unlike inertia it does not
//! always improve with k.

mod algorithm;
mod errors;
mod hyperparams;

use linfa::DatasetBase;
use linfa::prelude::*;
use ndarray::ArrayView2;
use rayon::prelude::*;
use timbral_core::Result;

pub use algorithm::KMeansModel;
pub use errors::KMeansError;
pub use hyperparams::{KMeansParams, KMeansValidParams};

use crate::metrics;

/// One row of the `model_selection` table.
#[derive(Debug, Clone, PartialEq)]
pub struct KScore {
    pub k: usize,
    pub inertia: f64,
    pub silhouette: f64,
    pub calinski_harabasz: f64,
    pub davies_bouldin: f64,
}

/// K-Means over a range of k with the chosen k's labels.
#[derive(Debug, Clone)]
pub struct KMeansSelection {
    pub scores: Vec<KScore>,
    pub chosen_k: usize,
    pub labels: Vec<usize>,
}

/// Seeded K-Means (k-means++ init, best of `runs` restarts) returning labels `0..k`.
pub fn kmeans_labels(data: ArrayView2<f64>, k: usize, runs: usize, seed: u64) -> Result<Vec<usize>> {
    let model = KMeansParams::new(k).runs(runs).seed(seed).fit(&DatasetBase::from(data))?;
    Ok(model.labels)
}

/// Fits K-Means for each k in `k_min..=k_max` (in parallel); labelings in k order.
pub fn fit_range(data: ArrayView2<f64>, k_min: usize, k_max: usize, runs: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    (k_min..=k_max).into_par_iter().map(|k| kmeans_labels(data, k, runs, seed)).collect()
}

/// Scores the labelings of [`fit_range`] (given their silhouettes) and picks k by silhouette.
pub fn select(data: ArrayView2<f64>, k_min: usize, labelings: Vec<Vec<usize>>, silhouettes: &[f64]) -> KMeansSelection {
    let scores: Vec<KScore> = labelings
        .iter()
        .zip(silhouettes)
        .enumerate()
        .map(|(i, (labels, &silhouette))| KScore {
            k: k_min + i,
            inertia: metrics::inertia(data, labels),
            silhouette,
            calinski_harabasz: metrics::calinski_harabasz(data, labels),
            davies_bouldin: metrics::davies_bouldin(data, labels),
        })
        .collect();
    let best = scores
        .iter()
        .enumerate()
        .fold(0, |best, (i, s)| if s.silhouette > scores[best].silhouette { i } else { best });
    let labels = labelings.into_iter().nth(best).expect("one labeling per score");
    KMeansSelection { chosen_k: scores[best].k, labels, scores }
}
