//! A song's metadata: the `--metadata` CSV overrides the file's tags, tags fall back in the
//! order ARTIST, COMPOSER, ALBUMARTIST, and a song without any artist is "Unknown artist".

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_audio::Tags;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, Result};

/// Artist name given to songs whose tags and metadata name none.
pub const UNKNOWN_ARTIST: &str = "Unknown artist";

/// The columns of a metadata CSV that override tags; others are ignored.
const OVERRIDE_COLUMNS: [&str; 4] = ["artist", "title", "album", "genre"];

/// Values of one `--metadata` row; `None` where the column is absent or the cell empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataRow {
    pub artist: Option<String>,
    pub title: Option<String>,
    pub album: Option<String>,
    pub genres: Option<Vec<String>>,
}

/// The rows of a `--metadata` CSV keyed by their `path` column (relative to the DIR given).
#[derive(Debug, Clone, Default)]
pub struct MetadataOverrides {
    pub source: PathBuf,
    rows: HashMap<String, MetadataRow>,
}

/// What a track row gets.
#[derive(Debug, Clone, PartialEq)]
pub struct SongMetadata {
    pub title: String,
    pub artist_name: String,
    pub album: Option<String>,
    pub genres: Vec<String>,
    /// No artist in the metadata or the tags: `artist_name` is [`UNKNOWN_ARTIST`].
    pub unknown_artist: bool,
}

impl MetadataOverrides {
    /// Reads a CSV with a `path` column and any of `artist`, `title`, `album`, `genre`
    /// (several genres separated by `;`). Every cell is read as text.
    pub fn read(csv: &Path) -> Result<Self> {
        let context = || format!("reading metadata CSV {}", csv.display());
        if !csv.is_file() {
            return Err(Error::bad_input(csv, "metadata CSV not found"));
        }
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(csv.to_path_buf()))
            .ctx(context())?
            .finish()
            .ctx(context())?;
        let table = csv.display().to_string();
        let column = |name: &str| -> Result<Option<Vec<Option<String>>>> {
            let Ok(column) = frame.column(name) else { return Ok(None) };
            let values = column.str().ctx(format!("{table}: column `{name}`"))?;
            Ok(Some(values.iter().map(|v| v.map(str::to_string)).collect()))
        };
        let paths = column("path")?.ok_or_else(|| Error::MissingColumn {
            table: table.clone(),
            column: "path".into(),
        })?;
        let [artist, title, album, genre] = OVERRIDE_COLUMNS.map(column);
        let (artist, title, album, genre) = (artist?, title?, album?, genre?);
        let cell = |values: &Option<Vec<Option<String>>>, row: usize| {
            values
                .as_ref()
                .and_then(|v| v[row].as_deref())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mut rows = HashMap::with_capacity(paths.len());
        for (row, path) in paths.iter().enumerate() {
            let Some(path) = path.as_deref().map(normalise_key).filter(|p| !p.is_empty()) else {
                return Err(Error::InvalidValue {
                    table,
                    column: "path".into(),
                    why: format!("row {} has an empty path", row + 1),
                });
            };
            let values = MetadataRow {
                artist: cell(&artist, row),
                title: cell(&title, row),
                album: cell(&album, row),
                genres: cell(&genre, row).map(|g| split_genres(&g)),
            };
            if rows.insert(path.clone(), values).is_some() {
                tracing::warn!("{table}: path `{path}` appears more than once; the last row wins");
            }
        }
        tracing::info!("{} metadata rows from {}", rows.len(), csv.display());
        Ok(MetadataOverrides {
            source: csv.to_path_buf(),
            rows,
        })
    }

    /// The row for a file's path relative to the DIR given.
    pub fn get(&self, relative: &str) -> Option<&MetadataRow> {
        self.rows.get(&normalise_key(relative))
    }

    /// Paths of the CSV that are not among `found` (typos, files not fetched).
    pub fn unmatched<'a>(&'a self, found: &std::collections::HashSet<String>) -> Vec<&'a str> {
        let mut unmatched: Vec<&str> = self
            .rows
            .keys()
            .filter(|k| !found.contains(*k))
            .map(String::as_str)
            .collect();
        unmatched.sort_unstable();
        unmatched
    }
}

