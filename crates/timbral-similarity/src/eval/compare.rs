//! `timbral eval --compare`: every song representation ([`Space::ALL`]) scored on the same
//! library, songs and seeds.
//!
//! Per representation (`k` from [`EvalParams`], [`ARTIST_K`] nearest artists):
//! - `artist_precision_at_{k}`, `genre_precision_at_{k}` with `_baseline` (labels shuffled
//!   among songs) and `_lift`, as in the `eval` table, over each query song's exact `k`
//!   nearest songs;
//! - `genre_precision_other_artists_at_{k}` (with `_baseline` and `_lift`): the same over each
//!   query song's `k` nearest songs by *other* artists (MIREX's artist filter), so that a
//!   representation cannot score on genre by finding the same artist;
//! - `artist_pair_auc`, `genre_pair_auc`: ROC AUC of the distance (smaller = positive) for
//!   "same artist" / "share a genre" over all song pairs up to [`ALL_PAIRS`] pairs, else over
//!   that many seeded pairs (genre pairs: both songs have a genre);
//! - `artist_genre_precision_at_{ARTIST_K}` and `_lift`: each query artist's nearest artists by
//!   mean song-pair distance (the study's artist distance), the share sharing a genre with it
//!   (an artist's genres: the union of its songs'), against shuffled artist genres;
//! - `*_gain` for every metric with an interval: the paired difference against `study`, and
//!   `*_gain_over_codebook` against `codebook` (when it was scored).
//!
//! Intervals: 95% percentile bootstrap, [`BOOTSTRAP`] seeded resamples of the query songs
//! (precision), of the songs (pair AUC: each pair weighted by how often both its songs are
//! drawn) or of the query artists (artist level); every representation sees the same
//! resamples, which makes the gains paired. Baselines are point values.
//!
//! Cost: query songs are every song up to [`QUERY_SONGS`]; above, the songs of a seeded
//! sample of artists up to that many songs. Each query song's distances to every song are
//! computed by exact scan (no `n x n` matrix is held), so the harness is
//! `O(QUERY_SONGS x n)` distances per representation, which is what lets `gaussian-kl` (not a
//! vector space) be compared at any size.

use std::collections::HashMap;

use ndarray::Array2;
use polars::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::{Result, Table, Workdir, cols};

use super::{align_rows, dense_ids, genre_ids, metrics};
use crate::catalogue::Catalogue;
use crate::distance::euclidean;
use crate::hyperparams::{EvalParams, Labels, Space};
use crate::neighbors::Neighbour;
use crate::representation::{CodebookUse, coordinates, gaussian::Gaussians, raw_features};

/// Query songs at most (see the module documentation).
pub const QUERY_SONGS: usize = 2_000;
/// Song pairs the pair AUC visits exactly; above, this many seeded pairs.
pub const ALL_PAIRS: usize = 1_000_000;
/// Bootstrap resamples per interval.
pub const BOOTSTRAP: usize = 500;
/// Nearest artists per query artist in the artist-level retrieval.
pub const ARTIST_K: usize = 5;

/// The distance of one representation between catalogue rows.
pub enum Model {
    /// Coordinates, compared by euclidean distance.
    Points(Array2<f64>),
    /// Gaussians, compared by symmetrised KL.
    Gaussians(Gaussians),
}

impl Model {
    /// The model of `space` with rows in catalogue order.
    pub fn load(workdir: &Workdir, space: Space, codebook: CodebookUse, catalogue: &Catalogue) -> Result<Model> {
        Ok(match space {
            Space::GaussianKl => {
                let (ids, raw) = raw_features(workdir)?;
                Model::Gaussians(Gaussians::from_features(align_rows(catalogue, &ids, &raw, "features")?.view()))
            }
            _ => {
                let (ids, points) = coordinates(workdir, space, codebook, None)?;
                Model::Points(align_rows(catalogue, &ids, &points, space.source_table())?)
            }
        })
    }

    pub fn distance(&self, i: usize, j: usize) -> f64 {
        match self {
            Model::Points(p) => euclidean(p.row(i).iter(), p.row(j).iter()),
            Model::Gaussians(g) => g.symmetric_kl(i, j),
        }
    }
}

/// One scored metric: value, interval and the bootstrap replicates behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub metric: String,
    pub value: Option<f64>,
    pub ci: Option<(f64, f64)>,
    replicates: Vec<f64>,
}

/// The scores of one representation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub space: Space,
    pub scores: Vec<Score>,
}

