//! Shared views of the inputs that several sections need: the songs with their artist and
//! genres, the 2-D and n-D embedding, and cluster labels by song.

use std::collections::HashMap;
use std::sync::Arc;

use timbral_core::contract::umap_nd_columns_in;
use timbral_core::{Table, cols};

use crate::inputs::{f64s, i64s, str_lists, strs, Inputs};

/// One song of the `tracks` table. Artist, genre and source strings are shared between the
/// songs that have them, so a million songs hold each distinct string once.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub artist_id: Arc<str>,
    pub artist: Arc<str>,
    pub genres: Vec<Arc<str>>,
    pub duration_s: Option<f64>,
    pub source: Arc<str>,
}

/// The songs, sorted by id, with genre and artist rankings.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Sorted by id, so that [`Catalogue::track`] needs no index of its own.
    pub tracks: Vec<Track>,
    artist_names: HashMap<Arc<str>, Arc<str>>,
    /// Genres by song count, descending (ties by name).
    pub genres: Vec<(String, usize)>,
    /// Artist ids by song count, descending (ties by name).
    pub artists_by_songs: Vec<(String, usize)>,
}

/// One shared copy of each distinct string.
#[derive(Default)]
struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    fn get(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.0.get(&text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.as_str().into();
        self.0.insert(text, shared.clone());
        shared
    }
}

const TRACK_COLUMNS: [&str; 7] = [
            cols::tracks::TRACK_ID,
            cols::tracks::TITLE,
            cols::tracks::ARTIST_ID,
            cols::tracks::ARTIST_NAME,
            cols::tracks::GENRES,
            cols::tracks::DURATION_S,
            cols::tracks::SOURCE,
        ];

impl Catalogue {
    /// Reads `tracks` (and `artists` for names); the error says why the songs are unknown.
    pub fn load(inputs: &Inputs) -> Result<Catalogue, String> {
        let frame = inputs.columns(Table::Tracks, &TRACK_COLUMNS)?;
        let t = Table::Tracks;
        let mut strings = Interner::default();
        let mut read = || -> timbral_core::Result<Vec<Track>> {
            let ids = strs(&frame, t, cols::clusters::TRACK_ID)?;
            let titles = strs(&frame, t, cols::tracks::TITLE)?;
            let artist_ids = strs(&frame, t, cols::artists::ARTIST_ID)?;
            let artists = strs(&frame, t, cols::artists::ARTIST_NAME)?;
            let genres = str_lists(&frame, t, cols::artists::GENRES)?;
            let durations = f64s(&frame, t, cols::tracks::DURATION_S)?;
            let sources = strs(&frame, t, cols::tracks::SOURCE)?;
            Ok(ids
                .into_iter()
                .zip(titles)
                .zip(artist_ids.into_iter().zip(artists))
                .zip(genres.into_iter().zip(durations).zip(sources))
                .map(|(((id, title), (artist_id, artist)), ((genres, duration_s), source))| Track {
                    id: id.unwrap_or_default(),
                    title: title.unwrap_or_default(),
                    artist_id: strings.get(artist_id.unwrap_or_default()),
                    artist: strings.get(artist.unwrap_or_default()),
                    genres: genres.into_iter().map(|g| strings.get(g)).collect(),
                    duration_s,
                    source: strings.get(source.unwrap_or_default()),
                })
                .collect())
        };
        let mut tracks = read().map_err(|e| e.to_string())?;
        drop(frame);
        tracks.sort_by(|a, b| a.id.cmp(&b.id));
        let mut artist_names: HashMap<Arc<str>, Arc<str>> = HashMap::new();
        if let Ok(artists) = inputs.columns(Table::Artists, &[cols::artists::ARTIST_ID, cols::artists::ARTIST_NAME])
            && let (Ok(ids), Ok(names)) = (
                strs(&artists, Table::Artists, cols::artists::ARTIST_ID),
                strs(&artists, Table::Artists, cols::artists::ARTIST_NAME),
            ) {
                for (id, name) in ids.into_iter().zip(names) {
                    if let (Some(id), Some(name)) = (id, name) {
                        artist_names.insert(strings.get(id), name.into());
                    }
                }
            }
        for track in &tracks {
            artist_names
                .entry(track.artist_id.clone())
                .or_insert_with(|| track.artist.clone());
        }
        let genres = ranked(tracks.iter().flat_map(|t| t.genres.iter().map(|g| &**g)));
        let artists_by_songs = ranked(tracks.iter().map(|t| &*t.artist_id));
        Ok(Catalogue { tracks, artist_names, genres, artists_by_songs })
    }

    pub fn track(&self, id: &str) -> Option<&Track> {
        let i = self.tracks.binary_search_by(|t| t.id.as_str().cmp(id)).ok()?;
        Some(&self.tracks[i])
    }

