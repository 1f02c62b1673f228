//! Parameters of the cluster stage, with their defaults and validation.

use timbral_core::neighbors::KnnMethod;
use timbral_core::{Error, Result};

/// Which columns of `features` are clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureSet {
    /// The study's 90 timbre features (`timbral_core::contract::seed_feature_names`).
    Seed,
    /// Every numeric column of `features` except `track_id`.
    Extended,
}

/// Distance used by UMAP, its kNN graph and the neighbourhood quality metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Euclidean,
    Cosine,
}

impl Metric {
    /// The name manifolds-rs and scikit-learn use.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
        }
    }
}

/// Everything `timbral cluster` can be told. Build with [`ClusterParams::new`] and the
/// setters; [`ClusterParams::check`] validates (and [`crate::run`] calls it).
#[derive(Debug, Clone)]
pub struct ClusterParams {
    /// Feature columns to use.
    pub feature_set: FeatureSet,
    /// Smallest K-Means k tried.
    pub k_min: usize,
    /// Largest K-Means k tried.
    pub k_max: usize,
    /// Dimensions of the second UMAP embedding, the one HDBSCAN clusters.
    pub umap_dims: usize,
    /// UMAP's `n_neighbors`.
    pub n_neighbors: usize,
    /// UMAP's `min_dist`.
    pub min_dist: f64,
    /// UMAP metric.
    pub metric: Metric,
    /// Seed of every random step.
    pub seed: u64,
    /// K-Means restarts per k (the best inertia is kept).
    pub kmeans_runs: usize,
    /// DBSCAN `min_samples`; also the k of the k-distance curve that sets eps.
    pub dbscan_min_samples: usize,
    /// HDBSCAN `min_cluster_size` (HDBSCAN's `min_samples` is set to the same value).
    pub hdbscan_min_cluster_size: usize,
    /// Seeds used for the stability ARI (the run's seed and the next ones); 1 turns it off.
    pub stability_seeds: usize,
    /// Above this many songs the silhouette is the mean over a seeded uniform sample of this
    /// many songs, within that sample (scikit-learn's `sample_size`).
    pub silhouette_max_exact: usize,
    /// How the kNN graph (UMAP, quality, placement) is searched.
    pub knn: KnnMethod,
    /// Above this many songs HDBSCAN is fitted on a seeded sample of this many and every
    /// other song takes the majority label of its nearest fitted songs in the n-D map.
    pub hdbscan_max_fit: usize,
    /// Above this many songs the stability refits run on a seeded sample of this many.
    pub stability_max_songs: usize,
}

/// Neighbourhood size of the trustworthiness and neighbour-preservation metrics.
pub const QUALITY_K: usize = 15;

/// Fewer songs than this cannot be clustered meaningfully; smaller inputs are an error.
pub const MIN_SONGS: usize = 10;

impl ClusterParams {
    /// The defaults of `timbral cluster` with the given seed.
    pub fn new(seed: u64) -> Self {
        ClusterParams {
            feature_set: FeatureSet::Seed,
            k_min: 2,
            k_max: 15,
            umap_dims: 10,
            n_neighbors: 15,
            min_dist: 0.1,
            metric: Metric::Euclidean,
            seed,
            kmeans_runs: 3,
            dbscan_min_samples: 5,
            hdbscan_min_cluster_size: 5,
            stability_seeds: 3,
            silhouette_max_exact: 20_000,
            knn: KnnMethod::Auto,
            hdbscan_max_fit: 50_000,
            stability_max_songs: 20_000,
        }
    }

    pub fn knn(mut self, knn: KnnMethod) -> Self {
        self.knn = knn;
        self
    }

    pub fn hdbscan_max_fit(mut self, songs: usize) -> Self {
        self.hdbscan_max_fit = songs;
        self
    }

    pub fn stability_max_songs(mut self, songs: usize) -> Self {
        self.stability_max_songs = songs;
        self
    }

    pub fn feature_set(mut self, set: FeatureSet) -> Self {
        self.feature_set = set;
        self
    }

    pub fn k_range(mut self, k_min: usize, k_max: usize) -> Self {
        self.k_min = k_min;
        self.k_max = k_max;
        self
    }

    pub fn umap_dims(mut self, dims: usize) -> Self {
        self.umap_dims = dims;
        self
    }

    pub fn n_neighbors(mut self, n: usize) -> Self {
        self.n_neighbors = n;
        self
    }

