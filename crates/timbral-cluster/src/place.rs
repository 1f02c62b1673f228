//! `timbral place`: songs that reached `features` after the last `timbral cluster` are placed
//! into the existing maps and clusters without refitting anything, because the catalogue grows
//! song by song and a refit moves every song already shown to users.
//!
//! For each new song, standardised with the stored `scaler`:
//! - `pc_1..pc_5`: its scores on the stored PCA loadings;
//! - `umap_x, umap_y` and `umap_1..umap_n`: [`crate::umap::transform`] into each embedding, with
//!   the fitted songs as the reference;
//! - `kmeans`: the nearest K-Means centroid (the mean of each cluster's fitted songs);
//! - `dbscan` and `hdbscan`: the majority label among its `n_neighbors` nearest fitted songs in
//!   the standardised feature space, the neighbours its UMAP placement is built from (ties to
//!   the smaller label; noise if noise wins). Voting in feature space rather than testing the
//!   placed point against DBSCAN's eps on the map keeps the labels independent of how tightly
//!   the optimiser packed the fitted clusters.
//!
//! The rows are appended to `embedding` (with `placed = true`) and `clusters`. A later
//! `timbral cluster` refits everything and clears the flag.

use std::collections::{HashMap, HashSet};

use linfa::prelude::*;
use ndarray::{Array2, ArrayView2, Axis};
use polars::prelude::*;
use timbral_core::contract::{PC_SCORES, loading_names, umap_nd_columns_in};
use timbral_core::error::PolarsContext;
use timbral_core::neighbors::{self, KnnMethod};
use timbral_core::{Error, Result, Table, Workdir, cols, matrix};

use crate::density::{HdbscanLabels, majority_labels};
use crate::kmeans::KMeansModel;
use crate::metrics;
use crate::model::ClusterModel;
use timbral_core::scaler::Scaler;
use crate::tables;
use crate::umap::{self, UmapModel, UmapSettings};

/// What [`place_new`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceSummary {
    /// Songs placed by this call.
    pub placed: usize,
    /// Songs already in `embedding`.
    pub existing: usize,
}

/// Places every song of `features` missing from `embedding`, seeded by `seed`; `knn` chooses
/// how neighbours among the fitted songs are searched.
pub fn place_new(workdir: &Workdir, knn: KnnMethod, seed: u64) -> Result<PlaceSummary> {
    let stored = read_fitted_state(workdir)?;
    let features = workdir.read_table(Table::Features)?;
    let ids = matrix::strings(&features, Table::Features.name(), cols::features::TRACK_ID)?;
    let data = matrix::to_matrix(&features, Table::Features.name(), &stored.scaler.features)?;
    let fitted_rows = rows_of(&ids, &stored.track_ids, |id| Error::InvalidValue {
        table: Table::Features.name().into(),
        column: cols::features::TRACK_ID.into(),
        why: format!("song `{id}` of `embedding` is no longer in `features`; run `timbral cluster` to refit"),
    })?;
    let fitted: HashSet<&str> = stored.track_ids.iter().map(String::as_str).collect();
    let new_rows: Vec<usize> = (0..ids.len()).filter(|&i| !fitted.contains(ids[i].as_str())).collect();
    let existing = fitted_rows.len();
    if new_rows.is_empty() {
        return Ok(PlaceSummary { placed: 0, existing });
    }
    let new_ids: Vec<String> = new_rows.iter().map(|&i| ids[i].clone()).collect();
    let new_data = data.select(Axis(0), &new_rows);
    if let Some((i, j)) = first_non_finite(new_data.view()) {
        return Err(Error::InvalidValue {
            table: Table::Features.name().into(),
            column: stored.scaler.features[j].clone(),
            why: format!("non-finite value for track `{}`", new_ids[i]),
        });
    }
    let reference = stored.scaler.transform(data.select(Axis(0), &fitted_rows).view());
    let new_points = stored.scaler.transform(new_data.view());

    let place_into = |embedding: &Array2<f64>| {
        let model = UmapModel { reference: reference.clone(), embedding: embedding.clone(), settings: stored.settings };
        umap::transform(&model, new_points.view(), knn, seed)
    };
    let umap_2d = place_into(&stored.umap_2d)?;
    let umap_nd = place_into(&stored.umap_nd)?;
    let pca_scores = (&new_points - &stored.pca_mean).dot(&stored.loadings);

    let kmeans = nearest_centroid(reference.view(), &stored.kmeans, new_points.view());
    let k = stored.settings.n_neighbors.clamp(1, reference.nrows());
    let (_, neighbours) = neighbors::nearest_to(reference.view(), new_points.view(), k, knn, seed)?;
    let dbscan = majority_labels(&neighbours, &stored.dbscan);
    let hdbscan = majority_labels(&neighbours, &stored.hdbscan);

    let placed = Placed { track_ids: new_ids, pca_scores, umap_2d, umap_nd, kmeans, dbscan, hdbscan };
    append_placed(workdir, &placed)?;
    tracing::info!(placed = placed.track_ids.len(), existing, "placed new songs without refitting");
    Ok(PlaceSummary { placed: placed.track_ids.len(), existing })
}

fn first_non_finite(data: ArrayView2<f64>) -> Option<(usize, usize)> {
    data.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(ij, _)| ij)
}

/// Labels of the nearest K-Means centroid; centroids are the means of the fitted clusters.
fn nearest_centroid(reference: ArrayView2<f64>, labels: &[i32], points: ArrayView2<f64>) -> Vec<i32> {
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let (centroids, _) = metrics::centroids(reference, &labels);
    let model = KMeansModel { centroids, labels: Vec::new(), inertia: 0.0, iterations: 0 };
    let predicted: ndarray::Array1<usize> = model.predict(&points.to_owned());
    predicted.iter().map(|&l| l as i32).collect()
}