/// Loads the library once and scores every representation of [`Space::ALL`] that the library
/// has the tables for ([`Space::missing_input`]).
pub fn run(workdir: &Workdir, params: &EvalParams) -> Result<Vec<Scored>> {
    let catalogue = Catalogue::load(workdir, Space::Study, CodebookUse::Stage(params.seed()), Labels::default())?;
    let mut out = Vec::new();
    for space in Space::ALL {
        if let Some(missing) = space.missing_input(workdir) {
            tracing::warn!("{missing}: `{space}` is left out of the comparison");
            continue;
        }
        let start = std::time::Instant::now();
        let model = Model::load(workdir, space, CodebookUse::Stage(params.seed()), &catalogue)?;
        out.push(Scored { space, scores: score(&catalogue, &model, params) });
        tracing::info!(space = space.name(), secs = start.elapsed().as_secs_f64(), "compared");
    }
    add_gains(&mut out, &[(Space::Study, "_gain"), (Space::Codebook, "_gain_over_codebook")]);
    let mut frame = table(&out, Space::Auto.resolve(workdir))?;
    workdir.write_table(Table::RepresentationEval, &mut frame)?;
    Ok(out)
}

/// Every metric of the module documentation for one representation.
pub fn score(catalogue: &Catalogue, model: &Model, params: &EvalParams) -> Vec<Score> {
    let n = catalogue.len();
    let (k, seed, shuffles) = (params.k(), params.seed(), params.shuffles());
    let artist = dense_ids(&catalogue.artist_ids);
    let genres = genre_ids(&catalogue.genres);
    let artists = artist.iter().max().map_or(0, |m| m + 1);
    let mut songs_of = vec![0usize; artists];
    artist.iter().for_each(|&a| songs_of[a] += 1);
    let query_artists = query_artists(&songs_of, n, seed);
    // Query songs: every song of a query artist, in row order, also grouped by query artist.
    let mut queries = Vec::new();
    let mut songs_of_query: Vec<Vec<usize>> = vec![Vec::new(); query_artists.len()];
    for (i, a) in artist.iter().enumerate() {
        if let Ok(q) = query_artists.binary_search(a) {
            queries.push(i);
            songs_of_query[q].push(i);
        }
    }

    let artist_genres = artist_genre_sets(&artist, &genres, artists);

    // One exact scan per query song, artist by artist: each song's k nearest and, summed over
    // the artist's songs, its distance to every artist (one row per query artist in flight,
    // never an artists x artists matrix), from which the artist's nearest artists follow.
    let scanned: Vec<ArtistScan> = query_artists
        .par_iter()
        .zip(&songs_of_query)
        .map(|(&a, songs)| {
            let mut sums = vec![0.0; artists];
            let mut to_artist = vec![0.0; artists];
            let mut nearest_songs = Vec::with_capacity(songs.len());
            for &i in songs {
                to_artist.fill(0.0);
                let mut near = Vec::with_capacity(n);
                for j in 0..n {
                    if j != i {
                        let d = model.distance(i, j);
                        near.push(Neighbour { index: j, distance: d });
                        to_artist[artist[j]] += d;
                    }
                }
                near.sort_by(|x, y| x.distance.total_cmp(&y.distance).then(x.index.cmp(&y.index)));
                let other_artists: Vec<Neighbour> = near.iter().filter(|m| artist[m.index] != a).take(k).copied().collect();
                near.truncate(k);
                sums.iter_mut().zip(&to_artist).for_each(|(sum, d)| *sum += d);
                nearest_songs.push((i, near, other_artists));
            }
            ArtistScan { songs: nearest_songs, nearest_artists: nearest_artists_of(a, &sums, &songs_of, !artist_genres[a].is_empty()) }
        })
        .collect();
    let mut neighbours = vec![Vec::new(); n];
    let mut other_artist_neighbours = vec![Vec::new(); n];
    let mut nearest_artists = vec![Vec::new(); artists];
    for (scan, &a) in scanned.into_iter().zip(&query_artists) {
        for (i, near, other) in scan.songs {
            neighbours[i] = near;
            other_artist_neighbours[i] = other;
        }
        nearest_artists[a] = scan.nearest_artists;
    }

    let mut out = Vec::new();
    let same_artist = |i: usize, j: usize| artist[i] == artist[j];
    let share_genre = |i: usize, j: usize| metrics::sorted_overlap(&genres[i], &genres[j]);
    precision_scores(
        &mut out,
        &format!("artist_precision_at_{k}"),
        &queries,
        &neighbours,
        |i| songs_of[artist[i]] >= 2,
        same_artist,
        metrics::shuffled_baseline(&artist, shuffles, seed, |l| metrics::artist_precision(&neighbours, l)),
        seed,
    );
    precision_scores(
        &mut out,
        &format!("genre_precision_at_{k}"),
        &queries,
        &neighbours,
        |i| !genres[i].is_empty(),
        share_genre,
        metrics::shuffled_baseline(&genres, shuffles, seed.wrapping_add(1), |l| metrics::genre_precision(&neighbours, l)),
        seed.wrapping_add(2),
    );
    precision_scores(
        &mut out,
        &format!("genre_precision_other_artists_at_{k}"),
        &queries,
        &other_artist_neighbours,
        |i| !genres[i].is_empty(),
        share_genre,
        metrics::shuffled_baseline(&genres, shuffles, seed.wrapping_add(7), |l| {
            metrics::genre_precision(&other_artist_neighbours, l)
        }),
        seed.wrapping_add(8),
    );

    let pairs = sample_pairs(n, seed.wrapping_add(3));
    let weights = song_weights(n, seed.wrapping_add(4));
    let distances: Vec<f64> = pairs.par_iter().map(|&(i, j)| model.distance(i, j)).collect();
    for (name, eligible, positive) in [
        ("artist_pair_auc", &(|_: usize, _: usize| true) as &(dyn Fn(usize, usize) -> bool + Sync), &same_artist as &(dyn Fn(usize, usize) -> bool + Sync)),
        ("genre_pair_auc", &|i: usize, j: usize| !genres[i].is_empty() && !genres[j].is_empty(), &share_genre),
    ] {
        let scored: Vec<(f64, bool, usize, usize)> = pairs
            .iter()
            .zip(&distances)
            .filter(|((i, j), _)| eligible(*i, *j))
            .map(|(&(i, j), &d)| (d, positive(i, j), i, j))
            .collect();
        out.push(auc_score(name, scored, &weights));
    }

    // Artist level: the share of each query artist's nearest artists that share a genre.
    let artist_level = |labels: &[Vec<u32>]| -> Vec<Option<f64>> {
        nearest_artists
            .iter()
            .enumerate()
            .map(|(a, near)| {
                (!near.is_empty()).then(|| {
                    near.iter().filter(|&&b| metrics::sorted_overlap(&labels[a], &labels[b])).count() as f64
                        / near.len() as f64
                })
            })
            .collect()
    };
    let per_artist: Vec<f64> = artist_level(&artist_genres).into_iter().flatten().collect();
    let baseline = metrics::shuffled_baseline(&artist_genres, shuffles, seed.wrapping_add(5), |l| {
        mean(&artist_level(l).into_iter().flatten().collect::<Vec<_>>())
    });
    push_mean_scores(&mut out, &format!("artist_genre_precision_at_{ARTIST_K}"), &per_artist, baseline, seed.wrapping_add(6));
    out
}

