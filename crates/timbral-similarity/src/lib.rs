//! Interpretation stage of timbral: genre density, intra- and inter-artist similarity, song
//! recommendations, interactive look-ups and quality checks.
//!
//! [`run`] reads `tracks`, `embedding` (and `features`/`scaler` for the feature space) and
//! `clusters`, and writes `genre_density`, `genre_clusters`, `genre_grid`, `intra_artist`,
//! `artist_similarity` and `recommendations`. [`query`] answers `timbral recommend` and
//! `timbral artists`; [`eval`] computes the quality metrics and checks them.

pub mod artist_moments;
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
pub mod representation;
pub mod unclustered;
#[cfg(test)]
mod test_data;

use std::time::Instant;

use timbral_core::progress::Stopwatch;
use timbral_core::{Error, Result, Table, Workdir};

pub use catalogue::Catalogue;
use representation::CodebookUse;
pub use hyperparams::{Labels, SimilarityParams, SimilarityParamsBuilder, Space};
pub use linfa::ParamGuard;
pub use unclustered::run_unclustered;

/// The tables [`run`] writes, in order.
pub const SIMILARITY_TABLES: [Table; 6] = [
    Table::GenreDensity,
    Table::GenreClusters,
    Table::GenreGrid,
    Table::IntraArtist,
    Table::ArtistSimilarity,
    Table::Recommendations,
];

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
    /// Its standard error (0 when every pair was visited).
    pub library_mean_error: f64,
    /// Whether artist candidates were shortlisted (above the exact size, see
    /// [`artist_similarity`]) rather than bounded against every artist.
    pub artist_shortlists: bool,
    /// Artist pairs whose exact distance was computed, against all ordered pairs.
    pub exact_artist_pairs: usize,
    pub artist_pairs: usize,
    /// Wall seconds of each step of [`run_on`], in order.
    pub step_seconds: Vec<(&'static str, f64)>,
    pub seconds: f64,
}

/// Runs the whole similarity stage on `workdir` and writes its tables.
pub fn run(workdir: &Workdir, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let params = &params.resolved(workdir);
    let catalogue = Catalogue::load(workdir, params.space(), CodebookUse::Stage(params.seed()), params.labels())?;
    let summary = run_on(workdir, &catalogue, params)?;
    Ok(Summary {
        seconds: start.elapsed().as_secs_f64(),
        ..summary
    })
}

/// [`run`] on an already loaded catalogue.
pub fn run_on(workdir: &Workdir, catalogue: &Catalogue, params: &SimilarityParams) -> Result<Summary> {
    let start = Instant::now();
    let params = &params.resolved(workdir);
    let mut steps = Stopwatch::new();
    let space = params.space().name();
    let seed = params.seed();
    let table = params.space().source_table();
    let library = library_mean(catalogue, table, seed)?;
    let library_mean = library.mean;
    tracing::info!(
        songs = catalogue.len(),
        dims = catalogue.points.ncols(),
        space,
        library_mean,
        standard_error = library.standard_error,
        pairs = library.pairs,
        "similarity"
    );
    steps.lap("library mean");

    let stats = genre::genre_stats(catalogue, library_mean, params.min_genre_songs(), seed);
    write(workdir, Table::GenreDensity, genre::density_table(&stats, catalogue.len(), library_mean)?)?;
    write(workdir, Table::GenreClusters, genre::clusters_table(&stats)?)?;
    write(
        workdir,
        Table::GenreGrid,
        genre::grid_table(catalogue, &stats, params.grid_size(), params.grid_genres())?,
    )?;
    tracing::info!(genres = stats.len(), secs = steps.lap("genre density"), "genre density");
    let summary = artist_and_song_tables(workdir, catalogue, params, params.space(), &library, steps)?;
    Ok(Summary { genres: stats.len(), seconds: start.elapsed().as_secs_f64(), ..summary })
}

/// The mean distance between two songs; `table` holds the points, for the error.
fn library_mean(catalogue: &Catalogue, table: &str, seed: u64) -> Result<distance::PairMean> {
    distance::library_mean_pairwise(&catalogue.points, seed).ok_or_else(|| Error::TooFewRows {
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
    library: &distance::PairMean,
    mut steps: Stopwatch,
) -> Result<Summary> {
    let start = Instant::now();
    let space_name = space.name();
    let seed = params.seed();
    let library_mean = library.mean;
    let groups = groups::ArtistGroups::of(catalogue);
    let cohesion = cohesion::cohesion(
        &catalogue.points,
        &groups,
        library_mean,
        params.permutations(),
        params.seed(),
    );
    write(workdir, Table::IntraArtist, cohesion::table(&groups, &cohesion, library_mean)?)?;
    tracing::info!(artists = cohesion.len(), secs = steps.lap("intra-artist cohesion"), "intra-artist cohesion");

    let artist_space = artist_similarity::ArtistSpace::new(&catalogue.points, &groups);
    let artist_shortlists = artist_space.shortlists(params.knn());
    let neighbours = artist_space.all_neighbours(params.top_artists(), params.knn(), seed)?;
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
        artist_shortlists,
        secs = steps.lap("artist similarity"),
        "artist similarity"
    );

    let (method, nearest) = neighbors::all_nearest(catalogue.points.view(), params.neighbors(), params.knn(), seed)?;
    write(
        workdir,
        Table::Recommendations,
        recommendations::table(catalogue, &nearest, space_name)?,
    )?;
    tracing::info!(method = method.name(), secs = steps.lap("recommendations"), "recommendations");

    Ok(Summary {
        songs: catalogue.len(),
        artists: groups.len(),
        genres: 0,
        dims: catalogue.points.ncols(),
        space,
        neighbour_method: method,
        library_mean_distance: library_mean,
        library_mean_error: library.standard_error,
        artist_shortlists,
        exact_artist_pairs,
        artist_pairs,
        step_seconds: steps.into_laps(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn write(workdir: &Workdir, table: Table, mut frame: polars::prelude::DataFrame) -> Result<()> {
    workdir.write_table(table, &mut frame).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::random_catalogue;

    /// Issue 12: same seed, same tables, at a size where `auto` takes the approximate paths
    /// (NN-descent above 20,000 songs, artist shortlists above 5,000 artists, sampled pair
    /// means), with 1 and 2 threads.
    #[test]
    fn approximate_paths_give_the_same_tables_on_1_and_2_threads() {
        let catalogue = random_catalogue(21_000, 6_000, 3, 4);
        let params = SimilarityParams::builder().permutations(200).grid_size(16).check().unwrap();
        let run = |threads: usize| {
            let dir = tempfile::tempdir().unwrap();
            let workdir = Workdir::new(dir.path());
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let summary = pool.install(|| run_on(&workdir, &catalogue, &params)).unwrap();
            let tables: Vec<_> = SIMILARITY_TABLES.iter().map(|&t| workdir.read_table(t).unwrap()).collect();
            (summary, tables)
        };
        let (one, one_tables) = run(1);
        let (two, two_tables) = run(2);
        assert_eq!(one.neighbour_method, neighbors::Method::NnDescent);
        assert!(one.artist_shortlists && one.library_mean_error > 0.0, "{one:?}");
        assert_eq!((one.library_mean_distance, one.exact_artist_pairs), (two.library_mean_distance, two.exact_artist_pairs));
        for ((table, a), b) in SIMILARITY_TABLES.iter().zip(&one_tables).zip(&two_tables) {
            assert!(a.height() > 0, "{} is empty", table.name());
            assert!(a.equals_missing(b), "{} differs between 1 and 2 threads", table.name());
        }
    }
}
