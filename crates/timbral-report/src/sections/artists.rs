//! Section 6: how cohesive artists are and which artists sound alike.

use std::collections::HashMap;

use timbral_core::{Result, Table, cols};

use super::{Ctx, Figures};
use crate::catalogue::Catalogue;
use crate::format::{int, num};
use crate::html::{Block, Section, TableBlock};
use crate::inputs::{f64s, has, strs};
use crate::plot::heatmap::{draw_matrix, Matrix};
use crate::plot::Size;

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("artists", "Artist similarity");
    s.read(
        "The study measures how alike two artists sound by the mean euclidean distance between all pairs of their songs in the embedding, and how cohesive one artist is by the same mean over pairs of their own songs, compared with random songs of the library. A ratio below 1 means the artist's songs sit closer together than chance. It found this \"semi-reliable\": Bach lands near Chopin, Debussy and Brahms, but The Weeknd lands near Disturbed and Soda Stereo.",
    );
    let catalogue = match &ctx.catalogue {
        Ok(c) => c,
        Err(why) => {
            s.notice(format!("Artist names come from the tracks table: {why}."));
            return Ok(s);
        }
    };
    if catalogue.artists_by_songs.len() < 2 {
        s.notice(format!(
            "The catalogue has {} artist(s); artist similarity needs at least two.",
            catalogue.artists_by_songs.len()
        ));
        return Ok(s);
    }
    cohesion_tables(ctx, &mut s, catalogue);
    neighbour_tables(ctx, &mut s, catalogue);
    distance_heatmap(ctx, figures, &mut s, catalogue)?;
    Ok(s)
}

fn cohesion_tables(ctx: &Ctx, s: &mut Section, catalogue: &Catalogue) {
    let frame = match ctx.inputs.get(Table::IntraArtist) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return;
        }
    };
    let t = Table::IntraArtist;
    let read = || -> timbral_core::Result<_> {
        let ids = strs(frame, t, cols::intra_artist::ARTIST_ID)?;
        let names = if has(frame, cols::intra_artist::ARTIST_NAME) { strs(frame, t, cols::intra_artist::ARTIST_NAME)? } else { vec![None; ids.len()] };
        Ok((ids, names, f64s(frame, t, cols::intra_artist::SONGS)?, f64s(frame, t, cols::intra_artist::MEAN_DISTANCE)?))
    };
    let (ids, names, songs, means) = match read() {
        Ok(c) => c,
        Err(e) => {
            s.notice(format!("The cohesion tables cannot be shown: {e}."));
            return;
        }
    };
    let ratio = f64s(frame, t, cols::intra_artist::RATIO).ok();
    let percentile = f64s(frame, t, cols::intra_artist::PERCENTILE).ok();
    let key: Vec<Option<f64>> = ratio.clone().unwrap_or_else(|| means.clone());
    let mut order: Vec<usize> = (0..ids.len()).filter(|&i| key[i].is_some()).collect();
    if order.is_empty() {
        s.notice("intra_artist has no artist with at least two songs, so cohesion cannot be ranked.");
        return;
    }
    order.sort_by(|&a, &b| key[a].unwrap_or(0.0).total_cmp(&key[b].unwrap_or(0.0)));
    let mut header = vec!["artist".to_string(), "songs".to_string(), "mean distance".to_string()];
    if ratio.is_some() {
        header.push("ratio to library".to_string());
    }
    if percentile.is_some() {
        header.push("percentile among random song sets".to_string());
    }
    let row = |i: usize| {
        let name = names[i].clone().unwrap_or_else(|| catalogue.artist_name(ids[i].as_deref().unwrap_or_default()));
        let mut r = vec![
            name,
            songs[i].map(|n| int(n.max(0.0) as usize)).unwrap_or_default(),
            means[i].map(num).unwrap_or_default(),
        ];
        if let Some(ratio) = &ratio {
            r.push(ratio[i].map(num).unwrap_or_default());
        }
        if let Some(p) = &percentile {
            r.push(p[i].map(num).unwrap_or_default());
        }
        r
    };
    let n = ctx.opts.cohesion_rows;
    let by = if ratio.is_some() { "ratio to the library's mean" } else { "mean distance" };
    s.push(Block::Subheading("Intra-artist similarity".into()));
    s.push(Block::Table(TableBlock {
        caption: format!("Most cohesive artists (lowest {by}; {} of {} ranked)", n.min(order.len()), int(order.len())),
        header: header.clone(),
        rows: order.iter().take(n).map(|&i| row(i)).collect(),
        half: true,
    }));
    s.push(Block::Table(TableBlock {
        caption: format!("Least cohesive artists (highest {by}; {} of {} ranked)", n.min(order.len()), int(order.len())),
        header,
        rows: order.iter().rev().take(n).map(|&i| row(i)).collect(),
        half: true,
    }));
}

