//! Interpretation stage of timbral: genre density, intra- and inter-artist similarity, song
//! recommendations, interactive look-ups and quality checks.
//!
//! [`run`] reads `tracks`, `embedding` (and `features`/`scaler` for the feature space) and
//! `clusters`, and writes `genre_density`, `genre_clusters`, `genre_grid`, `intra_artist`,
//! `artist_similarity` and `recommendations`. [`query`] answers `timbral recommend` and
//! `timbral artists`; [`eval`] computes the quality metrics and checks them.

pub mod artist_similarity;
pub mod catalogue;
pub mod cohesion;
pub mod distance;
pub mod eval;
pub mod genre;
pub mod groups;
pub mod hyperparams;
pub use timbral_core::neighbors;
pub mod query;
pub mod recommendations;
pub mod unclustered;
#[cfg(test)]
mod test_data;

use std::time::Instant;

use timbral_core::{Error, Result, Table, Workdir};

pub use catalogue::Catalogue;
pub use hyperparams::{Labels, SimilarityParams, SimilarityParamsBuilder, Space};
pub use unclustered::run_unclustered;

/// What [`run`] did, for the command's closing lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub songs: usize,
    pub artists: usize,
    pub genres: usize,
    pub dims: usize,
    pub space: Space,
    pub neighbour_method: neighbors::Method,
    pub library_mean_distance: f64,
    /// Artist pairs whose exact distance was computed, against all ordered pairs.
    pub exact_artist_pairs: usize,
    pub artist_pairs: usize,
    pub seconds: f64,
}

/// Runs the whole similarity stage on `workdir` and writes its tables.
pub fn run(workdir: &Workdir, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let catalogue = Catalogue::load(workdir, params.space(), params.labels())?;
    let summary = run_on(workdir, &catalogue, params)?;
    Ok(Summary {
        seconds: start.elapsed().as_secs_f64(),
        ..summary
    })
}

/// [`run`] on an already loaded catalogue.
pub fn run_on(workdir: &Workdir, catalogue: &Catalogue, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let space = params.space().name();
    let table = match params.space() {
        Space::Umap => "embedding",
        Space::Features => "features",
    };
    let library_mean = library_mean(catalogue, table)?;
    tracing::info!(songs = catalogue.len(), dims = catalogue.points.ncols(), space, library_mean, "similarity");

    let stats = genre::genre_stats(catalogue, library_mean, params.min_genre_songs());
    write(workdir, Table::GenreDensity, genre::density_table(&stats, catalogue.len(), library_mean)?)?;
    write(workdir, Table::GenreClusters, genre::clusters_table(&stats)?)?;
    write(
        workdir,
        Table::GenreGrid,
        genre::grid_table(catalogue, &stats, params.grid_size(), params.grid_genres())?,
    )?;
    tracing::info!(genres = stats.len(), secs = start.elapsed().as_secs_f64(), "genre density");
    let summary = artist_and_song_tables(workdir, catalogue, params, params.space(), library_mean)?;
    Ok(Summary { genres: stats.len(), seconds: start.elapsed().as_secs_f64(), ..summary })
}

/// The mean distance between two songs; `table` holds the points, for the error.
fn library_mean(catalogue: &Catalogue, table: &str) -> Result<f64> {
    distance::library_mean_pairwise(&catalogue.points).ok_or_else(|| Error::TooFewRows {
        table: table.into(),
        rows: catalogue.len(),
        why: "similarity needs at least 2 songs".into(),
    })
}

/// Intra-artist cohesion, artist similarity and recommendations.
fn artist_and_song_tables(
    workdir: &Workdir,
    catalogue: &Catalogue,
    params: &SimilarityParams,
    space: Space,
    library_mean: f64,
) -> Result<Summary> {
    let start = Instant::now();
    let space_name = space.name();
    let groups = groups::ArtistGroups::of(catalogue);
    let cohesion = cohesion::cohesion(
        &catalogue.points,
        &groups,
        library_mean,
        params.permutations(),
        params.seed(),
    );
    write(workdir, Table::IntraArtist, cohesion::table(&groups, &cohesion, library_mean)?)?;
    tracing::info!(artists = cohesion.len(), secs = start.elapsed().as_secs_f64(), "intra-artist cohesion");

    let artist_space = artist_similarity::ArtistSpace::new(&catalogue.points, &groups);
    let neighbours = artist_space.all_neighbours(params.top_artists());
    let exact_artist_pairs = neighbours.iter().map(|n| n.exact_pairs).sum();
    let artist_pairs = groups.len() * groups.len().saturating_sub(1);
    write(
        workdir,
        Table::ArtistSimilarity,
        artist_similarity::table(&groups, &neighbours, space_name)?,
    )?;
    tracing::info!(
        artists = groups.len(),
        exact_artist_pairs,
        artist_pairs,
        secs = start.elapsed().as_secs_f64(),
        "artist similarity"
    );

    let (method, nearest) = neighbors::all_nearest(&catalogue.points, params.neighbors());
    write(
        workdir,
        Table::Recommendations,
        recommendations::table(catalogue, &nearest, space_name)?,
    )?;
    tracing::info!(method = method.name(), secs = start.elapsed().as_secs_f64(), "recommendations");

    Ok(Summary {
        songs: catalogue.len(),
        artists: groups.len(),
        genres: 0,
        dims: catalogue.points.ncols(),
        space,
        neighbour_method: method,
        library_mean_distance: library_mean,
        exact_artist_pairs,
        artist_pairs,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn write(workdir: &Workdir, table: Table, mut frame: polars::prelude::DataFrame) -> Result<()> {
    workdir.write_table(table, &mut frame).map(|_| ())
}
