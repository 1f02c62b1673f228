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
/// how neighbours among the fitted songs are searched. For a fit of the study's features.
pub fn place_new(workdir: &Workdir, knn: KnnMethod, seed: u64) -> Result<PlaceSummary> {
    place_new_from(workdir, workdir.read_table(Table::Features)?, knn, seed)
}

/// [`place_new`] with the songs' coordinates in the fit's space given as `features`: a
/// `track_id` column and the columns the fit's `scaler` names (for a fit in a representation,
/// its coordinates as the cluster stage received them; their scaler is the identity).
pub fn place_new_from(workdir: &Workdir, features: DataFrame, knn: KnnMethod, seed: u64) -> Result<PlaceSummary> {
    let model = PlacementModel::with_features(workdir, &features)?;
    let ids = matrix::strings(&features, Table::Features.name(), cols::features::TRACK_ID)?;
    let fitted: HashSet<&str> = model.track_ids.iter().map(String::as_str).collect();
    let new_rows: Vec<IdxSize> = (0..ids.len()).filter(|&i| !fitted.contains(ids[i].as_str())).map(|i| i as IdxSize).collect();
    let existing = model.track_ids.len();
    if new_rows.is_empty() {
        return Ok(PlaceSummary { placed: 0, existing });
    }
    let new_songs = features.take(&IdxCa::from_vec("rows".into(), new_rows)).ctx("selecting new songs")?;
    let placed = model.place(&new_songs, &PlaceOptions { knn, seed, catalogue_songs: new_songs.height() })?;
    append_placed(workdir, &placed)?;
    tracing::info!(placed = placed.track_ids.len(), existing, "placed new songs without refitting");
    Ok(PlaceSummary { placed: placed.track_ids.len(), existing })
}

/// How [`PlacementModel::place`] searches and seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceOptions {
    pub knn: KnnMethod,
    pub seed: u64,
    /// Songs placed in all, across every call of a catalogue placed in parts: it sets the
    /// UMAP transform's epochs ([`umap::transform_epochs`]).
    pub catalogue_songs: usize,
}

/// What `timbral cluster` stored that placement needs, loaded once and applied to any number
/// of batches of new songs (one Spark partition after another, say).
pub struct PlacementModel {
    /// The fitted songs, in `embedding` order.
    pub track_ids: Vec<String>,
    /// The fitted songs' standardised features: the reference of every neighbour search.
    reference: Array2<f64>,
    scaler: Scaler,
    pca_mean: ndarray::Array1<f64>,
    /// `d x PC_SCORES` loadings.
    loadings: Array2<f64>,
    umap_2d: Array2<f64>,
    umap_nd: Array2<f64>,
    kmeans: Vec<i32>,
    dbscan: Vec<i32>,
    hdbscan: Vec<i32>,
    settings: UmapSettings,
}

impl PlacementModel {
    /// The model fitted in `workdir`, whose `features` table holds the fitted songs.
    pub fn load(workdir: &Workdir) -> Result<Self> {
        Self::with_features(workdir, &workdir.read_table(Table::Features)?)
    }

    /// The model fitted in `workdir`, with the fitted songs' features taken from `features`.
    pub fn with_features(workdir: &Workdir, features: &DataFrame) -> Result<Self> {
        read_fitted_state(workdir, features)
    }