/// `./a\b.ogg` and `a/b.ogg` are the same key.
pub fn normalise_key(path: &str) -> String {
    let path = path.trim().replace('\\', "/");
    path.trim_start_matches("./").to_string()
}

/// "rock; metal;" -> ["rock", "metal"].
pub fn split_genres(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// The metadata of one song: the CSV row first, then the tags, then the fallbacks.
pub fn resolve(tags: &Tags, row: Option<&MetadataRow>, stem: &str) -> SongMetadata {
    let tag = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let row = row.cloned().unwrap_or_default();
    let artist = row
        .artist
        .or_else(|| tag(&tags.artist))
        .or_else(|| tag(&tags.composer))
        .or_else(|| tag(&tags.album_artist));
    SongMetadata {
        title: row.title.or_else(|| tag(&tags.title)).unwrap_or_else(|| stem.to_string()),
        unknown_artist: artist.is_none(),
        artist_name: artist.unwrap_or_else(|| UNKNOWN_ARTIST.to_string()),
        album: row.album.or_else(|| tag(&tags.album)),
        genres: row
            .genres
            .or_else(|| tag(&tags.genre).map(|g| split_genres(&g)))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> Tags {
        Tags {
            artist: None,
            composer: Some("J. S. Bach".into()),
            album_artist: Some("Orchestra".into()),
            title: Some(" Toccata ".into()),
            album: Some("Organ works".into()),
            genre: Some("baroque;organ".into()),
            date: None,
        }
    }

    #[test]
    fn tags_fall_back_from_artist_to_composer_to_album_artist() {
        let song = resolve(&tags(), None, "file");
        assert_eq!(song.artist_name, "J. S. Bach");
        assert_eq!(song.title, "Toccata");
        assert_eq!(song.genres, ["baroque", "organ"]);
        assert!(!song.unknown_artist);
        let only_album_artist = Tags { composer: None, ..tags() };
        assert_eq!(resolve(&only_album_artist, None, "f").artist_name, "Orchestra");
    }

    #[test]
    fn metadata_rows_override_tags_and_missing_values_get_fallbacks() {
        let row = MetadataRow {
            artist: Some("Bach".into()),
            genres: Some(vec!["fugue".into()]),
            ..Default::default()
        };
        let song = resolve(&tags(), Some(&row), "file");
        assert_eq!((song.artist_name.as_str(), song.title.as_str()), ("Bach", "Toccata"));
        assert_eq!(song.genres, ["fugue"]);
        let bare = resolve(&Tags::default(), None, "track01");
        assert_eq!(bare.artist_name, UNKNOWN_ARTIST);
        assert_eq!(bare.title, "track01");
        assert!(bare.unknown_artist && bare.genres.is_empty() && bare.album.is_none());
    }

    #[test]
    fn csv_without_path_column_names_the_file_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("meta.csv");
        std::fs::write(&csv, "file,artist\na.ogg,Bach\n").unwrap();
        let err = MetadataOverrides::read(&csv).unwrap_err().to_string();
        assert!(err.contains("meta.csv") && err.contains("`path`"), "{err}");
    }

    #[test]
    fn csv_rows_are_keyed_by_normalised_path_with_quoted_cells() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("meta.csv");
        std::fs::write(
            &csv,
            "path,artist,title,genre,license\n./a/x.ogg,\"Doe, Jane\",,rock; pop ,GPL\nb.ogg,,B,,CC\n",
        )
        .unwrap();
        let meta = MetadataOverrides::read(&csv).unwrap();
        let x = meta.get("a/x.ogg").unwrap();
        assert_eq!(x.artist.as_deref(), Some("Doe, Jane"));
        assert_eq!(x.title, None);
        assert_eq!(x.genres.as_deref(), Some(&["rock".to_string(), "pop".to_string()][..]));
        assert_eq!(meta.get("b.ogg").unwrap().title.as_deref(), Some("B"));
        let found = ["b.ogg".to_string()].into_iter().collect();
        assert_eq!(meta.unmatched(&found), ["a/x.ogg"]);
    }
}
