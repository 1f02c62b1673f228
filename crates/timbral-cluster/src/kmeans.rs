//! K-Means (linfa-clustering) for every k of a range, scored for model selection.
//!
//! Choice of k: the k with the highest mean silhouette; ties go to the smaller k. The
//! silhouette rewards both compact and separated clusters, and unlike inertia it does not
//! always improve with k.

use linfa::DatasetBase;
use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::ArrayView2;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use rand_xoshiro::rand_core::SeedableRng;
use timbral_core::{Error, Result};

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
    let dataset = DatasetBase::from(data);
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(runs)
        .tolerance(1e-4)
        .max_n_iterations(300)
        .fit(&dataset)
        .map_err(|e| Error::Other(format!("K-Means with k={k} failed: {e}")))?;
    let labels: ndarray::Array1<usize> = model.predict(&data);
    Ok(labels.to_vec())
}

/// Fits K-Means for each k in `k_min..=k_max`, scores every fit, and picks k by silhouette.
pub fn select_k(
    data: ArrayView2<f64>,
    k_min: usize,
    k_max: usize,
    runs: usize,
    seed: u64,
    silhouette_max_exact: usize,
) -> Result<KMeansSelection> {
    let ks: Vec<usize> = (k_min..=k_max).collect();
    let labelings = ks
        .par_iter()
        .map(|&k| kmeans_labels(data, k, runs, seed))
        .collect::<Result<Vec<_>>>()?;
    let silhouettes = metrics::silhouettes(data, &labelings, silhouette_max_exact, seed);
    let scores: Vec<KScore> = ks
        .iter()
        .zip(&labelings)
        .zip(&silhouettes)
        .map(|((&k, labels), &silhouette)| KScore {
            k,
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
    Ok(KMeansSelection {
        chosen_k: scores[best].k,
        labels: labelings[best].clone(),
        scores,
    })
}