    /// Embedding coordinates and cluster labels of the songs of `features` (a `features`
    /// frame), none of which is re-fitted. Each song's seed derives from `options.seed` and
    /// its track id, so its place does not depend on the other songs of the batch.
    pub fn place(&self, features: &DataFrame, options: &PlaceOptions) -> Result<Placement> {
        let table = Table::Features.name();
        let track_ids = matrix::strings(features, table, cols::features::TRACK_ID)?;
        let data = matrix::to_matrix(features, table, &self.scaler.features)?;
        if let Some((i, j)) = first_non_finite(data.view()) {
            return Err(Error::InvalidValue {
                table: table.into(),
                column: self.scaler.features[j].clone(),
                why: format!("non-finite value for track `{}`", track_ids[i]),
            });
        }
        let points = self.scaler.transform(data.view());
        let point_seeds: Vec<u64> = track_ids.iter().map(|id| umap::song_seed(options.seed, id)).collect();
        let epochs = umap::transform_epochs(options.catalogue_songs.max(track_ids.len()));
        let place_into = |embedding: &Array2<f64>| {
            let model = UmapModel { reference: self.reference.clone(), embedding: embedding.clone(), settings: self.settings };
            umap::transform(&model, points.view(), &point_seeds, epochs, options.knn, options.seed)
        };
        let umap_2d = place_into(&self.umap_2d)?;
        let umap_nd = place_into(&self.umap_nd)?;
        let pca_scores = (&points - &self.pca_mean).dot(&self.loadings);

        let kmeans = nearest_centroid(self.reference.view(), &self.kmeans, points.view());
        let k = self.settings.n_neighbors.clamp(1, self.reference.nrows());
        let (_, neighbours) = neighbors::nearest_to(self.reference.view(), points.view(), k, options.knn, options.seed)?;
        let dbscan = majority_labels(&neighbours, &self.dbscan);
        let hdbscan = majority_labels(&neighbours, &self.hdbscan);
        Ok(Placement { track_ids, pca_scores, umap_2d, umap_nd, kmeans, dbscan, hdbscan })
    }
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

fn labels(frame: &DataFrame, name: &str) -> Result<Vec<i32>> {
    let table = Table::Clusters.name();
    let column = frame.column(name).map_err(|_| Error::MissingColumn { table: table.into(), column: name.into() })?;
    let values = column.i32().ctx(format!("table `{table}` column `{name}`"))?;
    Ok(values.iter().map(|v| v.unwrap_or(-1)).collect())
}

/// The model stored in `workdir`, its reference the fitted songs' rows of `features`.
fn read_fitted_state(workdir: &Workdir, features: &DataFrame) -> Result<PlacementModel> {
    let fit = ClusterModel::read(workdir)?;
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
    let feature_ids = matrix::strings(features, Table::Features.name(), cols::features::TRACK_ID)?;
    let fitted_rows = rows_of(&feature_ids, &track_ids, |id| Error::InvalidValue {
        table: Table::Features.name().into(),
        column: cols::features::TRACK_ID.into(),
        why: format!("song `{id}` of `embedding` is no longer in `features`; run `timbral cluster` to refit"),
    })?;
    let data = matrix::to_matrix(features, Table::Features.name(), &scaler.features)?;
    let reference = scaler.transform(data.select(Axis(0), &fitted_rows).view());
    Ok(PlacementModel {
        track_ids,
        reference,
        pca_mean: pca_mean.column(0).to_owned(),
        loadings,
        scaler,
        umap_2d,
        umap_nd,
        kmeans: labels(cols::clusters::KMEANS)?,
        dbscan: labels(cols::clusters::DBSCAN)?,
        hdbscan: labels(cols::clusters::HDBSCAN)?,
        settings: fit.umap,
    })
}

/// Rows of placed songs, in the order they were given.
pub struct Placement {
    pub track_ids: Vec<String>,
    pub pca_scores: Array2<f64>,
    pub umap_2d: Array2<f64>,
    pub umap_nd: Array2<f64>,
    pub kmeans: Vec<i32>,
    pub dbscan: Vec<i32>,
    pub hdbscan: Vec<i32>,
}

impl Placement {
    /// `embedding` rows, flagged `placed`.
    pub fn embedding_rows(&self) -> Result<DataFrame> {
        tables::embedding_rows(&self.track_ids, self.pca_scores.view(), self.umap_2d.view(), self.umap_nd.view(), true)
    }

    /// `clusters` rows, none in HDBSCAN's fitted sample.
    pub fn cluster_rows(&self) -> Result<DataFrame> {
        let hdbscan = HdbscanLabels { labels: self.hdbscan.clone(), fitted: vec![false; self.hdbscan.len()] };
        tables::cluster_rows(&self.track_ids, &self.kmeans, &self.dbscan, &hdbscan)
    }
}

/// Appends the placed rows to `clusters` and `embedding`, both sorted by track id.
fn append_placed(workdir: &Workdir, placed: &Placement) -> Result<()> {
    let mut embedding = workdir.read_table(Table::Embedding)?;
    embedding.vstack_mut_owned(placed.embedding_rows()?).ctx("appending to `embedding`")?;
    let placed_ids = Series::new(cols::embedding::PLACED.into(), &placed.track_ids);
    let mut clusters = workdir
        .scan_table(Table::Clusters)?
        .filter(col(cols::features::TRACK_ID).is_in(lit(placed_ids).implode(false), false).not())
        .collect()
        .ctx("reading `clusters`")?;
    clusters.vstack_mut_owned(placed.cluster_rows()?).ctx("appending to `clusters`")?;
    // `clusters` first: see `read_fitted_state` for a run killed in between.
    for (table, frame) in [(Table::Clusters, clusters), (Table::Embedding, embedding)] {
        let mut sorted = frame.sort([cols::features::TRACK_ID], SortMultipleOptions::default()).ctx(format!("sorting `{}`", table.name()))?;
        workdir.write_table(table, &mut sorted)?;
    }
    Ok(())
}
