//! Section 7: the naive recommender at work on a few songs.

use std::collections::HashMap;

use timbral_core::{Result, Table};

use super::Ctx;
use crate::catalogue::cluster_labels;
use crate::format::{int, median, num, pct};
use crate::html::{Block, Section, TableBlock};
use crate::inputs::{bools, f64s, strs};

/// One recommendation row.
struct Rec {
    rank: f64,
    song: String,
    distance: Option<f64>,
    same_artist: Option<bool>,
}

pub fn build(ctx: &Ctx) -> Result<Section> {
    let mut s = Section::new("recommendations", "Recommendations");
    s.read(
        "The study's naive recommender suggests the songs nearest to a given song in the embedding, using no listening data at all. Below are a few example songs, one from each of the most prolific artists, with their nearest songs. Recommendations by the same artist are a sign that the embedding captures an artist's sound; different artists at a small distance are the interesting suggestions.",
    );
    let frame = match ctx.inputs.get(Table::Recommendations) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(s);
        }
    };
    let t = Table::Recommendations;
    let read = || -> timbral_core::Result<_> {
        Ok((
            strs(frame, t, "track_id")?,
            f64s(frame, t, "rank")?,
            strs(frame, t, "rec_track_id")?,
            f64s(frame, t, "distance")?,
            bools(frame, t, "same_artist").unwrap_or_else(|_| vec![None; frame.height()]),
        ))
    };
    let (seeds, ranks, recs, distances, same) = match read() {
        Ok(c) => c,
        Err(e) => {
            s.notice(format!("The recommendations cannot be shown: {e}."));
            return Ok(s);
        }
    };
    let mut by_seed: HashMap<&str, Vec<Rec>> = HashMap::new();
    for i in 0..seeds.len() {
        if let (Some(seed), Some(rank), Some(song)) = (&seeds[i], ranks[i], &recs[i]) {
            by_seed.entry(seed.as_str()).or_default().push(Rec {
                rank,
                song: song.clone(),
                distance: distances[i],
                same_artist: same[i],
            });
        }
    }
    if by_seed.is_empty() {
        s.notice("The recommendations table has no rows.");
        return Ok(s);
    }
    let k = ctx.opts.neighbours;
    let top: Vec<&Rec> = by_seed.values().flat_map(|r| r.iter().filter(|r| r.rank <= k as f64)).collect();
    let same_share = {
        let known: Vec<bool> = top.iter().filter_map(|r| r.same_artist).collect();
        (!known.is_empty()).then(|| known.iter().filter(|&&b| b).count() as f64 / known.len() as f64)
    };
    let first: Vec<f64> = by_seed.values().flat_map(|r| r.iter().filter(|r| r.rank <= 1.0).filter_map(|r| r.distance)).collect();
    let mut facts = vec![("Songs with recommendations".to_string(), int(by_seed.len()))];
    if let Some(share) = same_share {
        facts.push((format!("Same artist in the top {k}"), pct(share)));
    }
    if let Some(m) = median(&first) {
        facts.push(("Median distance to the nearest song".to_string(), num(m)));
    }
    s.push(Block::Facts(facts));

    let clusters = cluster_labels(&ctx.inputs, "hdbscan").unwrap_or_default();
    let cluster = |id: &str| match clusters.get(id) {
        Some(c) if *c >= 0 => c.to_string(),
        Some(_) => "noise".to_string(),
        None => "–".to_string(),
    };
    let examples = example_songs(ctx, &by_seed);
    for seed in examples {
        let mut rows: Vec<&Rec> = by_seed[seed.as_str()].iter().collect();
        rows.sort_by(|a, b| a.rank.total_cmp(&b.rank));
        let (title, artist) = describe(ctx, &seed);
        s.push(Block::Table(TableBlock {
            caption: format!("{title} by {artist} (cluster {})", cluster(&seed)),
            header: ["rank", "song", "artist", "distance", "same artist", "cluster"].map(String::from).to_vec(),
            rows: rows
                .iter()
                .take(k)
                .map(|r| {
                    let (title, artist) = describe(ctx, &r.song);
                    vec![
                        format!("{:.0}", r.rank),
                        title,
                        artist,
                        r.distance.map(num).unwrap_or_default(),
                        match r.same_artist {
                            Some(true) => "yes".to_string(),
                            Some(false) => "no".to_string(),
                            None => "–".to_string(),
                        },
                        cluster(&r.song),
                    ]
                })
                .collect(),
            half: true,
        }));
    }
    Ok(s)
}

/// A song's title and artist, or its id and "unknown artist".
fn describe(ctx: &Ctx, track_id: &str) -> (String, String) {
    match ctx.catalogue.as_ref().ok().and_then(|c| c.track(track_id)) {
        Some(t) => (t.title.clone(), t.artist.clone()),
        None => (track_id.to_string(), "unknown artist".to_string()),
    }
}

/// One song per most prolific artist (its first title alphabetically) that has
/// recommendations; without the catalogue, the first seeds by id.
fn example_songs(ctx: &Ctx, by_seed: &HashMap<&str, Vec<Rec>>) -> Vec<String> {
    let n = ctx.opts.example_songs;
    if let Ok(catalogue) = &ctx.catalogue {
        let picked: Vec<String> = catalogue
            .artists_by_songs
            .iter()
            .filter_map(|(artist, _)| {
                catalogue
                    .tracks
                    .iter()
                    .filter(|t| &t.artist_id == artist && by_seed.contains_key(t.id.as_str()))
                    .min_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)))
                    .map(|t| t.id.clone())
            })
            .take(n)
            .collect();
        if !picked.is_empty() {
            return picked;
        }
    }
    let mut ids: Vec<&str> = by_seed.keys().copied().collect();
    ids.sort();
    ids.into_iter().take(n).map(str::to_string).collect()
}
