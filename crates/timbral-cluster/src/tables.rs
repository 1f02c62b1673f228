//! Reading the `features` input and building the stage's output frames.

use polars::prelude::*;
use timbral_core::contract::{PC_SCORES, loading_names, pc_columns, seed_feature_names, umap_nd_columns};
use timbral_core::error::PolarsContext;
use timbral_core::{Error, Result, Space, Table, cols, matrix};

use ndarray::ArrayView2;

use crate::density::HdbscanLabels;
use crate::hyperparams::FeatureSet;
use crate::output::ClusterOutput;

/// The tables [`crate::run`] writes, in order.
pub const CLUSTER_TABLES: [Table; 8] = [
    Table::Scaler,
    Table::Pca,
    Table::Embedding,
    Table::Clusters,
    Table::ModelSelection,
    Table::KDistance,
    Table::ClusterQuality,
    Table::ClusterModel,
];

/// What the stage maps and clusters: songs as the rows of a matrix in one space.
pub struct FeatureInput {
    pub track_ids: Vec<String>,
    pub feature_names: Vec<String>,
    pub data: ndarray::Array2<f64>,
    /// `study`: the `features` columns, z-scored by the stage. Any other: a representation's
    /// coordinates (`timbral_similarity::representation`), used as they are, since scaling
    /// each dimension would change the distances the representation defines.
    pub space: Space,
}

impl FeatureInput {
    /// The input as a frame: `track_id` and one column per feature.
    pub fn frame(&self) -> Result<DataFrame> {
        let mut columns = vec![Column::new(cols::features::TRACK_ID.into(), &self.track_ids)];
        for (name, values) in self.feature_names.iter().zip(self.data.columns()) {
            columns.push(Column::new(name.as_str().into(), values.to_vec()));
        }
        frame(columns, "cluster input")
    }
}

/// Picks the feature columns of `set` from the `features` frame and checks every value is finite.
pub fn feature_input(frame: &DataFrame, set: FeatureSet) -> Result<FeatureInput> {
    let table = Table::Features.name();
    let feature_names = match set {
        FeatureSet::Seed => seed_feature_names(),
        FeatureSet::Extended => {
            let names: Vec<String> = frame
                .columns()
                .iter()
                .filter(|c| c.name().as_str() != cols::features::TRACK_ID && c.dtype().is_primitive_numeric())
                .map(|c| c.name().to_string())
                .collect();
            if names.len() <= seed_feature_names().len() {
                return Err(Error::InvalidParameter {
                    name: "set",
                    why: format!(
                        "`extended` needs the extended feature columns, but table `{table}` has only \
                         {} numeric column(s); run `timbral features` with the extended set first",
                        names.len()
                    ),
                });
            }
            names
        }
    };
    let track_ids = matrix::strings(frame, table, cols::features::TRACK_ID)?;
    let data = matrix::to_matrix(frame, table, &feature_names)?;
    for (i, row) in data.rows().into_iter().enumerate() {
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidValue {
                table: table.to_string(),
                column: feature_names[j].clone(),
                why: format!("non-finite value {} for track `{}`", row[j], track_ids[i]),
            });
        }
    }
    Ok(FeatureInput { track_ids, feature_names, data, space: Space::Study })
}

fn frame(columns: Vec<Column>, what: &str) -> Result<DataFrame> {
    DataFrame::new_infer_height(columns).ctx(format!("building table `{what}`"))
}

fn u32s(values: impl Iterator<Item = usize>) -> Vec<u32> {
    values.map(|v| v as u32).collect()
}

/// z-score parameters plus the PCA centre and the loadings of the first components, so that
/// new songs can be standardised and scored later (see [`crate::place`]).
pub fn scaler_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let s = &out.scaler;
    let mut columns = vec![
        Column::new(cols::scaler::FEATURE.into(), &s.features),
        Column::new(cols::scaler::MEAN.into(), s.mean.to_vec()),
        Column::new(cols::scaler::STD.into(), s.std.to_vec()),
        Column::new(cols::scaler::PCA_MEAN.into(), out.pca.mean.to_vec()),
    ];
    let loadings = out.pca.components.columns().into_iter();
    for (name, values) in loading_names(PC_SCORES).into_iter().zip(loadings) {
        columns.push(Column::new(name.into(), values.to_vec()));
    }
    frame(columns, "scaler")
}

