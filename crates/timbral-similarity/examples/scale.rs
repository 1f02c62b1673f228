//! In-process timing of the similarity stage at the study's scale, on a seeded synthetic
//! catalogue (artists as clouds in a 10-D space, skewed artist sizes, ~2,000 genres):
//!
//!     cargo run --release -p timbral-similarity --example scale -- [SONGS] [ARTISTS] [DIMS]
//!
//! Prints the wall time of `run_on` (all six tables, written to a temporary workdir) and of
//! the computations behind `recommend` and `artists`. The end-to-end CLI timings, table
//! loading included, are in bench/similarity.sh.

use std::time::Instant;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timbral_similarity::artist_similarity::ArtistSpace;
use timbral_similarity::groups::ArtistGroups;
use timbral_similarity::recommendations::{recommend, Filters};
use timbral_similarity::{Catalogue, SimilarityParams, Space};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize, default: usize| {
        std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let (songs, artists, dims) = (arg(1, 13_000), arg(2, 9_000), arg(3, 10));
    let catalogue = synthetic(songs, artists, dims, 7)?;
    let dir = tempfile::tempdir()?;
    let workdir = timbral_core::Workdir::new(dir.path());
    let space = if dims > 16 { Space::Features } else { Space::Umap };
    let params = SimilarityParams::builder().space(space).build()?;
    timbral_core::progress::set_quiet(true);

    let start = Instant::now();
    let summary = timbral_similarity::run_on(&workdir, &catalogue, &params)?;
    println!(
        "run_on: {songs} songs, {} artists, {} genres, {dims}-D: {:.2} s ({} of {} artist pairs exact; {})",
        summary.artists,
        summary.genres,
        start.elapsed().as_secs_f64(),
        summary.exact_artist_pairs,
        summary.artist_pairs,
        summary.neighbour_method.name()
    );

    let start = Instant::now();
    let filters = Filters { other_artists: true, same_cluster: false };
    let found = recommend(&catalogue, songs / 2, 10, filters);
    println!("recommend (exact scan, other artists): {} songs in {:.4} s", found.len(), start.elapsed().as_secs_f64());

    let start = Instant::now();
    let groups = ArtistGroups::of(&catalogue);
    let result = ArtistSpace::new(&catalogue.points, &groups).neighbours(artists / 3, 10);
    println!(
        "artists (moments of all artists + one query): {} nearest in {:.4} s, {} pairs exact",
        result.nearest.len(),
        start.elapsed().as_secs_f64(),
        result.exact_pairs
    );
    Ok(())
}

/// Artist sizes follow a skewed law (most artists 1-2 songs, a few dozens), as in the study.
fn synthetic(songs: usize, artists: usize, dims: usize, seed: u64) -> Result<Catalogue, timbral_core::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut artist_of: Vec<usize> = (0..artists).collect();
    while artist_of.len() < songs {
        let a = (artists as f64 * rng.random::<f64>().powi(2)) as usize;
        artist_of.push(a.min(artists - 1));
    }
    let centres: Vec<Vec<f64>> = (0..artists)
        .map(|_| (0..dims).map(|_| rng.random_range(-10.0..10.0)).collect())
        .collect();
    let points = Array2::from_shape_fn((songs, dims), |(i, j)| centres[artist_of[i]][j] + rng.random_range(-1.5..1.5));
    let map = Array2::from_shape_fn((songs, 2), |(i, j)| points[[i, j % dims]]);
    let genre = |a: usize| format!("genre {}", a % 2_000);
    Catalogue::from_parts(
        (0..songs).map(|i| format!("t{i:06}")).collect(),
        (0..songs).map(|i| format!("Song {i}")).collect(),
        artist_of.iter().map(|a| format!("ar{a:05}")).collect(),
        artist_of.iter().map(|a| format!("Artist {a}")).collect(),
        artist_of.iter().map(|&a| vec![genre(a), genre(a / 7)]).collect(),
        points,
        map,
        Some(artist_of.iter().map(|a| (a % 25) as i32 - 1).collect()),
    )
}
