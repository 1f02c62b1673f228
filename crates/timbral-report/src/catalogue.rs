//! Shared views of the inputs that several sections need: the songs with their artist and
//! genres, the 2-D and n-D embedding, and cluster labels by song.

use std::collections::HashMap;

use timbral_core::Table;

use crate::inputs::{f64s, i64s, str_lists, strs, Inputs};

/// One song of the `tracks` table.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub artist_id: String,
    pub artist: String,
    pub genres: Vec<String>,
    pub duration_s: Option<f64>,
    pub source: String,
}

/// The songs, indexed by id, with genre and artist rankings.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub tracks: Vec<Track>,
    pub index: HashMap<String, usize>,
    artist_names: HashMap<String, String>,
    /// Genres by song count, descending (ties by name).
    pub genres: Vec<(String, usize)>,
    /// Artist ids by song count, descending (ties by name).
    pub artists_by_songs: Vec<(String, usize)>,
}

impl Catalogue {
    /// Reads `tracks` (and `artists` for names); the error says why the songs are unknown.
    pub fn load(inputs: &Inputs) -> Result<Catalogue, String> {
        let frame = inputs.get(Table::Tracks)?;
        let t = Table::Tracks;
        let read = || -> timbral_core::Result<Vec<Track>> {
            let ids = strs(frame, t, "track_id")?;
            let titles = strs(frame, t, "title")?;
            let artist_ids = strs(frame, t, "artist_id")?;
            let artists = strs(frame, t, "artist_name")?;
            let genres = str_lists(frame, t, "genres")?;
            let durations = f64s(frame, t, "duration_s")?;
            let sources = strs(frame, t, "source")?;
            Ok((0..frame.height())
                .map(|i| Track {
                    id: ids[i].clone().unwrap_or_default(),
                    title: titles[i].clone().unwrap_or_default(),
                    artist_id: artist_ids[i].clone().unwrap_or_default(),
                    artist: artists[i].clone().unwrap_or_default(),
                    genres: genres[i].clone(),
                    duration_s: durations[i],
                    source: sources[i].clone().unwrap_or_default(),
                })
                .collect())
        };
        let tracks = read().map_err(|e| e.to_string())?;
        let mut artist_names: HashMap<String, String> = HashMap::new();
        if let Ok(artists) = inputs.get(Table::Artists)
            && let (Ok(ids), Ok(names)) = (
                strs(artists, Table::Artists, "artist_id"),
                strs(artists, Table::Artists, "artist_name"),
            ) {
                for (id, name) in ids.into_iter().zip(names) {
                    if let (Some(id), Some(name)) = (id, name) {
                        artist_names.insert(id, name);
                    }
                }
            }
        for track in &tracks {
            artist_names
                .entry(track.artist_id.clone())
                .or_insert_with(|| track.artist.clone());
        }
        let index = tracks.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
        let genres = ranked(tracks.iter().flat_map(|t| t.genres.iter().cloned()));
        let artists_by_songs = ranked(tracks.iter().map(|t| t.artist_id.clone()));
        Ok(Catalogue { tracks, index, artist_names, genres, artists_by_songs })
    }

    pub fn track(&self, id: &str) -> Option<&Track> {
        self.index.get(id).map(|&i| &self.tracks[i])
    }

    /// The artist's name, or its id when the name is unknown.
    pub fn artist_name(&self, artist_id: &str) -> String {
        self.artist_names
            .get(artist_id)
            .cloned()
            .unwrap_or_else(|| artist_id.to_string())
    }
}

/// Distinct values by count, descending, ties by value; each value counted once per item.
fn ranked(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
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
    /// One row per song, aligned with `track_ids` (empty when there are no n-D columns).
    pub nd: Vec<Vec<f64>>,
}

impl Embedding {
    pub fn load(inputs: &Inputs) -> Result<Embedding, String> {
        let frame = inputs.get(Table::Embedding)?;
        let t = Table::Embedding;
        let ids = strs(frame, t, "track_id").map_err(|e| e.to_string())?;
        let x = f64s(frame, t, "umap_x").map_err(|e| e.to_string())?;
        let y = f64s(frame, t, "umap_y").map_err(|e| e.to_string())?;
        let mut nd_columns: Vec<(usize, String)> = frame
            .get_column_names()
            .iter()
            .filter_map(|name| {
                let n = name.strip_prefix("umap_")?.parse::<usize>().ok()?;
                Some((n, name.to_string()))
            })
            .collect();
        nd_columns.sort();
        let nd_values = nd_columns
            .iter()
            .map(|(_, name)| f64s(frame, t, name))
            .collect::<timbral_core::Result<Vec<_>>>()
            .map_err(|e| e.to_string())?;
        let mut out = Embedding {
            nd_columns: nd_columns.into_iter().map(|(_, n)| n).collect(),
            ..Embedding::default()
        };
        for i in 0..frame.height() {
            let (Some(id), Some(x), Some(y)) = (ids[i].clone(), x[i], y[i]) else {
                continue;
            };
            let row: Option<Vec<f64>> = nd_values.iter().map(|c| c[i]).collect();
            if !out.nd_columns.is_empty() {
                let Some(row) = row else { continue };
                out.nd.push(row);
            }
            out.track_ids.push(id);
            out.xy.push((x, y));
        }
        Ok(out)
    }

    /// The coordinates used for distances between songs, one row per song: the n-D UMAP when
    /// present, else the map; with a description of the space.
    pub fn distance_space(&self) -> (String, Vec<Vec<f64>>) {
        if self.nd_columns.is_empty() {
            ("the 2-D UMAP map".to_string(), self.xy.iter().map(|&(x, y)| vec![x, y]).collect())
        } else {
            (format!("the {}-D UMAP embedding", self.nd_columns.len()), self.nd.clone())
        }
    }
}

/// Labels of one clustering (`kmeans`, `dbscan` or `hdbscan`) by song; -1 is noise.
pub fn cluster_labels(inputs: &Inputs, method: &str) -> Result<HashMap<String, i64>, String> {
    let frame = inputs.get(Table::Clusters)?;
    let ids = strs(frame, Table::Clusters, "track_id").map_err(|e| e.to_string())?;
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
        let r = ranked(["b", "a", "b", "c", "a"].iter().map(|s| s.to_string()));
        assert_eq!(r, vec![("a".into(), 2), ("b".into(), 2), ("c".into(), 1)]);
    }
}
