//! The songs of the library in one place: metadata from `tracks`, coordinates in the chosen
//! space, the 2-D map and cluster labels, aligned row by row and sorted by track id so that
//! every output is independent of the order in which earlier stages wrote their rows.

use std::collections::HashMap;

use ndarray::Array2;
use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::{Error, Result, Table, Workdir, cols};

use crate::hyperparams::{Labels, Space};
use crate::representation::{CodebookUse, coordinates};

/// One row per song, in track-id order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub track_ids: Vec<String>,
    pub titles: Vec<String>,
    pub artist_ids: Vec<String>,
    pub artist_names: Vec<String>,
    pub genres: Vec<Vec<String>>,
    /// Coordinates in the space of the distances (`n x d`).
    pub points: Array2<f64>,
    /// `umap_x, umap_y` (`n x 2`), for densities on the map.
    pub map: Array2<f64>,
    /// Cluster label per song (-1 = noise), when `clusters` exists.
    pub clusters: Option<Vec<i32>>,
}

/// Song metadata from `tracks`, keyed by track id.
pub(crate) struct TrackMeta {
    title: String,
    artist_id: String,
    artist_name: String,
    genres: Vec<String>,
}

impl Catalogue {
    /// Reads `tracks`, `embedding`, the chosen space (with `codebook`'s codebook) and, when
    /// present, `clusters`.
    pub fn load(workdir: &Workdir, space: Space, codebook: CodebookUse, labels: Labels) -> Result<Catalogue> {
        let tracks = read_tracks(workdir)?;
        let embedding = workdir.read_table(Table::Embedding)?;
        let (ids, points) = coordinates(workdir, space, codebook, Some(&embedding))?;
        let map_ids = strings(&embedding, "embedding", cols::embedding::TRACK_ID)?;
        let map = to_matrix(&embedding, "embedding", &[cols::embedding::UMAP_X.into(), cols::embedding::UMAP_Y.into()])?;
        let clusters = match workdir.read_table_if_exists(Table::Clusters)? {
            Some(frame) => Some(read_labels(&frame, labels)?),
            None => None,
        };
        Catalogue::align(tracks, ids, points, (map_ids, map), clusters)
    }

    /// Joins the parts on track id, in track-id order. Every song of the space must have a
    /// row in `tracks` and `embedding` (and `clusters` when given): they come from the same
    /// pipeline, so a gap means a stale table, which is reported rather than skipped.
    pub(crate) fn align(
        tracks: HashMap<String, TrackMeta>,
        ids: Vec<String>,
        points: Array2<f64>,
        (map_ids, map): (Vec<String>, Array2<f64>),
        clusters: Option<(Vec<String>, Vec<i32>)>,
    ) -> Result<Catalogue> {
        if ids.is_empty() {
            return Err(Error::EmptyTable {
                table: "embedding".into(),
                why: "no songs to compare".into(),
            });
        }
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
        let map_row = index_of(&map_ids);
        let cluster_row = clusters.as_ref().map(|(cids, _)| index_of(cids));
        let (n, d) = (ids.len(), points.ncols());
        let mut cat = Catalogue {
            track_ids: Vec::with_capacity(n),
            titles: Vec::with_capacity(n),
            artist_ids: Vec::with_capacity(n),
            artist_names: Vec::with_capacity(n),
            genres: Vec::with_capacity(n),
            points: Array2::zeros((n, d)),
            map: Array2::zeros((n, 2)),
            clusters: clusters.as_ref().map(|_| Vec::with_capacity(n)),
        };
        for (row, &i) in order.iter().enumerate() {
            let id = &ids[i];
            let meta = tracks.get(id).ok_or_else(|| missing(id, "tracks"))?;
            let m = *map_row.get(id.as_str()).ok_or_else(|| missing(id, "embedding"))?;
            cat.points.row_mut(row).assign(&points.row(i));
            cat.map.row_mut(row).assign(&map.row(m));
            if let (Some(rows), Some((_, labels)), Some(out)) =
                (&cluster_row, &clusters, cat.clusters.as_mut())
            {
                let c = *rows.get(id.as_str()).ok_or_else(|| missing(id, "clusters"))?;
                out.push(labels[c]);
            }
            cat.track_ids.push(id.clone());
            cat.titles.push(meta.title.clone());
            cat.artist_ids.push(meta.artist_id.clone());
            cat.artist_names.push(meta.artist_name.clone());
            cat.genres.push(meta.genres.clone());
        }
        Ok(cat)
    }