    /// The artist's name, or its id when the name is unknown.
    pub fn artist_name(&self, artist_id: &str) -> String {
        self.artist_names
            .get(artist_id)
            .map(|name| name.to_string())
            .unwrap_or_else(|| artist_id.to_string())
    }
}

/// Distinct values by count, descending, ties by value; each value counted once per item.
fn ranked<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().map(|(v, n)| (v.to_string(), n)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The embedding table: 2-D map coordinates and, when present, the n-D UMAP.
#[derive(Debug, Default)]
pub struct Embedding {
    pub track_ids: Vec<String>,
    pub xy: Vec<(f64, f64)>,
    /// Names of the n-D columns (`umap_1..umap_n`), empty when absent.
    pub nd_columns: Vec<String>,
    /// Row-major, `nd_columns.len()` values per song, aligned with `track_ids` (f32: distances
    /// between songs need no more).
    nd: Vec<f32>,
}

impl Embedding {
    pub fn load(inputs: &Inputs) -> Result<Embedding, String> {
        let t = Table::Embedding;
        let schema = inputs.schema(t)?;
        let nd_columns = umap_nd_columns_in(schema.iter_names().map(|n| n.as_str()));
        let mut wanted = vec![cols::embedding::TRACK_ID, cols::embedding::UMAP_X, cols::embedding::UMAP_Y];
        wanted.extend(nd_columns.iter().map(String::as_str));
        let frame = inputs.columns(t, &wanted)?;
        let ids = strs(&frame, t, cols::embedding::TRACK_ID).map_err(|e| e.to_string())?;
        let x = f64s(&frame, t, cols::embedding::UMAP_X).map_err(|e| e.to_string())?;
        let y = f64s(&frame, t, cols::embedding::UMAP_Y).map_err(|e| e.to_string())?;
        let nd_values = nd_columns
            .iter()
            .map(|name| f64s(&frame, t, name))
            .collect::<timbral_core::Result<Vec<_>>>()
            .map_err(|e| e.to_string())?;
        drop(frame);
        let mut out = Embedding {
            nd_columns,
            ..Embedding::default()
        };
        for (i, id) in ids.into_iter().enumerate() {
            let (Some(id), Some(x), Some(y)) = (id, x[i], y[i]) else {
                continue;
            };
            let row: Option<Vec<f64>> = nd_values.iter().map(|c| c[i]).collect();
            let Some(row) = row else { continue };
            out.nd.extend(row.into_iter().map(|v| v as f32));
            out.track_ids.push(id);
            out.xy.push((x, y));
        }
        Ok(out)
    }

    /// The space used for distances between songs: the n-D UMAP when present, else the map.
    pub fn distance_space(&self) -> String {
        if self.nd_columns.is_empty() {
            "the 2-D UMAP map".to_string()
        } else {
            format!("the {}-D UMAP embedding", self.nd_columns.len())
        }
    }

    /// The coordinates of song `row` in [`Embedding::distance_space`].
    pub fn coordinates(&self, row: usize) -> Vec<f64> {
        let dims = self.nd_columns.len();
        if dims == 0 {
            vec![self.xy[row].0, self.xy[row].1]
        } else {
            self.nd[row * dims..(row + 1) * dims].iter().map(|&v| f64::from(v)).collect()
        }
    }
}

/// Labels of one clustering (`kmeans`, `dbscan` or `hdbscan`) by song; -1 is noise.
pub fn cluster_labels(inputs: &Inputs, method: &str) -> Result<HashMap<String, i64>, String> {
    let frame = inputs.columns(Table::Clusters, &[cols::clusters::TRACK_ID, method])?;
    labels_by_song(&frame, method)
}

/// Labels of one clustering for the given songs only.
pub fn cluster_labels_of(inputs: &Inputs, method: &str, track_ids: &[&str]) -> Result<HashMap<String, i64>, String> {
    let frame = inputs.rows_where_in(Table::Clusters, cols::clusters::TRACK_ID, track_ids, &[cols::clusters::TRACK_ID, method])?;
    labels_by_song(&frame, method)
}

fn labels_by_song(frame: &polars::prelude::DataFrame, method: &str) -> Result<HashMap<String, i64>, String> {
    let ids = strs(frame, Table::Clusters, cols::clusters::TRACK_ID).map_err(|e| e.to_string())?;
    let labels = i64s(frame, Table::Clusters, method).map_err(|e| e.to_string())?;
    Ok(ids
        .into_iter()
        .zip(labels)
        .filter_map(|(id, l)| Some((id?, l?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_breaks_ties_by_name() {
        let r = ranked(["b", "a", "b", "c", "a"].into_iter());
        assert_eq!(r, vec![("a".into(), 2), ("b".into(), 2), ("c".into(), 1)]);
    }
}
