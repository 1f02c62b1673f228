//! What the stage computes, shared by the pipeline that fills it, the table writers and
//! placement.

use ndarray::Array2;
pub use timbral_core::contract::PC_SCORES;

use crate::density::{self, DbscanResult, HdbscanLabels};
use crate::metrics::NeighbourhoodQuality;
use crate::hyperparams::ClusterValidParams;
use crate::kmeans::KMeansSelection;
use crate::model::ClusterModel;
use crate::pca::Pca;
use timbral_core::scaler::Scaler;
use crate::umap::UmapModel;

/// Everything the stage computes, before it is written.
#[derive(Debug, Clone)]
pub struct ClusterOutput {
    pub track_ids: Vec<String>,
    /// The parameters actually used (after any reduction for few songs).
    pub params: ClusterValidParams,
    pub warnings: Vec<String>,
    pub scaler: Scaler,
    pub pca: Pca,
    pub pca_scores: Array2<f64>,
    pub kmeans: KMeansSelection,
    pub umap_2d: Array2<f64>,
    pub umap_nd: Array2<f64>,
    pub dbscan: DbscanResult,
    pub hdbscan: HdbscanLabels,
    /// Trustworthiness, neighbour preservation and the graph's recall of the 2-D map.
    pub neighbourhood: NeighbourhoodQuality,
    pub stability: StabilityFigures,
    /// Songs the UMAP maps were fitted on; the others were placed into them.
    pub umap_fitted: usize,
    /// The `cluster_model` row.
    pub model: ClusterModel,
    /// Seconds per step, in execution order. `hdbscan` runs beside `quality` and `stability`,
    /// so those three overlap; `total` (added by [`run`]) is the wall time.
    pub timings: Vec<(&'static str, f64)>,
    /// The n-D embedding as a model that new songs can be placed into.
    pub model_nd: UmapModel,
}

/// What the stability refits found.
#[derive(Debug, Clone, Copy)]
pub struct StabilityFigures {
    /// Songs the refits covered.
    pub songs: usize,
    /// Mean pairwise ARI of K-Means, DBSCAN and HDBSCAN across the seeds.
    pub aris: [f64; 3],
}

impl ClusterOutput {
    /// The `(metric, value)` rows of `cluster_quality`, in a fixed order.
    pub fn quality(&self) -> Vec<(&'static str, f64)> {
        let (pca, kmeans, dbscan, hdbscan) = (&self.pca, &self.kmeans, &self.dbscan.labels, &self.hdbscan);
        let chosen_silhouette = kmeans.scores.iter().find(|s| s.k == kmeans.chosen_k).map_or(f64::NAN, |s| s.silhouette);
        vec![
            ("songs", self.track_ids.len() as f64),
            ("features", self.scaler.features.len() as f64),
            ("kmeans_chosen_k", kmeans.chosen_k as f64),
            ("kmeans_silhouette", chosen_silhouette),
            ("pca_components_80", pca.components_for(0.8) as f64),
            ("pca_components_90", pca.components_for(0.9) as f64),
            ("pca_ratio_2", pca.cumulative_ratio().get(1).copied().unwrap_or(1.0)),
            ("trustworthiness_2d_k15", self.neighbourhood.trustworthiness),
            ("neighbours_preserved_2d_k15", self.neighbourhood.preserved),
            ("quality_songs_scored", self.neighbourhood.rows as f64),
            ("knn_recall_k15", self.neighbourhood.graph_recall),
            ("dbscan_eps", self.dbscan.eps),
            ("dbscan_clusters", density::cluster_count(dbscan) as f64),
            ("dbscan_noise_share", density::noise_share(dbscan)),
            ("hdbscan_clusters", density::cluster_count(&hdbscan.labels) as f64),
            ("hdbscan_noise_share", density::noise_share(&hdbscan.labels)),
            ("hdbscan_fitted_songs", hdbscan.fitted.iter().filter(|&&f| f).count() as f64),
            ("umap_fitted_songs", self.umap_fitted as f64),
            ("stability_seeds", self.params.stability_seeds() as f64),
            ("stability_songs", self.stability.songs as f64),
            ("stability_ari_kmeans", self.stability.aris[0]),
            ("stability_ari_dbscan", self.stability.aris[1]),
            ("stability_ari_hdbscan", self.stability.aris[2]),
        ]
    }

    /// One `cluster_quality` value by name.
    pub fn quality_of(&self, metric: &str) -> Option<f64> {
        self.quality().into_iter().find(|(n, _)| *n == metric).map(|(_, v)| v)
    }
}

/// What `timbral cluster` reports.
#[derive(Debug, Clone)]
pub struct ClusterSummary {
    pub songs: usize,
    pub features: usize,
    pub chosen_k: usize,
    pub quality: Vec<(&'static str, f64)>,
    pub warnings: Vec<String>,
    pub timings: Vec<(&'static str, f64)>,
}