/// What the scan of one query artist's songs found.
struct ArtistScan {
    /// Each song's row, its k nearest songs and its k nearest songs by other artists.
    songs: Vec<(usize, Vec<Neighbour>, Vec<Neighbour>)>,
    nearest_artists: Vec<usize>,
}

/// The [`ARTIST_K`] artists nearest to `a` by mean song-pair distance (`sums[b]`: the summed
/// distances from `a`'s songs to `b`'s), ties to the lower id; none when `a` is not `scored`.
fn nearest_artists_of(a: usize, sums: &[f64], songs_of: &[usize], scored: bool) -> Vec<usize> {
    if !scored {
        return Vec::new();
    }
    let mut others: Vec<(f64, usize)> =
        (0..sums.len()).filter(|&b| b != a).map(|b| (sums[b] / (songs_of[a] * songs_of[b]) as f64, b)).collect();
    others.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    others.into_iter().take(ARTIST_K).map(|(_, b)| b).collect()
}

/// Query artists: all while their songs are at most [`QUERY_SONGS`], else a seeded shuffle of
/// artists taken while their songs fit. Sorted.
fn query_artists(songs_of: &[usize], songs: usize, seed: u64) -> Vec<usize> {
    let artists = songs_of.len();
    if songs <= QUERY_SONGS {
        return (0..artists).collect();
    }
    let mut order: Vec<usize> = (0..artists).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut taken = Vec::new();
    let mut total = 0;
    for a in order {
        if total + songs_of[a] > QUERY_SONGS && !taken.is_empty() {
            continue;
        }
        total += songs_of[a];
        taken.push(a);
    }
    taken.sort_unstable();
    taken
}