/// Row of each of `wanted` in `ids`; `missing` explains an id that is not there.
fn rows_of(ids: &[String], wanted: &[String], missing: impl Fn(&str) -> Error) -> Result<Vec<usize>> {
    let row_of: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    wanted.iter().map(|id| row_of.get(id.as_str()).copied().ok_or_else(|| missing(id))).collect()
}

/// What `timbral cluster` stored that placement needs.
struct FittedState {
    pub track_ids: Vec<String>,
    pub scaler: Scaler,
    pub pca_mean: ndarray::Array1<f64>,
    /// `d x PC_SCORES` loadings.
    pub loadings: Array2<f64>,
    pub umap_2d: Array2<f64>,
    pub umap_nd: Array2<f64>,
    pub kmeans: Vec<i32>,
    pub dbscan: Vec<i32>,
    pub hdbscan: Vec<i32>,
    pub settings: UmapSettings,
}

fn labels(frame: &DataFrame, name: &str) -> Result<Vec<i32>> {
    let table = Table::Clusters.name();
    let column = frame.column(name).map_err(|_| Error::MissingColumn { table: table.into(), column: name.into() })?;
    let values = column.i32().ctx(format!("table `{table}` column `{name}`"))?;
    Ok(values.iter().map(|v| v.unwrap_or(-1)).collect())
}

fn read_fitted_state(workdir: &Workdir) -> Result<FittedState> {
    let scaler = Scaler::read(workdir)?;
    let scaler_frame = workdir.read_table(Table::Scaler)?;
    let table = Table::Scaler.name();
    let pca_mean = matrix::to_matrix(&scaler_frame, table, &[cols::scaler::PCA_MEAN.to_string()])?;
    let loadings = matrix::to_matrix(&scaler_frame, table, &loading_names(PC_SCORES))?;

    let embedding = workdir.read_table(Table::Embedding)?;
    let table = Table::Embedding.name();
    let track_ids = matrix::strings(&embedding, table, cols::embedding::TRACK_ID)?;
    let umap_2d = matrix::to_matrix(&embedding, table, &[cols::embedding::UMAP_X.to_string(), cols::embedding::UMAP_Y.to_string()])?;
    let umap_nd = matrix::to_matrix(&embedding, table, &umap_nd_columns_in(embedding.get_column_names().into_iter().map(|n| n.as_str())))?;

    // `clusters` in `embedding` order; rows of an interrupted placement (written to
    // `clusters` but not yet to `embedding`) are left out here and placed again.
    let clusters = workdir.read_table(Table::Clusters)?;
    let cluster_ids = matrix::strings(&clusters, Table::Clusters.name(), cols::clusters::TRACK_ID)?;
    let rows = rows_of(&cluster_ids, &track_ids, |id| {
        Error::MissingRow {
            table: Table::Clusters.name().into(),
            key: id.to_string(),
            why: "the song is in `embedding`; run `timbral cluster`".into(),
        }
    })?;
    let labels = |name: &str| -> Result<Vec<i32>> {
        let all = labels(&clusters, name)?;
        Ok(rows.iter().map(|&r| all[r]).collect())
    };
    Ok(FittedState {
        track_ids,
        pca_mean: pca_mean.column(0).to_owned(),
        loadings,
        scaler,
        umap_2d,
        umap_nd,
        kmeans: labels(cols::clusters::KMEANS)?,
        dbscan: labels(cols::clusters::DBSCAN)?,
        hdbscan: labels(cols::clusters::HDBSCAN)?,
        settings: ClusterModel::read(workdir)?.umap,
    })
}

/// Rows of newly placed songs, in `features` order.
struct Placed {
    track_ids: Vec<String>,
    pca_scores: Array2<f64>,
    umap_2d: Array2<f64>,
    umap_nd: Array2<f64>,
    kmeans: Vec<i32>,
    dbscan: Vec<i32>,
    hdbscan: Vec<i32>,
}

/// Appends the placed rows to `clusters` and `embedding`, both sorted by track id.
fn append_placed(workdir: &Workdir, placed: &Placed) -> Result<()> {
    let mut embedding = workdir.read_table(Table::Embedding)?;
    let added = tables::embedding_rows(&placed.track_ids, placed.pca_scores.view(), placed.umap_2d.view(), placed.umap_nd.view(), true)?;
    embedding.vstack_mut_owned(added).ctx("appending to `embedding`")?;
    let placed_ids = Series::new(cols::embedding::PLACED.into(), &placed.track_ids);
    let mut clusters = workdir
        .scan_table(Table::Clusters)?
        .filter(col(cols::features::TRACK_ID).is_in(lit(placed_ids).implode(false), false).not())
        .collect()
        .ctx("reading `clusters`")?;
    let hdbscan = HdbscanLabels { labels: placed.hdbscan.clone(), fitted: vec![false; placed.hdbscan.len()] };
    let added = tables::cluster_rows(&placed.track_ids, &placed.kmeans, &placed.dbscan, &hdbscan)?;
    clusters.vstack_mut_owned(added).ctx("appending to `clusters`")?;
    // `clusters` first: see `read_fitted_state` for a run killed in between.
    for (table, frame) in [(Table::Clusters, clusters), (Table::Embedding, embedding)] {
        let mut sorted = frame.sort([cols::features::TRACK_ID], SortMultipleOptions::default()).ctx(format!("sorting `{}`", table.name()))?;
        workdir.write_table(table, &mut sorted)?;
    }
    Ok(())
}