fn neighbour_tables(ctx: &Ctx, s: &mut Section, catalogue: &Catalogue) {
    let t = Table::ArtistSimilarity;
    // Only the rows of the most prolific artists are read: the table has 2N rows per artist.
    let wanted: Vec<&str> = catalogue
        .artists_by_songs
        .iter()
        .take(ctx.opts.prolific_artists.saturating_mul(4))
        .map(|(id, _)| id.as_str())
        .collect();
    let frame = ctx.inputs.schema(t).and_then(|schema| {
        let mut columns = vec![cols::artist_similarity::ARTIST_ID, cols::artist_similarity::OTHER_ARTIST_ID, cols::artist_similarity::DISTANCE];
        columns.extend(schema.contains(cols::artist_similarity::PAIRS).then_some(cols::artist_similarity::PAIRS));
        ctx.inputs.rows_where_in(t, cols::intra_artist::ARTIST_ID, &wanted, &columns)
    });
    let frame = match frame {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return;
        }
    };
    let frame = &frame;
    let read = || -> timbral_core::Result<_> {
        Ok((strs(frame, t, cols::intra_artist::ARTIST_ID)?, strs(frame, t, cols::artist_similarity::OTHER_ARTIST_ID)?, f64s(frame, t, cols::artist_similarity::DISTANCE)?))
    };
    let (ids, others, distances) = match read() {
        Ok(c) => c,
        Err(e) => {
            s.notice(format!("The nearest and farthest artist tables cannot be shown: {e}."));
            return;
        }
    };
    let pairs = f64s(frame, t, cols::artist_similarity::PAIRS).ok();
    let mut by_artist: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        if let (Some(id), Some(_), Some(_)) = (id, &others[i], distances[i]) {
            by_artist.entry(id.as_str()).or_default().push(i);
        }
    }
    let prolific: Vec<&(String, usize)> = catalogue
        .artists_by_songs
        .iter()
        .filter(|(id, _)| by_artist.contains_key(id.as_str()))
        .take(ctx.opts.prolific_artists)
        .collect();
    if prolific.is_empty() {
        s.notice("artist_similarity has no rows for the catalogue's artists, so there are no nearest/farthest tables.");
        return;
    }
    s.push(Block::Subheading("Inter-artist similarity: the most prolific artists".into()));
    let mut header = vec!["artist".to_string(), "distance".to_string()];
    if pairs.is_some() {
        header.push("song pairs".to_string());
    }
    for (artist, songs) in prolific {
        let mut rows = by_artist[artist.as_str()].clone();
        rows.sort_by(|&a, &b| distances[a].unwrap_or(0.0).total_cmp(&distances[b].unwrap_or(0.0)));
        let line = |i: usize| {
            let mut r = vec![
                catalogue.artist_name(others[i].as_deref().unwrap_or_default()),
                distances[i].map(num).unwrap_or_default(),
            ];
            if let Some(p) = &pairs {
                r.push(p[i].map(|n| int(n.max(0.0) as usize)).unwrap_or_default());
            }
            r
        };
        let name = catalogue.artist_name(artist);
        let n = ctx.opts.neighbours;
        s.push(Block::Table(TableBlock {
            caption: format!("Nearest to {name} ({} songs)", int(*songs)),
            header: header.clone(),
            rows: rows.iter().take(n).map(|&i| line(i)).collect(),
            half: true,
        }));
        s.push(Block::Table(TableBlock {
            caption: format!("Farthest from {name}"),
            header: header.clone(),
            rows: rows.iter().rev().take(n).map(|&i| line(i)).collect(),
            half: true,
        }));
    }
}

/// Songs per artist in the distance heatmap; more prolific artists are sampled.
const HEATMAP_SONGS: usize = 200;