pub fn pca_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let p = &out.pca;
    frame(
        vec![
            Column::new(cols::pca::COMPONENT.into(), u32s(1..=p.explained_variance.len())),
            Column::new(cols::pca::EXPLAINED_VARIANCE.into(), &p.explained_variance),
            Column::new(cols::pca::EXPLAINED_VARIANCE_RATIO.into(), &p.explained_variance_ratio),
            Column::new(cols::pca::CUMULATIVE_RATIO.into(), p.cumulative_ratio()),
        ],
        "pca",
    )
}

pub fn embedding_frame(out: &ClusterOutput) -> Result<DataFrame> {
    embedding_rows(&out.track_ids, out.pca_scores.view(), out.umap_2d.view(), out.umap_nd.view(), false)
}

/// `embedding` rows; `placed` marks songs placed by `timbral place` rather than fitted.
pub fn embedding_rows(
    track_ids: &[String],
    pca_scores: ArrayView2<f64>,
    umap_2d: ArrayView2<f64>,
    umap_nd: ArrayView2<f64>,
    placed: bool,
) -> Result<DataFrame> {
    let mut columns = vec![Column::new(cols::features::TRACK_ID.into(), track_ids)];
    let mut push = |name: String, values: ndarray::ArrayView1<f64>| {
        columns.push(Column::new(name.into(), values.to_vec()));
    };
    for (name, values) in pc_columns(pca_scores.ncols()).into_iter().zip(pca_scores.columns()) {
        push(name, values);
    }
    push(cols::embedding::UMAP_X.into(), umap_2d.column(0));
    push(cols::embedding::UMAP_Y.into(), umap_2d.column(1));
    for (name, values) in umap_nd_columns(umap_nd.ncols()).into_iter().zip(umap_nd.columns()) {
        push(name, values);
    }
    columns.push(Column::new(cols::embedding::PLACED.into(), vec![placed; track_ids.len()]));
    frame(columns, "embedding")
}

pub fn clusters_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let kmeans: Vec<i32> = out.kmeans.labels.iter().map(|&l| l as i32).collect();
    cluster_rows(&out.track_ids, &kmeans, &out.dbscan.labels, &out.hdbscan)
}

pub fn cluster_rows(track_ids: &[String], kmeans: &[i32], dbscan: &[i32], hdbscan: &HdbscanLabels) -> Result<DataFrame> {
    frame(
        vec![
            Column::new(cols::features::TRACK_ID.into(), track_ids),
            Column::new(cols::clusters::KMEANS.into(), kmeans),
            Column::new(cols::clusters::DBSCAN.into(), dbscan),
            Column::new(cols::clusters::HDBSCAN.into(), &hdbscan.labels),
            Column::new(cols::clusters::HDBSCAN_FITTED.into(), &hdbscan.fitted),
        ],
        "clusters",
    )
}

pub fn model_selection_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let s = &out.kmeans.scores;
    let pick = |f: fn(&crate::kmeans::KScore) -> f64| s.iter().map(f).collect::<Vec<f64>>();
    frame(
        vec![
            Column::new(cols::model_selection::K.into(), u32s(s.iter().map(|x| x.k))),
            Column::new(cols::model_selection::INERTIA.into(), pick(|x| x.inertia)),
            Column::new(cols::model_selection::SILHOUETTE.into(), pick(|x| x.silhouette)),
            Column::new(cols::model_selection::CALINSKI_HARABASZ.into(), pick(|x| x.calinski_harabasz)),
            Column::new(cols::model_selection::DAVIES_BOULDIN.into(), pick(|x| x.davies_bouldin)),
            Column::new(cols::model_selection::CHOSEN.into(), s.iter().map(|x| x.k == out.kmeans.chosen_k).collect::<Vec<bool>>()),
        ],
        "model_selection",
    )
}

pub fn kdistance_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let d = &out.dbscan;
    frame(
        vec![
            Column::new(cols::kdistance::RANK.into(), u32s(1..=d.kdistance.len())),
            Column::new(cols::kdistance::DISTANCE.into(), &d.kdistance),
            Column::new(cols::kdistance::KNEE.into(), (0..d.kdistance.len()).map(|i| i == d.knee).collect::<Vec<bool>>()),
        ],
        "kdistance",
    )
}

pub fn quality_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let (names, values): (Vec<String>, Vec<f64>) =
        out.quality().into_iter().map(|(n, v)| (n.to_string(), v)).unzip();
    frame(
        vec![Column::new(cols::cluster_quality::METRIC.into(), names), Column::new(cols::cluster_quality::VALUE.into(), values)],
        "cluster_quality",
    )
}