    pub fn min_dist(mut self, min_dist: f64) -> Self {
        self.min_dist = min_dist;
        self
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn stability_seeds(mut self, seeds: usize) -> Self {
        self.stability_seeds = seeds;
        self
    }

    pub fn hdbscan_min_cluster_size(mut self, size: usize) -> Self {
        self.hdbscan_min_cluster_size = size;
        self
    }

    /// Rejects values no input size could make sense of.
    pub fn check(&self) -> Result<()> {
        let bad = |name, why: &str| Err(Error::InvalidParameter { name, why: why.to_string() });
        if self.k_min < 2 {
            return bad("k-min", "must be at least 2");
        }
        if self.k_max < self.k_min {
            return bad("k-max", "must be at least k-min");
        }
        if self.umap_dims < 2 {
            return bad("umap-dims", "must be at least 2");
        }
        if self.n_neighbors < 2 {
            return bad("n-neighbors", "must be at least 2");
        }
        if !(self.min_dist.is_finite() && self.min_dist >= 0.0 && self.min_dist < 1.0) {
            return bad("min-dist", "must be in [0, 1)");
        }
        if self.kmeans_runs == 0 {
            return bad("kmeans-runs", "must be at least 1");
        }
        if self.dbscan_min_samples < 2 {
            return bad("dbscan-min-samples", "must be at least 2");
        }
        if self.hdbscan_min_cluster_size < 2 {
            return bad("hdbscan-min-cluster-size", "must be at least 2");
        }
        if self.stability_seeds == 0 {
            return bad("stability-seeds", "must be at least 1 (1 turns the check off)");
        }
        if self.silhouette_max_exact < 2 {
            return bad("silhouette-max-exact", "must be at least 2");
        }
        if self.hdbscan_max_fit < MIN_SONGS {
            return bad("hdbscan-max-fit", "must be at least 10");
        }
        if self.stability_max_songs < MIN_SONGS {
            return bad("stability-max-songs", "must be at least 10");
        }
        Ok(())
    }

    /// Shrinks what the number of songs cannot support, returning one warning per change.
    /// Fails below [`MIN_SONGS`] songs or when no k of the range fits.
    pub fn fit_to(&self, songs: usize) -> Result<(ClusterParams, Vec<String>)> {
        if songs < MIN_SONGS {
            return Err(Error::EmptyTable {
                table: "features".to_string(),
                why: format!(
                    "{songs} song(s); clustering needs at least {MIN_SONGS} (K-Means k >= 2, \
                     UMAP n_neighbors >= 2 and a meaningful kNN graph)"
                ),
            });
        }
        let mut fitted = self.clone();
        let mut warnings = Vec::new();
        let mut shrink = |name: &str, value: &mut usize, limit: usize| {
            if *value > limit {
                warnings.push(format!("{name} {value} reduced to {limit}: only {songs} songs"));
                *value = limit;
            }
        };
        // Silhouette needs k <= n - 1; keep a few songs per cluster on average.
        shrink("k-max", &mut fitted.k_max, songs / 3);
        shrink("n-neighbors", &mut fitted.n_neighbors, songs - 1);
        shrink("umap-dims", &mut fitted.umap_dims, songs - 2);
        shrink("dbscan-min-samples", &mut fitted.dbscan_min_samples, songs / 2);
        shrink("hdbscan-min-cluster-size", &mut fitted.hdbscan_min_cluster_size, songs / 2);
        if fitted.k_max < fitted.k_min {
            return Err(Error::InvalidParameter {
                name: "k-min",
                why: format!(
                    "k-min {} needs at least {} songs, features has {songs}",
                    self.k_min,
                    self.k_min * 3
                ),
            });
        }
        Ok((fitted, warnings))
    }

    /// UMAP epochs, umap-learn's rule: 500 up to 10,000 songs, 200 above.
    pub fn umap_epochs(songs: usize) -> usize {
        if songs <= 10_000 { 500 } else { 200 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        ClusterParams::new(1).check().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let err = ClusterParams::new(1).k_range(5, 3).check().unwrap_err().to_string();
        assert!(err.contains("k-max"), "{err}");
        let err = ClusterParams::new(1).min_dist(1.5).check().unwrap_err().to_string();
        assert!(err.contains("min-dist"), "{err}");
    }

    #[test]
    fn few_songs_shrink_with_warnings_and_too_few_fail() {
        let (fitted, warnings) = ClusterParams::new(1).fit_to(12).unwrap();
        assert_eq!(fitted.k_max, 4);
        assert_eq!(fitted.n_neighbors, 11);
        assert!(warnings.iter().any(|w| w.contains("n-neighbors 15 reduced to 11")), "{warnings:?}");
        let err = ClusterParams::new(1).fit_to(5).unwrap_err().to_string();
        assert!(err.contains("5 song(s)") && err.contains("features"), "{err}");
        let err = ClusterParams::new(1).k_range(8, 9).fit_to(12).unwrap_err().to_string();
        assert!(err.contains("k-min 8"), "{err}");
    }
}
