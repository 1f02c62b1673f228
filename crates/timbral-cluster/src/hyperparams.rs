//! Parameters of the cluster stage, with their defaults and validation.

use crate::umap::UmapSettings;
use timbral_core::neighbors::KnnMethod;
use timbral_core::{Error, Result, timbral_ensure};

/// Which columns of `features` are clustered: the study's 90 or every numeric column.
pub use timbral_core::FeatureSet;

pub use crate::metric::Metric;

/// Checked parameters of the cluster stage, from [`ClusterParams`] through [`linfa::ParamGuard`].
/// The getters of [`ClusterParams::defaults`] are the command line's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterValidParams {
    /// Feature columns to use.
    pub(crate) feature_set: FeatureSet,
    /// Smallest K-Means k tried.
    pub(crate) k_min: usize,
    /// Largest K-Means k tried.
    pub(crate) k_max: usize,
    /// Dimensions of the second UMAP embedding, the one HDBSCAN clusters.
    pub(crate) umap_dims: usize,
    /// UMAP's `n_neighbors`.
    pub(crate) n_neighbors: usize,
    /// UMAP's `min_dist`.
    pub(crate) min_dist: f64,
    /// UMAP metric.
    pub(crate) metric: Metric,
    /// Seed of every random step.
    pub(crate) seed: u64,
    /// K-Means restarts per k (the best inertia is kept).
    pub(crate) kmeans_runs: usize,
    /// DBSCAN `min_samples`; also the k of the k-distance curve that sets eps.
    pub(crate) dbscan_min_samples: usize,
    /// HDBSCAN `min_cluster_size` (HDBSCAN's `min_samples` is set to the same value).
    pub(crate) hdbscan_min_cluster_size: usize,
    /// Seeds used for the stability ARI (the run's seed and the next ones); 1 turns it off.
    pub(crate) stability_seeds: usize,
    /// Above this many songs the silhouette is the mean over a seeded uniform sample of this
    /// many songs, within that sample (scikit-learn's `sample_size`).
    pub(crate) silhouette_max_exact: usize,
    /// How the kNN graph (UMAP, quality, placement) is searched.
    pub(crate) knn: KnnMethod,
    /// Above this many songs HDBSCAN is fitted on a seeded sample of this many and every
    /// other song takes the majority label of its nearest fitted songs in the n-D map.
    pub(crate) hdbscan_max_fit: usize,
    /// Above this many songs the stability refits run on a seeded sample of this many.
    pub(crate) stability_max_songs: usize,
    /// Above this many songs both UMAP maps are fitted on a seeded sample of this many and
    /// every other song is placed into them (`umap::fit_maps`).
    pub(crate) umap_max_fit: usize,
}

/// Neighbourhood size of the trustworthiness and neighbour-preservation metrics.
pub const QUALITY_K: usize = 15;

/// Fewer songs than this cannot be clustered meaningfully; smaller inputs are an error.
pub const MIN_SONGS: usize = 10;

/// Everything `timbral cluster` can be told: [`ClusterParams::new`] gives the defaults, the
/// setters change them, and [`linfa::ParamGuard::check`] validates.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterParams(ClusterValidParams);

impl ClusterParams {
    /// The defaults of `timbral cluster` with the given seed.
    pub fn new(seed: u64) -> Self {
        ClusterParams(ClusterValidParams {
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
            umap_max_fit: 200_000,
        })
    }

    /// The defaults, for the command line's help.
    pub fn defaults() -> ClusterValidParams {
        ClusterParams::new(0).0
    }

    /// The K-Means k tried, `k_min..=k_max`.
    pub fn k_range(mut self, k_min: usize, k_max: usize) -> Self {
        self.0.k_min = k_min;
        self.0.k_max = k_max;
        self
    }
}

timbral_core::param_fields! {
    ClusterParams, 0 => ClusterValidParams {
        /// Dimensions of the n-D UMAP.
        umap_dims: usize,
        /// UMAP's `n_neighbors`.
        n_neighbors: usize,
        /// UMAP's `min_dist`.
        min_dist: f64,
        /// HDBSCAN's `min_cluster_size`.
        hdbscan_min_cluster_size: usize,
        /// Seeds of the stability ARI.
        stability_seeds: usize,
        /// HDBSCAN's largest fitted sample.
        hdbscan_max_fit: usize,
        /// The stability refits' largest sample.
        stability_max_songs: usize,
        /// The UMAP maps' largest fitted sample.
        umap_max_fit: usize,
        /// How the kNN graph is searched.
        knn: KnnMethod,
        /// Feature columns to use.
        feature_set: FeatureSet,
        /// UMAP metric.
        metric: Metric,
    }
}