/// Precision, baseline and lift rows of one label, the interval over resampled query songs.
#[allow(clippy::too_many_arguments)]
fn precision_scores(
    out: &mut Vec<Score>,
    name: &str,
    queries: &[usize],
    neighbours: &[Vec<Neighbour>],
    eligible: impl Fn(usize) -> bool,
    matches: impl Fn(usize, usize) -> bool,
    baseline: Option<f64>,
    seed: u64,
) {
    let per_song: Vec<f64> = queries
        .iter()
        .filter(|&&i| eligible(i) && !neighbours[i].is_empty())
        .map(|&i| {
            let list = &neighbours[i];
            list.iter().filter(|n| matches(i, n.index)).count() as f64 / list.len() as f64
        })
        .collect();
    push_mean_scores(out, name, &per_song, baseline, seed);
}

/// `name` (the mean of `values`), `name_baseline` and `name_lift`, bootstrapped over `values`.
fn push_mean_scores(out: &mut Vec<Score>, name: &str, values: &[f64], baseline: Option<f64>, seed: u64) {
    let replicates = bootstrap_means(values, seed);
    out.push(score_of(name, mean(values), replicates.clone()));
    out.push(score_of(&format!("{name}_baseline"), baseline, Vec::new()));
    let lift = |v: f64| baseline.filter(|&b| b > 0.0).map(|b| v / b);
    let lifted = replicates.iter().filter_map(|&r| lift(r)).collect();
    out.push(score_of(&format!("{name}_lift"), mean(values).and_then(lift), lifted));
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// [`BOOTSTRAP`] means of `values` resampled with replacement (seeded).
fn bootstrap_means(values: &[f64], seed: u64) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..BOOTSTRAP)
        .map(|_| (0..values.len()).map(|_| values[rng.random_range(0..values.len())]).sum::<f64>() / values.len() as f64)
        .collect()
}

fn score_of(name: &str, value: Option<f64>, replicates: Vec<f64>) -> Score {
    Score { metric: name.to_string(), value, ci: percentile_interval(&replicates), replicates }
}

/// The 2.5% and 97.5% percentiles (nearest rank) of the replicates.
pub fn percentile_interval(replicates: &[f64]) -> Option<(f64, f64)> {
    if replicates.is_empty() {
        return None;
    }
    let mut sorted = replicates.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    Some((at(0.025), at(0.975)))
}

/// All pairs `i < j` up to [`ALL_PAIRS`], else that many seeded distinct pairs.
fn sample_pairs(n: usize, seed: u64) -> Vec<(usize, usize)> {
    if n < 2 {
        return Vec::new();
    }
    if n * (n - 1) / 2 <= ALL_PAIRS {
        return (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..ALL_PAIRS)
        .map(|_| {
            let a = rng.random_range(0..n);
            let b = rng.random_range(0..n - 1);
            (a, if b >= a { b + 1 } else { b })
        })
        .collect()
}

/// For each bootstrap resample, how often each song was drawn (`n` draws of `n` songs).
fn song_weights(n: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..BOOTSTRAP)
        .map(|_| {
            let mut w = vec![0u32; n];
            (0..n).for_each(|_| w[rng.random_range(0..n)] += 1);
            w
        })
        .collect()
}

/// Pair ROC AUC with its bootstrap, from (distance, positive, i, j) rows.
fn auc_score(name: &str, mut pairs: Vec<(f64, bool, usize, usize)>, weights: &[Vec<u32>]) -> Score {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let value = weighted_auc(&pairs, |_, _| 1.0);
    let replicates = weights
        .par_iter()
        .filter_map(|w| weighted_auc(&pairs, |i, j| f64::from(w[i]) * f64::from(w[j])))
        .collect();
    score_of(name, value, replicates)
}

/// ROC AUC of "smaller distance = positive": the weighted share of (positive, negative) pairs
/// in which the positive is closer, ties counting half. `pairs` sorted by distance.
pub fn weighted_auc(pairs: &[(f64, bool, usize, usize)], weight: impl Fn(usize, usize) -> f64) -> Option<f64> {
    let (mut positives_before, mut wins, mut positives, mut negatives) = (0.0, 0.0, 0.0, 0.0);
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start;
        let (mut pos, mut neg) = (0.0, 0.0);
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            let (_, positive, i, j) = pairs[end];
            let w = weight(i, j);
            if positive { pos += w } else { neg += w }
            end += 1;
        }
        // Each negative here loses to the positives before it and ties with those beside it.
        wins += neg * (positives_before + 0.5 * pos);
        positives_before += pos;
        positives += pos;
        negatives += neg;
        start = end;
    }
    (positives > 0.0 && negatives > 0.0).then(|| wins / (positives * negatives))
}

