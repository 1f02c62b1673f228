//! In-process benchmark of the similarity stage on a seeded synthetic catalogue (artists as
//! clouds in a 10-D space, skewed artist sizes, 2,000 genres):
//!
//!     cargo run --release -p timbral-similarity --example scale -- [SONGS] [ARTISTS] [DIMS] [KNN]
//!
//! Prints the seconds of each step of `run_on` (all six tables, written to a temporary
//! workdir), the recall@10 of the `recommendations` table against exact search on 1,000 sampled
//! songs, the share of 200 sampled artists whose nearest and farthest artists in
//! `artist_similarity` equal brute force, and the time of one `recommend` and one `artists`
//! look-up. Peak memory: run it under `/usr/bin/time -v` (bench/similarity_scale.sh does).

use std::time::Instant;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timbral_core::matrix::strings;
use timbral_core::neighbors::{sampled_recall, seeded_sample, KnnMethod, Neighbour};
use timbral_core::Table;
use timbral_similarity::artist_similarity::ArtistSpace;
use timbral_similarity::groups::ArtistGroups;
use timbral_similarity::recommendations::{recommend, Filters};
use timbral_similarity::{Catalogue, ParamGuard, SimilarityParams, Space};

const RECALL_QUERIES: usize = 1_000;
const ARTIST_SAMPLE: usize = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize, default: usize| std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (songs, artists, dims) = (arg(1, 13_000), arg(2, 9_000), arg(3, 10));
    let knn: KnnMethod = std::env::args().nth(4).unwrap_or_else(|| "auto".into()).parse()?;
    let start = Instant::now();
    let catalogue = synthetic(songs, artists, dims, 7)?;
    println!("synthetic catalogue: {songs} songs, {artists} artists, {dims}-D in {:.2} s", start.elapsed().as_secs_f64());
    let dir = tempfile::tempdir()?;
    let workdir = timbral_core::Workdir::new(dir.path());
    let space = if dims > 16 { Space::Study } else { Space::Umap };
    let params = SimilarityParams::builder().space(space).knn(knn).check()?;
    timbral_core::progress::set_quiet(true);

    let summary = timbral_similarity::run_on(&workdir, &catalogue, &params)?;
    for (step, secs) in &summary.step_seconds {
        println!("  {step:<22} {secs:>8.2} s");
    }
    println!(
        "run_on: {:.2} s; {} genres; library mean {:.4} +- {:.4}; {} of {} artist pairs exact ({}); recommendations by {}",
        summary.seconds,
        summary.genres,
        summary.library_mean_distance,
        summary.library_mean_error,
        summary.exact_artist_pairs,
        summary.artist_pairs,
        if summary.artist_shortlists { "centroid shortlists" } else { "bounds against every artist" },
        summary.neighbour_method.name()
    );

    let stored = stored_recommendations(&workdir, &catalogue)?;
    let recall = sampled_recall(catalogue.points.view(), &stored, 10, RECALL_QUERIES, 3);
    println!("recommendations recall@10 against exact ({RECALL_QUERIES} sampled songs): {recall:.4}");

    let groups = ArtistGroups::of(&catalogue);
    let artist_space = ArtistSpace::new(&catalogue.points, &groups);
    let (nearest_agree, farthest_agree, sampled) = artist_agreement(&workdir, &groups, &artist_space, params.top_artists())?;
    println!(
        "artist_similarity equal to brute force on {sampled} sampled artists: nearest {:.1}%, farthest {:.1}%",
        100.0 * nearest_agree,
        100.0 * farthest_agree
    );

    let start = Instant::now();
    let filters = Filters { other_artists: true, same_cluster: false };
    let found = recommend(&catalogue, songs / 2, 10, filters);
    println!("recommend (exact scan, other artists): {} songs in {:.4} s", found.len(), start.elapsed().as_secs_f64());

    let start = Instant::now();
    let result = ArtistSpace::new(&catalogue.points, &groups).neighbours_of(artists / 3, 10, KnnMethod::Auto);
    println!(
        "artists (moments of all artists + one query): {} nearest in {:.4} s, {} pairs exact",
        result.nearest.len(),
        start.elapsed().as_secs_f64(),
        result.exact_pairs
    );
    Ok(())
}

/// The `recommendations` table read back, as neighbour rows per catalogue row (track ids are
/// the catalogue's, sorted).
fn stored_recommendations(workdir: &timbral_core::Workdir, catalogue: &Catalogue) -> timbral_core::Result<Vec<Vec<Neighbour>>> {
    let frame = workdir.read_table(Table::Recommendations)?;
    let row = |id: &str| catalogue.track_ids.binary_search_by(|t| t.as_str().cmp(id)).expect("a catalogue track");
    let mut out = vec![Vec::new(); catalogue.len()];
    let from = strings(&frame, "recommendations", "track_id")?;
    let to = strings(&frame, "recommendations", "rec_track_id")?;
    for (a, b) in from.iter().zip(&to) {
        out[row(a)].push(Neighbour { index: row(b), distance: 0.0 });
    }
    Ok(out)
}

/// Shares of sampled artists whose stored nearest (and farthest) artists equal brute force.
fn artist_agreement(
    workdir: &timbral_core::Workdir,
    groups: &ArtistGroups,
    space: &ArtistSpace,
    n: usize,
) -> timbral_core::Result<(f64, f64, usize)> {
    let frame = workdir.read_table(Table::ArtistSimilarity)?;
    let artist = strings(&frame, "artist_similarity", "artist_id")?;
    let other = strings(&frame, "artist_similarity", "other_artist_id")?;
    let relation = strings(&frame, "artist_similarity", "relation")?;
    let sample = seeded_sample(groups.len(), ARTIST_SAMPLE, 11);
    let index = |id: &str| groups.ids.binary_search_by(|g| g.as_str().cmp(id)).expect("an artist");
    let mut stored: std::collections::HashMap<(usize, &str), Vec<usize>> = std::collections::HashMap::new();
    for ((a, b), r) in artist.iter().zip(&other).zip(&relation) {
        stored.entry((index(a), r.as_str())).or_default().push(index(b));
    }
    let (mut near, mut far) = (0, 0);
    for &a in &sample {
        let truth = space.neighbours(a, n);
        let ids = |list: &[timbral_similarity::artist_similarity::ArtistNeighbour]| list.iter().map(|x| x.other).collect::<Vec<_>>();
        near += usize::from(stored.get(&(a, "nearest")).cloned().unwrap_or_default() == ids(&truth.nearest));
        far += usize::from(stored.get(&(a, "farthest")).cloned().unwrap_or_default() == ids(&truth.farthest));
    }
    let m = sample.len().max(1) as f64;
    Ok((near as f64 / m, far as f64 / m, sample.len()))
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
        (0..songs).map(|i| format!("t{i:07}")).collect(),
        (0..songs).map(|i| format!("Song {i}")).collect(),
        artist_of.iter().map(|a| format!("ar{a:06}")).collect(),
        artist_of.iter().map(|a| format!("Artist {a}")).collect(),
        artist_of.iter().map(|&a| vec![genre(a), genre(a / 7)]).collect(),
        points,
        map,
        Some(artist_of.iter().map(|a| (a % 25) as i32 - 1).collect()),
    )
}
