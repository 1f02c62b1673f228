//! Seeded synthetic catalogues for unit tests: artists are tight clouds around random centres.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalogue::Catalogue;

/// `songs` songs spread round-robin over `artists` artists in `dims` dimensions. Genres and
/// clusters follow the artist (artist `a` has genre `g{a % 4}` and cluster `a % 3`, with
/// artist 0's songs marked noise), so every measure has some structure to find.
pub fn random_catalogue(songs: usize, artists: usize, dims: usize, seed: u64) -> Catalogue {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = (0..artists)
        .map(|_| (0..dims).map(|_| rng.random_range(-10.0..10.0)).collect())
        .collect();
    let mut points = Array2::zeros((songs, dims));
    let artist_of = |i: usize| i % artists;
    for i in 0..songs {
        for j in 0..dims {
            points[[i, j]] = centres[artist_of(i)][j] + rng.random_range(-1.0..1.0);
        }
    }
    let map = points.slice(ndarray::s![.., 0..2.min(dims)]).to_owned();
    let map = if dims >= 2 { map } else { Array2::zeros((songs, 2)) };
    let clusters = (0..songs)
        .map(|i| if artist_of(i) == 0 { -1 } else { (artist_of(i) % 3) as i32 })
        .collect();
    Catalogue::from_parts(
        (0..songs).map(|i| format!("t{i:05}")).collect(),
        (0..songs).map(|i| format!("Song {i}")).collect(),
        (0..songs).map(|i| format!("ar{:04}", artist_of(i))).collect(),
        (0..songs).map(|i| format!("Artist {}", artist_of(i))).collect(),
        (0..songs).map(|i| vec![format!("g{}", artist_of(i) % 4)]).collect(),
        points,
        map,
        Some(clusters),
    )
    .expect("consistent synthetic parts")
}
