//! timbral-cluster: the study's dimensionality reduction and clustering.
//!
//! [`run`] reads processed `features`, standardises them (z-score, `scaler`), runs PCA
//! (`pca`, scores `pc_1..pc_5` in `embedding`), K-Means for a range of k scored by inertia,
//! silhouette, Calinski-Harabasz and Davies-Bouldin (`model_selection`, labels in
//! `clusters.kmeans`), UMAP in 2-D and n-D (manifolds-rs, `embedding`), DBSCAN on the 2-D
//! map with eps at the knee of the k-distance curve (`kdistance`, `clusters.dbscan`) and
//! HDBSCAN on the n-D embedding (`clusters.hdbscan`), then the quality figures
//! (`cluster_quality`). [`place_new`] (`timbral place`) adds songs that arrived since into
//! the fitted maps and clusters without refitting, with [`umap::transform`].
//! See `docs/clustering.md`.

pub mod density;
pub mod distance;
pub mod grid_dbscan;
pub mod hyperparams;
pub mod kmeans;
pub mod metric;
pub mod metrics;
pub mod model;
pub mod output;
pub mod pca;
pub mod pipeline;
pub mod place;
mod stability;
pub use timbral_core::scaler;
pub mod tables;
pub mod umap;

pub use hyperparams::{ClusterParams, ClusterValidParams, FeatureSet, Metric};
pub use linfa::ParamGuard;
pub use model::ClusterModel;
pub use output::{ClusterOutput, ClusterSummary};
pub use pipeline::{cluster_in_space, cluster_matrix, run, run_on};
pub use place::{PlaceOptions, PlaceSummary, Placement, PlacementModel, place_new, place_new_from};
pub use tables::{CLUSTER_TABLES, FeatureInput};
pub use umap::{UmapModel, transform};