/// Each artist's genres: the sorted union of its songs'.
fn artist_genre_sets(artist: &[usize], genres: &[Vec<u32>], artists: usize) -> Vec<Vec<u32>> {
    let mut sets = vec![Vec::new(); artists];
    for (i, &a) in artist.iter().enumerate() {
        sets[a].extend(&genres[i]);
    }
    sets.iter_mut().for_each(|s: &mut Vec<u32>| {
        s.sort_unstable();
        s.dedup();
    });
    sets
}

/// For each (baseline, suffix), `{metric}{suffix}` rows for every representation but the
/// baseline: the paired difference against it of each scored metric that has replicates, with
/// the interval of the paired differences. Every baseline's gains come from the scores before
/// any gain is added, so no gain of a gain is made.
fn add_gains(all: &mut [Scored], baselines: &[(Space, &str)]) {
    let scored: Vec<Scored> = all.to_vec();
    for &(baseline, suffix) in baselines {
        let Some(reference) = scored.iter().find(|s| s.space == baseline) else {
            continue;
        };
        let base: HashMap<&str, &Score> = reference.scores.iter().map(|s| (s.metric.as_str(), s)).collect();
        for (target, original) in all.iter_mut().zip(&scored).filter(|(s, _)| s.space != baseline) {
            let gains = original.scores.iter().filter_map(|s| {
                let b = base.get(s.metric.as_str())?;
                if s.replicates.is_empty() || s.replicates.len() != b.replicates.len() {
                    return None;
                }
                let diffs = s.replicates.iter().zip(&b.replicates).map(|(x, y)| x - y).collect();
                let value = s.value.zip(b.value).map(|(x, y)| x - y);
                Some(score_of(&format!("{}{suffix}", s.metric), value, diffs))
            });
            target.scores.extend(gains);
        }
    }
}

/// The `representation_eval` table.
pub fn table(all: &[Scored], default: Space) -> Result<DataFrame> {
    let rows: Vec<(&Scored, &Score)> = all.iter().flat_map(|s| s.scores.iter().map(move |m| (s, m))).collect();
    df!(
        cols::representation_eval::REPRESENTATION => rows.iter().map(|(s, _)| s.space.name()).collect::<Vec<_>>(),
        cols::representation_eval::METRIC => rows.iter().map(|(_, m)| m.metric.as_str()).collect::<Vec<_>>(),
        cols::representation_eval::VALUE => rows.iter().map(|(_, m)| m.value).collect::<Vec<_>>(),
        cols::representation_eval::CI_LOW => rows.iter().map(|(_, m)| m.ci.map(|c| c.0)).collect::<Vec<_>>(),
        cols::representation_eval::CI_HIGH => rows.iter().map(|(_, m)| m.ci.map(|c| c.1)).collect::<Vec<_>>(),
        cols::representation_eval::IS_DEFAULT => rows.iter().map(|(s, _)| s.space == default).collect::<Vec<_>>(),
    )
    .ctx("building representation_eval")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(space: Space, value: f64) -> Scored {
        Scored { space, scores: vec![score_of("auc", Some(value), vec![value, value + 0.1])] }
    }

    #[test]
    fn gains_against_each_baseline_come_from_scored_metrics_only() {
        let mut all = vec![scored(Space::Study, 0.5), scored(Space::Codebook, 0.6), scored(Space::Musicnn, 0.8)];
        add_gains(&mut all, &[(Space::Study, "_gain"), (Space::Codebook, "_gain_over_codebook")]);
        let names = |s: &Scored| s.scores.iter().map(|m| m.metric.clone()).collect::<Vec<_>>();
        assert_eq!(names(&all[0]), ["auc", "auc_gain_over_codebook"]);
        assert_eq!(names(&all[1]), ["auc", "auc_gain"]);
        assert_eq!(names(&all[2]), ["auc", "auc_gain", "auc_gain_over_codebook"]);
        let gain = all[2].scores[2].value.unwrap();
        assert!((gain - 0.2).abs() < 1e-12, "{gain}");
    }
}
