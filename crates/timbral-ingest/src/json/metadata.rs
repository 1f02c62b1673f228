//! The optional metadata CSV of `ingest json`: a `track_id` column plus any of `artist`,
//! `title`, `album` and `genre` (`;`-separated).

use std::collections::HashMap;
use std::path::Path;

use timbral_core::{Error, Result};

use crate::features_csv::{cell, columns::split_genres, find_column, read_text_csv};

/// Metadata of one track; absent cells are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub genres: Vec<String>,
}

/// Reads the CSV into a map keyed by track id. The first row of a repeated id wins.
pub fn read_metadata(path: &Path) -> Result<HashMap<String, Metadata>> {
    let frame = read_text_csv(path)?;
    let ids = find_column(&frame, &["track_id"]).ok_or_else(|| {
        Error::bad_input(path, "metadata CSV has no `track_id` column")
    })?;
    let column = |name: &'static str| find_column(&frame, &[name]);
    let (title, artist, album, genre) = (column("title"), column("artist"), column("album"), column("genre"));
    let mut out = HashMap::with_capacity(frame.height());
    for row in 0..frame.height() {
        let Some(id) = cell(Some(ids), row) else { continue };
        out.entry(id.to_string()).or_insert_with(|| Metadata {
            title: cell(title, row).map(str::to_string),
            artist: cell(artist, row).map(str::to_string),
            album: cell(album, row).map(str::to_string),
            genres: cell(genre, row)
                .map(|g| split_genres(g).map(str::to_string).collect())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}
