//! Section 7: the naive recommender at work on a few songs.

use std::collections::HashMap;

use polars::prelude::{col, lit, DataFrame, DataType, IntoLazy, SortMultipleOptions};
use timbral_core::{Result, Table, cols};

use super::Ctx;
use crate::catalogue::cluster_labels_of;
use crate::format::{int, num, pct};
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
    let k = ctx.opts.neighbours;
    // The headline figures in one streaming pass: the table holds k rows per song.
    let facts = ctx.inputs.query(Table::Recommendations, |lazy| {
        let top_k = col(cols::recommendations::RANK).lt_eq(lit(k as u32));
        lazy.select([
            col(cols::recommendations::TRACK_ID).n_unique().alias(cols::genre_density::SONGS),
            col(cols::recommendations::SAME_ARTIST).filter(top_k).cast(DataType::Float64).mean().alias("same_share"),
            col(cols::recommendations::DISTANCE).filter(col(cols::recommendations::RANK).eq(lit(1u32))).median().alias("nearest"),
        ])
    });
    let facts = match facts {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(s);
        }
    };
    let t = Table::Recommendations;
    let value = |name: &str| f64s(&facts, t, name).ok().and_then(|v| v.first().copied().flatten());
    let songs = value("songs").unwrap_or(0.0) as usize;
    if songs == 0 {
        s.notice("The recommendations table has no rows.");
        return Ok(s);
    }
    let mut shown = vec![("Songs with recommendations".to_string(), int(songs))];
    if let Some(share) = value("same_share") {
        shown.push((format!("Same artist in the top {k}"), pct(share)));
    }
    if let Some(m) = value("nearest") {
        shown.push(("Median distance to the nearest song".to_string(), num(m)));
    }
    s.push(Block::Facts(shown));

    let by_seed = match example_recommendations(ctx) {
        Ok(r) => r,
        Err(why) => {
            s.notice(format!("The example recommendations cannot be shown: {why}."));
            return Ok(s);
        }
    };
    let ids: Vec<&str> = by_seed
        .iter()
        .flat_map(|(seed, recs)| std::iter::once(seed.as_str()).chain(recs.iter().map(|r| r.song.as_str())))
        .collect();
    let clusters = cluster_labels_of(&ctx.inputs, cols::clusters::HDBSCAN, &ids).unwrap_or_default();
    let cluster = |id: &str| match clusters.get(id) {
        Some(c) if *c >= 0 => c.to_string(),
        Some(_) => "noise".to_string(),
        None => "–".to_string(),
    };
    for (seed, rows) in &by_seed {
        let (title, artist) = describe(ctx, seed);
        s.push(Block::Table(TableBlock {
            caption: format!("{title} by {artist} (cluster {})", cluster(seed)),
            header: ["rank", "song", "artist", "distance", "same artist", "cluster"].map(String::from).to_vec(),
            rows: rows
                .iter()
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
        Some(t) => (t.title.clone(), t.artist.to_string()),
        None => (track_id.to_string(), "unknown artist".to_string()),
    }
}

/// The top-k recommendations of the example songs, in page order: one song per most prolific
/// artist (its first title alphabetically) that has recommendations; without the catalogue,
/// or when none of those has any, the first seeds by id. Only these songs' rows are read.
fn example_recommendations(ctx: &Ctx) -> std::result::Result<Vec<(String, Vec<Rec>)>, String> {
    let n = ctx.opts.example_songs;
    if let Ok(catalogue) = &ctx.catalogue {
        // Candidates: every song of a few more artists than needed, best first per artist.
        let artists: HashMap<&str, usize> = catalogue
            .artists_by_songs
            .iter()
            .take(n.saturating_mul(4))
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let mut songs: Vec<Vec<&crate::catalogue::Track>> = vec![Vec::new(); artists.len()];
        for t in &catalogue.tracks {
            if let Some(&i) = artists.get(&*t.artist_id) {
                songs[i].push(t);
            }
        }
        for list in &mut songs {
            list.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
        }
        let candidates: Vec<&str> = songs.iter().flatten().map(|t| t.id.as_str()).collect();
        let mut recs = top_k_of(ctx, &candidates)?;
        let picked: Vec<String> = songs
            .iter()
            .filter_map(|list| list.iter().find(|t| recs.contains_key(t.id.as_str())).map(|t| t.id.clone()))
            .take(n)
            .collect();
        if !picked.is_empty() {
            return Ok(picked.into_iter().map(|id| { let r = recs.remove(&id).unwrap_or_default(); (id, r) }).collect());
        }
    }
    let first = ctx.inputs.query(Table::Recommendations, |lazy| {
        lazy.select([col(cols::recommendations::TRACK_ID).unique()])
            .sort([cols::recommendations::TRACK_ID], SortMultipleOptions::default())
            .limit(n as u32)
    })?;
    let ids: Vec<String> = strs(&first, Table::Recommendations, cols::recommendations::TRACK_ID).map_err(|e| e.to_string())?.into_iter().flatten().collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut recs = top_k_of(ctx, &refs)?;
    Ok(ids.into_iter().map(|id| { let r = recs.remove(&id).unwrap_or_default(); (id, r) }).collect())
}

/// The first `neighbours` recommendations of each of `seeds`, by rank.
fn top_k_of(ctx: &Ctx, seeds: &[&str]) -> std::result::Result<HashMap<String, Vec<Rec>>, String> {
    let t = Table::Recommendations;
    let frame = ctx.inputs.rows_where_in(t, cols::recommendations::TRACK_ID, seeds, &[cols::recommendations::TRACK_ID, cols::recommendations::RANK, cols::recommendations::REC_TRACK_ID, cols::recommendations::DISTANCE, cols::recommendations::SAME_ARTIST])?;
    let frame: DataFrame = frame
        .lazy()
        .filter(col(cols::recommendations::RANK).lt_eq(lit(ctx.opts.neighbours as u32)))
        .sort([cols::recommendations::TRACK_ID, cols::recommendations::RANK], SortMultipleOptions::default())
        .collect()
        .map_err(|e| format!("sorting recommendations: {e}"))?;
    let read = || -> timbral_core::Result<_> {
        Ok((
            strs(&frame, t, cols::recommendations::TRACK_ID)?,
            f64s(&frame, t, cols::recommendations::RANK)?,
            strs(&frame, t, cols::recommendations::REC_TRACK_ID)?,
            f64s(&frame, t, cols::recommendations::DISTANCE)?,
            bools(&frame, t, cols::recommendations::SAME_ARTIST)?,
        ))
    };
    let (seed_ids, ranks, songs, distances, same) = read().map_err(|e| e.to_string())?;
    let mut out: HashMap<String, Vec<Rec>> = HashMap::new();
    for i in 0..seed_ids.len() {
        if let (Some(seed), Some(rank), Some(song)) = (&seed_ids[i], ranks[i], &songs[i]) {
            out.entry(seed.clone()).or_default().push(Rec {
                rank,
                song: song.clone(),
                distance: distances[i],
                same_artist: same[i],
            });
        }
    }
    Ok(out)
}
