//! `ingest features-csv`: public audio-features CSVs (Kaggle `SpotifyFeatures.csv`, the
//! 1.2M-songs `tracks_features.csv`, TidyTuesday `spotify_songs.csv`, ...). They fill `tracks`,
//! `artists` and `audio_features` but no segments, so that the later stages can run on the
//! high-level features alone. The column mapping is in [`columns`] and `docs/ingestion.md`.

pub mod columns;

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use timbral_core::contract::AUDIO_FEATURE_COLUMNS;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, IngestError, Result, Workdir};

use crate::tables::{self, AudioFeatureRecord, IngestBatch, IngestSummary, TrackRecord};

/// `source` value of rows and errors written by this module.
pub const SOURCE: &str = "csv";

/// Reads a CSV with every column as text, so that values are parsed (and reported) here.
pub fn read_text_csv(path: &Path) -> Result<DataFrame> {
    if !path.is_file() {
        return Err(Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .ctx(format!("reading CSV {}", path.display()))
}

/// A column found by [`find_column`]: its header and its text values.
pub type TextColumn<'a> = (&'a str, &'a StringChunked);

/// The first column of `frame` whose name matches one of `aliases`, ignoring case.
pub fn find_column<'a>(frame: &'a DataFrame, aliases: &[&str]) -> Option<TextColumn<'a>> {
    aliases.iter().find_map(|alias| {
        frame
            .columns()
            .iter()
            .filter(|c| c.name().eq_ignore_ascii_case(alias))
            .find_map(|c| c.str().ok().map(|values| (c.name().as_str(), values)))
    })
}

/// The trimmed, non-empty text of `column` at `row`.
pub fn cell<'a>(column: Option<TextColumn<'a>>, row: usize) -> Option<&'a str> {
    column?.1.get(row).map(str::trim).filter(|v| !v.is_empty())
}

/// `parse` applied to an optional cell; the error names the column.
fn field<T>(
    column: Option<TextColumn>,
    row: usize,
    parse: impl Fn(&str) -> Result<Option<T>, String>,
) -> Result<Option<T>, String> {
    match (cell(column, row), column) {
        (Some(text), Some((name, _))) => parse(text).map_err(|e| format!("column `{name}`: {e}")),
        _ => Ok(None),
    }
}

fn number(text: &str) -> Result<Option<f64>, String> {
    columns::parse_number(text).map(Some)
}

/// One parsed CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// Title, artist, album, genres, key, mode, time signature, tempo and loudness;
    /// `duration_s` is NaN unless [`FeatureRow::duration`] is known.
    pub track: TrackRecord,
    pub duration: Option<f64>,
    pub features: AudioFeatureRecord,
}

/// Parses every row of `frame` (read from `path`). A row with an empty track id or an
/// unreadable value becomes an error naming the line and column, and is skipped.
pub fn parse_rows(
    frame: &DataFrame,
    path: &Path,
    source: &str,
) -> Result<(Vec<FeatureRow>, Vec<IngestError>)> {
    let file = path.display().to_string();
    let ids = find_column(frame, columns::TRACK_ID).ok_or_else(|| {
        Error::bad_input(path, format!("no track id column (expected one of {:?})", columns::TRACK_ID))
    })?;
    let text = |aliases| find_column(frame, aliases);
    let (title, artist, album) = (text(columns::TITLE), text(columns::ARTIST), text(columns::ALBUM));
    let genre_columns: Vec<_> =
        columns::GENRES.iter().filter_map(|g| find_column(frame, &[*g])).collect();
    let (duration_ms, duration_s) = (text(columns::DURATION_MS), text(columns::DURATION_S));
    let (key, mode) = (text(columns::KEY), text(columns::MODE));
    let time_signature = text(columns::TIME_SIGNATURE);
    let features: Vec<_> =
        AUDIO_FEATURE_COLUMNS.iter().map(|name| find_column(frame, &[*name])).collect();
    if features.iter().all(Option::is_none) {
        return Err(Error::bad_input(
            path,
            format!("no audio feature column (expected some of {AUDIO_FEATURE_COLUMNS:?})"),
        ));
    }

    let mut rows = Vec::with_capacity(frame.height());
    let mut errors = Vec::new();
    for row in 0..frame.height() {
        let line = row + 2;
        let Some(track_id) = cell(Some(ids), row) else {
            errors.push(IngestError::new(source, &file, "ingest", format!("line {line}: empty track id")));
            continue;
        };
        let parsed = (|| -> Result<FeatureRow, String> {
            let mut values = [None; 9];
            for (value, column) in values.iter_mut().zip(&features) {
                *value = field(*column, row, number)?;
            }
            let duration = match field(duration_ms, row, number)? {
                Some(ms) => Some(ms / 1000.0),
                None => field(duration_s, row, number)?,
            };
            let genres = genre_columns
                .iter()
                .filter_map(|c| cell(Some(*c), row))
                .flat_map(columns::split_genres)
                .map(str::to_string)
                .collect();
            let track = TrackRecord {
                track_id: track_id.to_string(),
                title: cell(title, row).unwrap_or(track_id).to_string(),
                artist_name: cell(artist, row)
                    .map(columns::primary_artist)
                    .filter(|a| !a.is_empty())
                    .unwrap_or_else(|| tables::UNKNOWN_ARTIST.to_string()),
                album: cell(album, row).map(str::to_string),
                genres,
                duration_s: duration.unwrap_or(f64::NAN),
                tempo: values[8],
                key: field(key, row, columns::parse_key)?,
                mode: field(mode, row, columns::parse_mode)?,
                time_signature: field(time_signature, row, columns::parse_time_signature)?,
                loudness: values[5],
                source: source.to_string(),
                location: file.clone(),
                ..TrackRecord::default()
            };
            Ok(FeatureRow {
                track,
                duration,
                features: AudioFeatureRecord { track_id: track_id.to_string(), values },
            })
        })();
        match parsed {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(IngestError::new(source, &file, "ingest", format!("line {line}, {e}"))),
        }
    }
    Ok((rows, errors))
}

/// Rows of the same track id folded into one: the first row's values, every row's genres
/// (Kaggle's file lists a song once per genre).
pub fn merge_duplicates(rows: Vec<FeatureRow>) -> Vec<FeatureRow> {
    let mut position: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut merged: Vec<FeatureRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match position.get(&row.track.track_id) {
            Some(&i) => {
                let genres = &mut merged[i].track.genres;
                for g in row.track.genres {
                    if !genres.contains(&g) {
                        genres.push(g);
                    }
                }
            }
            None => {
                position.insert(row.track.track_id.clone(), merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

/// Reads `path` and merges its tracks, artists and audio features into the workdir.
pub fn ingest_features_csv(workdir: &Workdir, path: &Path) -> Result<IngestSummary> {
    let frame = read_text_csv(path)?;
    let (rows, mut errors) = parse_rows(&frame, path, SOURCE)?;
    let file = path.display().to_string();
    let mut batch = IngestBatch::default();
    for row in merge_duplicates(rows) {
        if row.duration.is_none() {
            errors.push(IngestError::new(
                SOURCE,
                &file,
                "ingest",
                format!("track `{}`: no duration (expected duration_ms or duration_s)", row.track.track_id),
            ));
            continue;
        }
        batch.tracks.push(row.track);
        batch.audio_features.push(row.features);
    }
    tracing::info!(file = %file, tracks = batch.tracks.len(), errors = errors.len(), "read audio-features CSV");
    tables::commit(workdir, &batch, &[file], &errors)
}