// Rejects values no input size could make sense of.
timbral_core::param_guard!(ClusterParams, 0 => ClusterValidParams, Error, |p| {
    timbral_ensure!(p.k_min >= 2, InvalidParameter { name: "k-min", why: "must be at least 2".into() });
    timbral_ensure!(p.k_max >= p.k_min, InvalidParameter { name: "k-max", why: "must be at least k-min".into() });
    timbral_ensure!(p.umap_dims >= 2, InvalidParameter { name: "umap-dims", why: "must be at least 2".into() });
    timbral_ensure!(p.n_neighbors >= 2, InvalidParameter { name: "n-neighbors", why: "must be at least 2".into() });
    timbral_ensure!(p.min_dist.is_finite() && p.min_dist >= 0.0 && p.min_dist < 1.0, InvalidParameter { name: "min-dist", why: "must be in [0, 1)".into() });
    timbral_ensure!(p.kmeans_runs != 0, InvalidParameter { name: "kmeans-runs", why: "must be at least 1".into() });
    timbral_ensure!(p.dbscan_min_samples >= 2, InvalidParameter { name: "dbscan-min-samples", why: "must be at least 2".into() });
    timbral_ensure!(p.hdbscan_min_cluster_size >= 2, InvalidParameter { name: "hdbscan-min-cluster-size", why: "must be at least 2".into() });
    timbral_ensure!(p.stability_seeds != 0, InvalidParameter { name: "stability-seeds", why: "must be at least 1 (1 turns the check off)".into() });
    timbral_ensure!(p.silhouette_max_exact >= 2, InvalidParameter { name: "silhouette-max-exact", why: "must be at least 2".into() });
    timbral_ensure!(p.hdbscan_max_fit >= MIN_SONGS, InvalidParameter { name: "hdbscan-max-fit", why: format!("must be at least {MIN_SONGS}") });
    timbral_ensure!(p.stability_max_songs >= MIN_SONGS, InvalidParameter { name: "stability-max-songs", why: format!("must be at least {MIN_SONGS}") });
    timbral_ensure!(p.umap_max_fit >= MIN_SONGS, InvalidParameter { name: "umap-max-fit", why: format!("must be at least {MIN_SONGS}") });
});

impl ClusterValidParams {
    /// Seed of every random step.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Smallest K-Means k tried.
    pub fn k_min(&self) -> usize {
        self.k_min
    }

    /// Largest K-Means k tried.
    pub fn k_max(&self) -> usize {
        self.k_max
    }

    /// Shrinks what the number of songs cannot support, returning one warning per change.
    /// Fails below [`MIN_SONGS`] songs or when no k of the range fits.
    pub fn fit_to(&self, songs: usize) -> Result<(ClusterValidParams, Vec<String>)> {
        if songs < MIN_SONGS {
            return Err(Error::TooFewRows {
                table: "features".to_string(),
                rows: songs,
                why: format!(
                    "clustering needs at least {MIN_SONGS} songs (K-Means k >= 2, UMAP \
                     n_neighbors >= 2 and a meaningful kNN graph)"
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

    /// The UMAP settings of a fit on `songs` songs.
    pub fn umap_settings(&self, songs: usize) -> UmapSettings {
        UmapSettings { n_neighbors: self.n_neighbors, min_dist: self.min_dist, metric: self.metric, n_epochs: crate::umap::fit_epochs(songs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;

    #[test]
    fn defaults_are_valid() {
        ClusterParams::new(1).check().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let rejected = |params: ClusterParams| params.check().unwrap_err().parameter();
        assert_eq!(rejected(ClusterParams::new(1).k_range(5, 3)), Some("k-max"));
        assert_eq!(rejected(ClusterParams::new(1).min_dist(1.5)), Some("min-dist"));
        assert_eq!(rejected(ClusterParams::new(1).hdbscan_max_fit(MIN_SONGS - 1)), Some("hdbscan-max-fit"));
        assert_eq!(rejected(ClusterParams::new(1).stability_max_songs(MIN_SONGS - 1)), Some("stability-max-songs"));
        assert_eq!(rejected(ClusterParams::new(1).umap_max_fit(MIN_SONGS - 1)), Some("umap-max-fit"));
        ClusterParams::new(1).hdbscan_max_fit(MIN_SONGS).stability_max_songs(MIN_SONGS).check().unwrap();
    }

    #[test]
    fn few_songs_shrink_with_warnings_and_too_few_fail() {
        let (fitted, warnings) = ClusterParams::new(1).check().unwrap().fit_to(12).unwrap();
        assert_eq!(fitted.k_max, 4);
        assert_eq!(fitted.n_neighbors, 11);
        assert!(warnings.iter().any(|w| w.contains("n-neighbors 15 reduced to 11")), "{warnings:?}");
        let err = ClusterParams::new(1).check().unwrap().fit_to(5).unwrap_err();
        assert!(matches!(&err, Error::TooFewRows { table, rows: 5, .. } if table == "features"), "{err}");
        let err = ClusterParams::new(1).k_range(8, 9).check().unwrap().fit_to(12).unwrap_err();
        assert_eq!(err.parameter(), Some("k-min"), "{err}");
    }
}