/// A seeded 64-bit FNV-1a hash: a sampling order that depends only on the seed and the id.
fn seeded_hash(seed: u64, text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The study's artist distance: the mean euclidean distance over all pairs of songs (one of
/// `a`, one of `b`), or over the distinct pairs when `a` and `b` are the same artist. `None`
/// when there is no pair.
fn mean_pair_distance(points: &[Vec<f64>], a: &[usize], b: &[usize], same: bool) -> Option<f64> {
    let (mut sum, mut pairs) = (0.0, 0usize);
    for (i, &p) in a.iter().enumerate() {
        for (j, &q) in b.iter().enumerate() {
            if same && j <= i {
                continue;
            }
            sum += points[p].iter().zip(&points[q]).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / pairs as f64)
}

/// A greedy nearest-neighbour order so that similar artists sit next to each other.
fn greedy_order(d: &[Vec<Option<f64>>]) -> Vec<usize> {
    let n = d.len();
    let mut order = Vec::with_capacity(n);
    let mut used = vec![false; n];
    let mut current = 0;
    for _ in 0..n {
        order.push(current);
        used[current] = true;
        let next = (0..n)
            .filter(|&j| !used[j])
            .min_by(|&a, &b| {
                let da = d[current][a].unwrap_or(f64::INFINITY);
                let db = d[current][b].unwrap_or(f64::INFINITY);
                da.total_cmp(&db).then(a.cmp(&b))
            });
        match next {
            Some(j) => current = j,
            None => break,
        }
    }
    order
}

fn distance_heatmap(ctx: &Ctx, figures: &mut Figures, s: &mut Section, catalogue: &Catalogue) -> Result<()> {
    let embedding = match &ctx.embedding {
        Ok(e) => e,
        Err(why) => {
            s.notice(format!("The artist distance heatmap needs the embedding: {why}."));
            return Ok(());
        }
    };
    let space = embedding.distance_space();
    let mut songs_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (row, id) in embedding.track_ids.iter().enumerate() {
        if let Some(track) = catalogue.track(id) {
            songs_of.entry(&*track.artist_id).or_default().push(row);
        }
    }
    let artists: Vec<&str> = catalogue
        .artists_by_songs
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| songs_of.contains_key(id))
        .take(ctx.opts.heatmap_artists)
        .collect();
    if artists.len() < 2 {
        s.notice("Fewer than two artists have songs on the map, so there is no artist distance heatmap.");
        return Ok(());
    }
    // All pairs of two artists' songs cost songs², so prolific artists are sampled.
    let mut sampled = 0;
    let mut coords: Vec<Vec<f64>> = Vec::new();
    let rows_of: Vec<Vec<usize>> = artists
        .iter()
        .map(|a| {
            let mut rows = songs_of[a].clone();
            if rows.len() > HEATMAP_SONGS {
                sampled += 1;
                rows.sort_by_key(|&row| (seeded_hash(ctx.opts.seed, &embedding.track_ids[row]), row));
                rows.truncate(HEATMAP_SONGS);
            }
            rows.into_iter()
                .map(|row| {
                    coords.push(embedding.coordinates(row));
                    coords.len() - 1
                })
                .collect()
        })
        .collect();
    let d: Vec<Vec<Option<f64>>> = (0..artists.len())
        .map(|a| (0..artists.len()).map(|b| mean_pair_distance(&coords, &rows_of[a], &rows_of[b], a == b)).collect())
        .collect();
    let order = greedy_order(&d);
    // Rows carry the names; columns are numbered like the rows to keep their labels short.
    let matrix = Matrix {
        rows: order
            .iter()
            .enumerate()
            .map(|(k, &i)| format!("{}. {}", k + 1, catalogue.artist_name(artists[i])))
            .collect(),
        cols: (1..=order.len()).map(|k| k.to_string()).collect(),
        values: order.iter().map(|&i| order.iter().map(|&j| d[i][j]).collect()).collect(),
    };
    let sample_note = if sampled > 0 {
        format!(
            " {sampled} of them have more than {HEATMAP_SONGS} songs and are represented by a seeded sample of {HEATMAP_SONGS} (seed {}).",
            ctx.opts.seed
        )
    } else {
        String::new()
    };
    let caption = format!(
        "Mean euclidean distance between the songs of the {} artists with most songs, in {space} (diagonal: between an artist's own songs; grey: an artist with one song). Artists are ordered so that near ones sit together; column k is the artist of row k.{sample_note}",
        matrix.rows.len()
    );
    let side = 420 + 22 * matrix.rows.len() as u32;
    figures.add(
        s,
        "artist_distances.png",
        Size { width: side.min(1120) + 100, height: side },
        ("Artist distance heatmap", &caption),
        |area| draw_matrix(area, "Mean distance between artists' songs", &matrix, ("artist", "artist"), "mean distance", matrix.rows.len() <= 12),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pair_distance_by_hand() {
        let points = vec![vec![0.0, 0.0], vec![3.0, 4.0], vec![0.0, 0.0]];
        // Pairs (0,2) = 0 and (1,2) = 5.
        assert_eq!(mean_pair_distance(&points, &[0, 1], &[2], false), Some(2.5));
        assert_eq!(mean_pair_distance(&points, &[0, 1], &[0, 1], true), Some(5.0));
        assert_eq!(mean_pair_distance(&points, &[2], &[2], true), None);
    }

    #[test]
    fn greedy_order_follows_nearest() {
        let d = vec![
            vec![Some(0.0), Some(9.0), Some(1.0)],
            vec![Some(9.0), Some(0.0), Some(2.0)],
            vec![Some(1.0), Some(2.0), Some(0.0)],
        ];
        assert_eq!(greedy_order(&d), vec![0, 2, 1]);
    }
}
