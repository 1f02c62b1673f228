//! Similarity of a library too small to cluster (`timbral run` below the cluster stage's
//! minimum): songs are compared by exact search in their own standardised seed features, with
//! no map and no clusters, so there are no genre tables; `intra_artist`, `artist_similarity`
//! and `recommendations` are written as usual.

use std::time::Instant;

use ndarray::Array2;
use timbral_core::contract::seed_feature_names;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::progress::Stopwatch;
use timbral_core::scaler::Scaler;
use timbral_core::{Result, Table, Workdir, cols};

use crate::catalogue::{Catalogue, read_tracks};
use crate::{SimilarityParams, Space, Summary, artist_and_song_tables, library_mean};

/// Runs the stage's artist and song tables on `features` alone.
pub fn run_unclustered(workdir: &Workdir, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let catalogue = load(workdir)?;
    let mut steps = Stopwatch::new();
    let library = library_mean(&catalogue, "features", params.seed())?;
    steps.lap("library mean");
    let summary = artist_and_song_tables(workdir, &catalogue, params, Space::Study, &library, steps)?;
    Ok(Summary { seconds: start.elapsed().as_secs_f64(), ..summary })
}

/// `tracks` and the seed features z-scored as the cluster stage's scaler would; the map is
/// left at zero, as nothing here reads it.
fn load(workdir: &Workdir) -> Result<Catalogue> {
    let features = workdir.read_table(Table::Features)?;
    let ids = strings(&features, "features", cols::features::TRACK_ID)?;
    let names = seed_feature_names();
    let raw = to_matrix(&features, "features", &names)?;
    let points = Scaler::fit(names, raw.view()).transform(raw.view());
    let map = Array2::zeros((ids.len(), 2));
    Catalogue::align(read_tracks(workdir)?, ids.clone(), points, (ids, map), None)
}
