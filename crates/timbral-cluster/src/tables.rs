//! Reading the `features` input and building the stage's output frames.

use polars::prelude::*;
use timbral_core::contract::seed_feature_names;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, Result, Table, matrix};

use ndarray::ArrayView2;

use crate::density::HdbscanLabels;
use crate::hyperparams::FeatureSet;
use crate::pipeline::ClusterOutput;

/// Songs and their feature matrix as read from `features`.
pub struct FeatureInput {
    pub track_ids: Vec<String>,
    pub feature_names: Vec<String>,
    pub data: ndarray::Array2<f64>,
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
                .filter(|c| c.name().as_str() != "track_id" && c.dtype().is_primitive_numeric())
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
    let track_ids = matrix::strings(frame, table, "track_id")?;
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
    Ok(FeatureInput { track_ids, feature_names, data })
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
        Column::new("feature".into(), &s.features),
        Column::new("mean".into(), s.mean.to_vec()),
        Column::new("std".into(), s.std.to_vec()),
        Column::new("pca_mean".into(), out.pca.mean.to_vec()),
    ];
    let loadings = out.pca.components.columns().into_iter();
    for (name, values) in crate::place::loading_columns().into_iter().zip(loadings) {
        columns.push(Column::new(name.into(), values.to_vec()));
    }
    frame(columns, "scaler")
}

pub fn pca_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let p = &out.pca;
    frame(
        vec![
            Column::new("component".into(), u32s(1..=p.explained_variance.len())),
            Column::new("explained_variance".into(), &p.explained_variance),
            Column::new("explained_variance_ratio".into(), &p.explained_variance_ratio),
            Column::new("cumulative_ratio".into(), p.cumulative_ratio()),
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
    let mut columns = vec![Column::new("track_id".into(), track_ids)];
    let mut push = |name: String, values: ndarray::ArrayView1<f64>| {
        columns.push(Column::new(name.into(), values.to_vec()));
    };
    for (c, values) in pca_scores.columns().into_iter().enumerate() {
        push(format!("pc_{}", c + 1), values);
    }
    push("umap_x".into(), umap_2d.column(0));
    push("umap_y".into(), umap_2d.column(1));
    for (c, values) in umap_nd.columns().into_iter().enumerate() {
        push(format!("umap_{}", c + 1), values);
    }
    columns.push(Column::new("placed".into(), vec![placed; track_ids.len()]));
    frame(columns, "embedding")
}

pub fn clusters_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let kmeans: Vec<i32> = out.kmeans.labels.iter().map(|&l| l as i32).collect();
    cluster_rows(&out.track_ids, &kmeans, &out.dbscan.labels, &out.hdbscan)
}

pub fn cluster_rows(track_ids: &[String], kmeans: &[i32], dbscan: &[i32], hdbscan: &HdbscanLabels) -> Result<DataFrame> {
    frame(
        vec![
            Column::new("track_id".into(), track_ids),
            Column::new("kmeans".into(), kmeans),
            Column::new("dbscan".into(), dbscan),
            Column::new("hdbscan".into(), &hdbscan.labels),
            Column::new("hdbscan_fitted".into(), &hdbscan.fitted),
        ],
        "clusters",
    )
}

pub fn model_selection_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let s = &out.kmeans.scores;
    let pick = |f: fn(&crate::kmeans::KScore) -> f64| s.iter().map(f).collect::<Vec<f64>>();
    frame(
        vec![
            Column::new("k".into(), u32s(s.iter().map(|x| x.k))),
            Column::new("inertia".into(), pick(|x| x.inertia)),
            Column::new("silhouette".into(), pick(|x| x.silhouette)),
            Column::new("calinski_harabasz".into(), pick(|x| x.calinski_harabasz)),
            Column::new("davies_bouldin".into(), pick(|x| x.davies_bouldin)),
            Column::new("chosen".into(), s.iter().map(|x| x.k == out.kmeans.chosen_k).collect::<Vec<bool>>()),
        ],
        "model_selection",
    )
}

pub fn kdistance_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let d = &out.dbscan;
    frame(
        vec![
            Column::new("rank".into(), u32s(1..=d.kdistance.len())),
            Column::new("distance".into(), &d.kdistance),
            Column::new("knee".into(), (0..d.kdistance.len()).map(|i| i == d.knee).collect::<Vec<bool>>()),
        ],
        "kdistance",
    )
}

pub fn quality_frame(out: &ClusterOutput) -> Result<DataFrame> {
    let (names, values): (Vec<String>, Vec<f64>) =
        out.quality.iter().map(|(n, v)| (n.to_string(), *v)).unzip();
    frame(
        vec![Column::new("metric".into(), names), Column::new("value".into(), values)],
        "cluster_quality",
    )
}
