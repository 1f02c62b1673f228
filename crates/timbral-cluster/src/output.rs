//! What the stage computes, shared by the pipeline that fills it, the table writers and
//! placement.

use ndarray::Array2;
pub use timbral_core::contract::PC_SCORES;

use crate::density::{DbscanResult, HdbscanLabels};
use crate::hyperparams::ClusterValidParams;
use crate::kmeans::KMeansSelection;
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
    /// `(metric, value)` rows of `cluster_quality`, in a fixed order.
    pub quality: Vec<(&'static str, f64)>,
    /// Seconds per step, in execution order. `hdbscan` runs beside `quality` and `stability`,
    /// so those three overlap; `total` (added by [`run`]) is the wall time.
    pub timings: Vec<(&'static str, f64)>,
    /// The n-D embedding as a model that new songs can be placed into.
    pub model_nd: UmapModel,
}

impl ClusterOutput {
    /// Looks up a `cluster_quality` value by name.
    pub fn quality(&self, metric: &str) -> Option<f64> {
        self.quality.iter().find(|(n, _)| *n == metric).map(|(_, v)| *v)
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
