//! Similarity of a library too small to cluster (`timbral run` below the cluster stage's
//! minimum): songs are compared by exact search in their own standardised seed features, with
//! no map and no clusters, so there are no genre tables; `intra_artist`, `artist_similarity`
//! and `recommendations` are written as usual.

use std::time::Instant;

use ndarray::{Array2, Axis};
use timbral_core::contract::seed_feature_names;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::{Result, Table, Workdir};

use crate::catalogue::{Catalogue, read_tracks};
use crate::{SimilarityParams, Space, Summary, artist_and_song_tables, library_mean};

/// Runs the stage's artist and song tables on `features` alone.
pub fn run_unclustered(workdir: &Workdir, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let catalogue = load(workdir)?;
    let library_mean = library_mean(&catalogue, "features")?;
    let summary = artist_and_song_tables(workdir, &catalogue, params, Space::Features, library_mean)?;
    Ok(Summary { seconds: start.elapsed().as_secs_f64(), ..summary })
}

/// `tracks` and the z-scored seed features (population deviation, 1 for a constant column, as
/// the cluster stage's scaler); the map is left at zero, as nothing here reads it.
fn load(workdir: &Workdir) -> Result<Catalogue> {
    let features = workdir.read_table(Table::Features)?;
    let ids = strings(&features, "features", "track_id")?;
    let mut points = to_matrix(&features, "features", &seed_feature_names())?;
    if let Some(mean) = points.mean_axis(Axis(0)) {
        let scale = points.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
        for mut row in points.rows_mut() {
            row -= &mean;
            row /= &scale;
        }
    }
    let map = Array2::zeros((ids.len(), 2));
    Catalogue::align(read_tracks(workdir)?, ids.clone(), points, (ids, map), None)
}
