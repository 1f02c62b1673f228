//! What the explorer page holds, gathered from the report's inputs: every song on the map in
//! page order (by artist, then title, so that an artist's songs are one range), its quantised
//! coordinates, strings, colourings, top recommendations and its artist's nearest and farthest
//! artists. Large tables are scanned for the few columns and ranks shown; ids become page
//! positions through one map from track id, so no per-row string is copied.

use std::collections::HashMap;

use polars::prelude::{col, lit, DataType};
use serde_json::{json, Value};
use timbral_core::{Table, cols};

use super::payload::{LogScale, Payload};
use crate::catalogue::{Catalogue, Embedding, Track};
use crate::format::int;
use crate::inputs::{f64s, i64s, str_column, strs};
use crate::plot::colors::{category, viridis, GREY};
use crate::sections::map::{acousticness, mapped_space, top_genre_categories, PROXY_FORMULA};
use crate::sections::Ctx;

/// Most labelled clusters on the map; smaller ones are only in the legend.
const MAP_LABELS: usize = 40;
/// Colour steps of continuous values.
const STEPS: usize = 256;
/// Quantised coordinates span 0..=QUANT.
const QUANT: f64 = u16::MAX as f64;
/// Recommendations the page holds at most, over all songs: five per song up to 600,000 songs,
/// fewer above (three at a million), so that a million songs stay within 40 MB (a random page
/// position and its distance take about 3.5 bytes gzipped).
const RECOMMENDATION_SLOTS: usize = 3_000_000;
/// A missing row (no recommendation, no similar artist).
const NONE: u32 = u32::MAX;

/// The page's data: the JSON header and the binary arrays it describes.
pub struct Explorer {
    pub songs: usize,
    pub meta: Value,
    pub payload: Payload,
}

/// The map's songs in page order.
struct Songs<'a> {
    /// Embedding row of each song.
    rows: Vec<usize>,
    tracks: Vec<Option<&'a Track>>,
    /// Page position by track id.
    position: HashMap<&'a str, u32>,
    /// Artist ids and names in page order; songs of artist `a` are `artist_start[a]..artist_start[a + 1]`.
    artist_ids: Vec<&'a str>,
    artist_names: Vec<String>,
    artist_start: Vec<u32>,
}