    /// Builds a catalogue from in-memory parts (tests, benchmarks, callers holding frames).
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        track_ids: Vec<String>,
        titles: Vec<String>,
        artist_ids: Vec<String>,
        artist_names: Vec<String>,
        genres: Vec<Vec<String>>,
        points: Array2<f64>,
        map: Array2<f64>,
        clusters: Option<Vec<i32>>,
    ) -> Result<Catalogue> {
        let n = track_ids.len();
        let lengths = [
            titles.len(),
            artist_ids.len(),
            artist_names.len(),
            genres.len(),
            points.nrows(),
            map.nrows(),
            clusters.as_ref().map_or(n, Vec::len),
        ];
        if lengths.iter().any(|&l| l != n) || map.ncols() != 2 {
            return Err(Error::Internal(format!(
                "catalogue parts disagree: {n} track ids, part lengths {lengths:?}, map width {}",
                map.ncols()
            )));
        }
        let tracks = track_map(track_ids.clone(), titles, artist_ids, artist_names, genres);
        let clusters = clusters.map(|labels| (track_ids.clone(), labels));
        Catalogue::align(tracks, track_ids.clone(), points, (track_ids, map), clusters)
    }

    pub fn len(&self) -> usize {
        self.track_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.track_ids.is_empty()
    }

    /// Coordinates of song `i` in the distance space.
    pub fn point(&self, i: usize) -> &[f64] {
        self.points
            .row(i)
            .to_slice()
            .expect("catalogue points are a standard-layout matrix")
    }
}

pub(crate) fn read_tracks(workdir: &Workdir) -> Result<HashMap<String, TrackMeta>> {
    let frame = workdir.read_table(Table::Tracks)?;
    let ids = strings(&frame, "tracks", cols::tracks::TRACK_ID)?;
    let titles = strings(&frame, "tracks", cols::tracks::TITLE)?;
    let artist_ids = strings(&frame, "tracks", cols::tracks::ARTIST_ID)?;
    let artist_names = strings(&frame, "tracks", cols::tracks::ARTIST_NAME)?;
    let genres = genre_lists(&frame)?;
    Ok(track_map(ids, titles, artist_ids, artist_names, genres))
}

/// Each song's metadata by track id, from aligned columns.
fn track_map(
    ids: Vec<String>,
    titles: Vec<String>,
    artist_ids: Vec<String>,
    artist_names: Vec<String>,
    genres: Vec<Vec<String>>,
) -> HashMap<String, TrackMeta> {
    ids.into_iter()
        .zip(titles)
        .zip(artist_ids.into_iter().zip(artist_names))
        .zip(genres)
        .map(|(((id, title), (artist_id, artist_name)), genres)| {
            (id, TrackMeta { title, artist_id, artist_name, genres })
        })
        .collect()
}

/// The `genres` list column; null items are dropped, duplicates within a song removed.
fn genre_lists(frame: &DataFrame) -> Result<Vec<Vec<String>>> {
    let lists = frame
        .column(cols::tracks::GENRES)
        .ctx("table `tracks`")?
        .list()
        .ctx("table `tracks` column `genres`")?;
    lists
        .series_iter()
        .map(|list| {
            let Some(series) = list else {
                return Ok(Vec::new());
            };
            let values = series.str().ctx("table `tracks` column `genres`")?;
            let mut genres: Vec<String> = values.iter().flatten().map(str::to_string).collect();
            genres.sort();
            genres.dedup();
            Ok(genres)
        })
        .collect()
}

fn read_labels(frame: &DataFrame, labels: Labels) -> Result<(Vec<String>, Vec<i32>)> {
    let ids = strings(frame, Table::Clusters.name(), cols::clusters::TRACK_ID)?;
    let column = labels.column();
    let values = frame
        .column(column)
        .ctx("table `clusters`")?
        .i32()
        .ctx(format!("table `clusters` column `{column}`"))?;
    let labels = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| Error::InvalidValue {
                table: "clusters".into(),
                column: column.into(),
                why: format!("null in row {i}"),
            })
        })
        .collect::<Result<Vec<i32>>>()?;
    Ok((ids, labels))
}

fn index_of(ids: &[String]) -> HashMap<&str, usize> {
    ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect()
}

fn missing(track_id: &str, table: &str) -> Error {
    Error::InvalidValue {
        table: table.into(),
        column: cols::embedding::TRACK_ID.into(),
        why: format!("no row for track `{track_id}`; rerun the stage that writes `{table}`"),
    }
}