impl<'a> Songs<'a> {
    fn new(embedding: &'a Embedding, catalogue: &'a Catalogue) -> Songs<'a> {
        let tracks: Vec<Option<&Track>> = embedding.track_ids.iter().map(|id| catalogue.track(id)).collect();
        let mut artist_of: HashMap<&str, usize> = HashMap::new();
        let mut artist_ids: Vec<&str> = Vec::new();
        let by_row: Vec<usize> = tracks
            .iter()
            .map(|t| {
                let id = t.map_or("", |t| &*t.artist_id);
                *artist_of.entry(id).or_insert_with(|| {
                    artist_ids.push(id);
                    artist_ids.len() - 1
                })
            })
            .collect();
        let names: Vec<String> = artist_ids
            .iter()
            .map(|id| if id.is_empty() { "unknown artist".to_string() } else { catalogue.artist_name(id) })
            .collect();
        let mut artist_order: Vec<usize> = (0..artist_ids.len()).collect();
        let folded: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        artist_order.sort_by(|&a, &b| folded[a].cmp(&folded[b]).then_with(|| artist_ids[a].cmp(artist_ids[b])));
        let mut artist_rank = vec![0; artist_ids.len()];
        for (rank, &a) in artist_order.iter().enumerate() {
            artist_rank[a] = rank;
        }
        let title = |row: usize| tracks[row].map_or(embedding.track_ids[row].as_str(), |t| t.title.as_str());
        let mut rows: Vec<usize> = (0..tracks.len()).collect();
        rows.sort_by(|&a, &b| {
            artist_rank[by_row[a]]
                .cmp(&artist_rank[by_row[b]])
                .then_with(|| title(a).cmp(title(b)))
                .then_with(|| embedding.track_ids[a].cmp(&embedding.track_ids[b]))
        });
        let mut artist_start = vec![0u32; artist_ids.len() + 1];
        for &row in &rows {
            artist_start[artist_rank[by_row[row]] + 1] += 1;
        }
        for a in 1..artist_start.len() {
            artist_start[a] += artist_start[a - 1];
        }
        let position = rows.iter().enumerate().map(|(p, &row)| (embedding.track_ids[row].as_str(), p as u32)).collect();
        Songs {
            tracks: rows.iter().map(|&row| tracks[row]).collect(),
            position,
            artist_ids: artist_order.iter().map(|&a| artist_ids[a]).collect(),
            artist_names: artist_order.iter().map(|&a| names[a].clone()).collect(),
            artist_start,
            rows,
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Per-song values given in embedding order, in page order.
    fn permute<T: Copy>(&self, by_row: &[T]) -> Vec<T> {
        self.rows.iter().map(|&row| by_row[row]).collect()
    }
}

/// Builds the page's data, or says why there is no map to explore.
pub fn build(ctx: &Ctx) -> Result<Explorer, String> {
    let embedding = match &ctx.embedding {
        Ok(e) if !e.xy.is_empty() => e,
        Ok(_) => return Err("The embedding table has no songs with map coordinates, so there is no map to explore.".into()),
        Err(why) => return Err(format!("The explorer shows the 2-D map: {why}.")),
    };
    let catalogue = ctx.catalogue.as_ref().map_err(|why| format!("The explorer needs the songs' titles and artists: {why}."))?;
    let songs = Songs::new(embedding, catalogue);
    let mut payload = Payload::default();
    let xy = quantised_xy(&songs, embedding);
    payload.u16s("x", &xy.iter().map(|p| p.0).collect::<Vec<_>>());
    payload.u16s("y", &xy.iter().map(|p| p.1).collect::<Vec<_>>());

    let genres = SongGenres::new(&songs, catalogue);
    let first_genre: Vec<u32> = (0..songs.len()).map(|p| genres.of(p).first().map_or(0, |g| g + 1)).collect();
    payload.u32s("first_genre", &first_genre);
    let durations: Vec<u16> = songs
        .tracks
        .iter()
        .map(|t| t.and_then(|t| t.duration_s).map_or(u16::MAX, |d| d.round().clamp(0.0, f64::from(u16::MAX - 1)) as u16))
        .collect();
    payload.u16s("duration", &durations);
    payload.u32s("artist_start", &songs.artist_start);
    let titles: Vec<&str> = songs
        .tracks
        .iter()
        .zip(&songs.rows)
        .map(|(t, &row)| t.map_or(embedding.track_ids[row].as_str(), |t| t.title.as_str()))
        .collect();
    let strings = titles
        .iter()
        .copied()
        .chain(songs.artist_names.iter().map(String::as_str))
        .chain(catalogue.genres.iter().map(|(g, _)| g.as_str()));
    payload.strings(("string_lengths", "string_text"), strings);

    let mut notes = Vec::new();
    let mut colourings = Vec::new();
    match clusterings(ctx, &songs, &xy, (&genres, catalogue)) {
        Ok(found) => colourings.extend(found),
        Err(why) => notes.push(format!("No cluster colouring: {why}.")),
    }
    let (top, by_row) = top_genre_categories(catalogue, &embedding.track_ids, ctx.opts.top_genres);
    if top.is_empty() {
        notes.push("No song has a genre label, so there is no genre colouring.".to_string());
    } else {
        let categories = songs.permute(&by_row);
        let labels = (0..top.len()).map(|i| Some(top[i].clone())).collect();
        colourings.push(categorical(("by_genre", "top genres"), &xy, &categories, &top, "other or none", labels));
    }
    match acousticness(ctx, embedding) {
        Ok((values, label)) => colourings.push(continuous(&songs.permute(values), label)),
        Err(why) => notes.push(why.clone()),
    }
    for colouring in &colourings {
        payload.u16s(colouring.key, &colouring.codes);
    }

    let neighbours = ctx.opts.neighbours;
    let shown = neighbours.min((RECOMMENDATION_SLOTS / songs.len()).max(1));
    let recommendations = match recommendations(ctx, &songs, shown, &mut payload) {
        Ok(found) => found,
        Err(why) => {
            notes.push(format!("No recommendations: {why}."));
            json!(null)
        }
    };
    let artists = match similar_artists(ctx, &songs, neighbours, &mut payload) {
        Ok(found) => found,
        Err(why) => {
            notes.push(format!("No similar artists: {why}."));
            json!(null)
        }
    };
    let meta = json!({
        "songs": songs.len(),
        "artists": songs.artist_names.len(),
        "genres": catalogue.genres.len(),
        "colourings": colourings.iter().map(Colouring::json).collect::<Vec<_>>(),
        "recommendations": recommendations,
        "similarArtists": artists,
        "notes": notes,
        "reading": reading(ctx, embedding, &songs),
    });
    Ok(Explorer { songs: songs.len(), meta, payload })
}

/// Coordinates quantised to u16 with one scale for both axes, so the map keeps its aspect.
fn quantised_xy(songs: &Songs, embedding: &Embedding) -> Vec<(u16, u16)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in &embedding.xy {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let span = (x1 - x0).max(y1 - y0).max(f64::MIN_POSITIVE);
    let q = |v: f64, lo: f64| ((v - lo) / span * QUANT).round().clamp(0.0, QUANT) as u16;
    songs.rows.iter().map(|&row| (q(embedding.xy[row].0, x0), q(embedding.xy[row].1, y0))).collect()
}

/// One way of colouring the map: a code per song (0: grey), a colour per code, the legend and
/// the labels placed on the map.
struct Colouring {
    /// The name of its codes in the payload.
    key: &'static str,
    title: String,
    codes: Vec<u16>,
    palette: Vec<String>,
    /// Label, colour and song count (`None` on the stops of a continuous scale).
    legend: Vec<(String, String, Option<usize>)>,
    /// Text and position on the map.
    labels: Vec<(String, (u16, u16))>,
}

impl Colouring {
    fn json(&self) -> Value {
        json!({
            "key": self.key,
            "title": self.title,
            "palette": self.palette,
            "legend": self.legend.iter().map(|(label, colour, songs)| json!([label, colour, songs])).collect::<Vec<_>>(),
            "labels": self.labels.iter().map(|(text, (x, y))| json!([text, x, y])).collect::<Vec<_>>(),
        })
    }
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A colouring by category (`None`: grey, listed as `grey_label`), each category coloured as
/// on the report's PNG maps; the largest categories with a label get it at their centre.
fn categorical(
    (key, title): (&'static str, &str),
    xy: &[(u16, u16)],
    categories: &[Option<usize>],
    names: &[String],
    grey_label: &str,
    labels: Vec<Option<String>>,
) -> Colouring {
    let codes: Vec<u16> = categories.iter().map(|c| c.map_or(0, |i| (i + 1).min(usize::from(u16::MAX)) as u16)).collect();
    let mut counts = vec![0usize; names.len() + 1];
    for &code in &codes {
        counts[usize::from(code)] += 1;
    }
    let palette: Vec<String> = std::iter::once(hex(GREY)).chain((0..names.len()).map(|i| hex(category(i)))).collect();
    let legend = std::iter::once(grey_label.to_string())
        .chain(names.iter().cloned())
        .zip(&palette)
        .zip(&counts)
        .map(|((label, colour), &n)| (label, colour.clone(), Some(n)))
        .collect();
    let mut largest: Vec<usize> = (0..names.len()).filter(|&i| counts[i + 1] > 0 && labels[i].is_some()).collect();
    largest.sort_by_key(|&i| std::cmp::Reverse(counts[i + 1]));
    largest.truncate(MAP_LABELS);
    let centres = centres(xy, &codes, names.len() + 1);
    let labels = largest.into_iter().filter_map(|i| Some((labels[i].clone()?, centres[i + 1]?))).collect();
    Colouring { key, title: title.to_string(), codes, palette, legend, labels }
}

/// Each code's centre: its song nearest the mean of its songs (a song, so that a curved
/// cluster's label sits on it).
fn centres(xy: &[(u16, u16)], codes: &[u16], n: usize) -> Vec<Option<(u16, u16)>> {
    let mut sums = vec![(0.0f64, 0.0f64, 0usize); n];
    for (&(x, y), &c) in xy.iter().zip(codes) {
        let s = &mut sums[usize::from(c)];
        (s.0, s.1, s.2) = (s.0 + f64::from(x), s.1 + f64::from(y), s.2 + 1);
    }
    let mut best: Vec<Option<((u16, u16), f64)>> = vec![None; n];
    for (&(x, y), &c) in xy.iter().zip(codes) {
        let (sx, sy, k) = sums[usize::from(c)];
        let d = (f64::from(x) - sx / k as f64).powi(2) + (f64::from(y) - sy / k as f64).powi(2);
        let slot = &mut best[usize::from(c)];
        if slot.is_none_or(|(_, b)| d < b) {
            *slot = Some(((x, y), d));
        }
    }
    best.into_iter().map(|b| b.map(|(p, _)| p)).collect()
}

/// A colouring by a value in [0, 1] on the viridis scale (grey: no value).
fn continuous(values: &[Option<f64>], label: &str) -> Colouring {
    let top = (STEPS - 1) as f64;
    let codes = values.iter().map(|v| v.map_or(0, |v| 1 + (v.clamp(0.0, 1.0) * top).round() as u16)).collect();
    let palette = std::iter::once(hex(GREY)).chain((0..STEPS).map(|i| hex(viridis(i as f64 / top)))).collect();
    let mut legend: Vec<(String, String, Option<usize>)> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&t| (format!("{t}"), hex(viridis(t)), None))
        .collect();
    legend[0].0 = "0 (bright, electric)".into();
    legend[4].0 = "1 (dull, acoustic)".into();
    legend.push(("no value".into(), hex(GREY), Some(values.iter().filter(|v| v.is_none()).count())));
    let title = if label == crate::sections::map::MEASURED { "acousticness (Spotify)".to_string() } else { format!("{label} ({PROXY_FORMULA})") };
    Colouring { key: "by_acousticness", title, codes, palette, legend, labels: Vec::new() }
}

/// The HDBSCAN, K-Means and DBSCAN colourings, each cluster labelled with its most common genre.
fn clusterings(ctx: &Ctx, songs: &Songs, xy: &[(u16, u16)], (genres, catalogue): (&SongGenres, &Catalogue)) -> Result<Vec<Colouring>, String> {
    use cols::clusters::{DBSCAN, HDBSCAN, KMEANS, TRACK_ID};
    let t = Table::Clusters;
    let frame = ctx.inputs.columns(t, &[TRACK_ID, HDBSCAN, KMEANS, DBSCAN])?;
    let ids = str_column(&frame, t, TRACK_ID).map_err(|e| e.to_string())?;
    let positions: Vec<Option<u32>> = ids.iter().map(|id| songs.position.get(id?).copied()).collect();
    let mut out = Vec::new();
    for (method, title) in [
        (HDBSCAN, "HDBSCAN clusters (on the n-D UMAP)"),
        (KMEANS, "K-Means clusters"),
        (DBSCAN, "DBSCAN clusters (on the 2-D map)"),
    ] {
        let labels = i64s(&frame, t, method).map_err(|e| e.to_string())?;
        let mut by_song: Vec<Option<i64>> = vec![None; songs.len()];
        for (p, label) in positions.iter().zip(labels) {
            if let (Some(p), Some(label)) = (p, label) {
                by_song[*p as usize] = Some(label);
            }
        }
        let mut clusters: Vec<i64> = by_song.iter().flatten().copied().filter(|&l| l >= 0).collect();
        clusters.sort_unstable();
        clusters.dedup();
        let index: HashMap<i64, usize> = clusters.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let categories: Vec<Option<usize>> = by_song.iter().map(|l| l.and_then(|l| index.get(&l).copied())).collect();
        let names: Vec<String> = clusters.iter().map(|c| format!("cluster {c}")).collect();
        let labels = most_common_genres(genres, &categories, clusters.len(), catalogue);
        let key = match method {
            HDBSCAN => "by_hdbscan",
            KMEANS => "by_kmeans",
            _ => "by_dbscan",
        };
        out.push(categorical((key, title), xy, &categories, &names, "noise", labels));
    }
    Ok(out)
}

/// Each category's most common genre over its songs' genre lists (ties: the more common genre
/// in the catalogue).
fn most_common_genres(genres: &SongGenres, categories: &[Option<usize>], n: usize, catalogue: &Catalogue) -> Vec<Option<String>> {
    let mut counts: Vec<HashMap<u32, usize>> = vec![HashMap::new(); n];
    for (p, category) in categories.iter().enumerate() {
        if let Some(c) = category {
            for &genre in genres.of(p) {
                *counts[*c].entry(genre).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|c| c.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(g, _)| catalogue.genres[g as usize].0.clone()))
        .collect()
}

/// Each song's genres as ranks in the catalogue's genre list (0: the most common), in page order.
struct SongGenres {
    start: Vec<u32>,
    ranks: Vec<u32>,
}

impl SongGenres {
    fn new(songs: &Songs, catalogue: &Catalogue) -> SongGenres {
        let rank: HashMap<&str, u32> = catalogue.genres.iter().enumerate().map(|(i, (g, _))| (g.as_str(), i as u32)).collect();
        let mut start = Vec::with_capacity(songs.len() + 1);
        let mut ranks = Vec::new();
        start.push(0);
        for track in &songs.tracks {
            ranks.extend(track.iter().flat_map(|t| t.genres.iter().map(|g| rank[&**g])));
            start.push(ranks.len() as u32);
        }
        SongGenres { start, ranks }
    }

    fn of(&self, song: usize) -> &[u32] {
        &self.ranks[self.start[song] as usize..self.start[song + 1] as usize]
    }
}

/// Each song's first `k` recommendations as page positions (rank-major: every song's first,
/// then every song's second, ...; [`NONE`] when absent) and log-coded distances; returns what
/// the page needs to read them.
fn recommendations(ctx: &Ctx, songs: &Songs, k: usize, payload: &mut Payload) -> Result<Value, String> {
    use cols::recommendations::{DISTANCE, RANK, REC_TRACK_ID, SPACE, TRACK_ID};
    let t = Table::Recommendations;
    let frame = ctx.inputs.query(t, |lazy| {
        lazy.filter(col(RANK).lt_eq(lit(k as u32))).select([col(TRACK_ID), col(RANK), col(REC_TRACK_ID), col(DISTANCE)])
    })?;
    let read = || -> timbral_core::Result<_> {
        Ok((str_column(&frame, t, TRACK_ID)?, i64s(&frame, t, RANK)?, str_column(&frame, t, REC_TRACK_ID)?, f64s(&frame, t, DISTANCE)?))
    };
    let (seeds, ranks, recs, distances) = read().map_err(|e| e.to_string())?;
    let scale = LogScale::fit(distances.iter().flatten().copied());
    let mut rows = vec![NONE; songs.len() * k];
    let mut codes = vec![LogScale::MISSING; songs.len() * k];
    for (((seed, rank), rec), distance) in seeds.iter().zip(ranks).zip(recs.iter()).zip(distances) {
        let (Some(seed), Some(rank), Some(rec)) = (seed, rank, rec) else { continue };
        if let (Some(&p), Some(&q)) = (songs.position.get(seed), songs.position.get(rec))
            && (1..=k as i64).contains(&rank)
        {
            let slot = (rank as usize - 1) * songs.len() + p as usize;
            (rows[slot], codes[slot]) = (q, scale.encode(distance));
        }
    }
    drop(frame);
    // Rank after rank, each distance as its step from the song's previous one (distances grow
    // with rank, so the steps are small numbers, which compress better).
    for slot in (songs.len()..codes.len()).rev() {
        codes[slot] = codes[slot].wrapping_sub(codes[slot - songs.len()]);
    }
    payload.u32s("rec_song", &rows);
    payload.u16s("rec_distance_steps", &codes);
    let stored = ctx.inputs.scalar(t, col(RANK).cast(DataType::Float64).max())?.unwrap_or(0.0) as usize;
    Ok(json!({ "k": k, "stored": stored, "scale": scale.json(), "space": first_space(ctx, t, SPACE) }))
}

/// The `space` column's first value: the representation the table's distances are in.
fn first_space(ctx: &Ctx, table: Table, space: &str) -> Option<String> {
    let frame = ctx.inputs.query(table, |lazy| lazy.select([col(space)]).limit(1)).ok()?;
    strs(&frame, table, space).ok()?.into_iter().next().flatten()
}

/// Each artist's `k` nearest and `k` farthest artists (artist-major, [`NONE`] when absent) with
/// log-coded distances.
fn similar_artists(ctx: &Ctx, songs: &Songs, k: usize, payload: &mut Payload) -> Result<Value, String> {
    use cols::artist_similarity::{ARTIST_ID, DISTANCE, OTHER_ARTIST_ID, RANK, RELATION, SPACE};
    let t = Table::ArtistSimilarity;
    let frame = ctx.inputs.query(t, |lazy| {
        lazy.filter(col(RANK).lt_eq(lit(k as u32)))
            .select([col(ARTIST_ID), col(OTHER_ARTIST_ID), col(RELATION), col(RANK), col(DISTANCE)])
    })?;
    let read = || -> timbral_core::Result<_> {
        Ok((
            str_column(&frame, t, ARTIST_ID)?,
            str_column(&frame, t, OTHER_ARTIST_ID)?,
            str_column(&frame, t, RELATION)?,
            i64s(&frame, t, RANK)?,
            f64s(&frame, t, DISTANCE)?,
        ))
    };
    let (artists, others, relations, ranks, distances) = read().map_err(|e| e.to_string())?;
    let index: HashMap<&str, u32> = songs.artist_ids.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
    let scale = LogScale::fit(distances.iter().flatten().copied());
    let slots = songs.artist_ids.len() * k;
    let (mut near, mut near_codes) = (vec![NONE; slots], vec![LogScale::MISSING; slots]);
    let (mut far, mut far_codes) = (vec![NONE; slots], vec![LogScale::MISSING; slots]);
    for ((((artist, other), relation), rank), distance) in artists.iter().zip(others.iter()).zip(relations.iter()).zip(ranks).zip(distances) {
        let (Some(artist), Some(other), Some(rank)) = (artist, other, rank) else { continue };
        let (Some(&a), Some(&b)) = (index.get(artist), index.get(other)) else { continue };
        let (list, list_codes) = match relation {
            Some("nearest") => (&mut near, &mut near_codes),
            Some("farthest") => (&mut far, &mut far_codes),
            _ => continue,
        };
        if (1..=k as i64).contains(&rank) {
            let slot = a as usize * k + rank as usize - 1;
            (list[slot], list_codes[slot]) = (b, scale.encode(distance));
        }
    }
    drop(frame);
    payload.u32s("near_artist", &near);
    payload.u16s("near_distance", &near_codes);
    payload.u32s("far_artist", &far);
    payload.u16s("far_distance", &far_codes);
    Ok(json!({ "k": k, "scale": scale.json(), "space": first_space(ctx, t, SPACE) }))
}

/// What the map is and how to read it, in plain language.
fn reading(ctx: &Ctx, embedding: &Embedding, songs: &Songs) -> String {
    let fit = ctx.inputs.get(Table::ClusterModel).ok().and_then(|model| {
        use cols::cluster_model::{SONGS, UMAP_METRIC, UMAP_MIN_DIST, UMAP_N_NEIGHBORS};
        let t = Table::ClusterModel;
        let number = |name| f64s(model, t, name).ok()?.into_iter().next().flatten();
        let fitted = number(SONGS)? as usize;
        Some(format!(
            " (n_neighbors = {}, min_dist = {}, {} metric; fitted on {} songs{})",
            number(UMAP_N_NEIGHBORS)?,
            number(UMAP_MIN_DIST)?,
            strs(model, t, UMAP_METRIC).ok()?.into_iter().next().flatten()?,
            int(fitted),
            if fitted < embedding.xy.len() { ", the others placed into that fit" } else { "" },
        ))
    });
    format!(
        "Each dot is one of {} songs on the 2-D UMAP map{}: songs that sound alike sit close together; the axes have no units, only distances matter. {} Point at a dot to see the song, search titles and artists, and click a song to mark its recommendations (the nearest songs, from the recommendations table) and its artist's other songs, and to list the artist's nearest and farthest artists. Colour the map by a clustering, by genre or by acousticness; each cluster is labelled at its centre with its most common genre.",
        int(songs.len()),
        fit.unwrap_or_default(),
        mapped_space(ctx),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_centre_is_the_song_nearest_the_mean() {
        // Code 1: three songs in a row, the middle one is the centre; code 0 has no song.
        let xy = [(0, 0), (10, 0), (30, 0), (500, 500)];
        let codes = [1, 1, 1, 2];
        assert_eq!(centres(&xy, &codes, 3), vec![None, Some((10, 0)), Some((500, 500))]);
    }

    #[test]
    fn categories_count_grey_first_and_label_the_largest() {
        let xy = [(0, 0), (1, 1), (2, 2), (9, 9)];
        let names = ["a".to_string(), "b".to_string()];
        let colouring = categorical(("k", "t"), &xy, &[Some(1), Some(1), None, Some(0)], &names, "none", vec![Some("A".into()), None]);
        assert_eq!(colouring.codes, vec![2, 2, 0, 1]);
        let counts: Vec<Option<usize>> = colouring.legend.iter().map(|l| l.2).collect();
        assert_eq!(counts, vec![Some(1), Some(1), Some(2)]);
        assert_eq!(colouring.palette[0], hex(GREY));
        // Only labelled categories get a label on the map.
        assert_eq!(colouring.labels, vec![("A".to_string(), (9, 9))]);
    }

    #[test]
    fn continuous_values_take_viridis_steps_and_grey_when_missing() {
        let colouring = continuous(&[Some(0.0), Some(1.0), None, Some(0.5)], "x");
        assert_eq!(colouring.codes, vec![1, STEPS as u16, 0, 129]);
        assert_eq!(colouring.palette.len(), STEPS + 1);
        assert_eq!(colouring.palette[1], hex(viridis(0.0)));
    }
}
