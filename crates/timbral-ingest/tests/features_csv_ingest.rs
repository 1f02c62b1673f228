//! `ingest features-csv` on the three public shapes; expected tables were computed
//! independently with pandas by `fixtures/csv/make_fixtures.py`.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_core::contract::AUDIO_FEATURE_COLUMNS;
use timbral_core::{Table, Workdir};
use timbral_ingest::features_csv::ingest_features_csv;

mod common;
use common::assert_reingest_identical;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv").join(name)
}

fn text(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
    let c = frame.column(column).unwrap().cast(&DataType::String).unwrap();
    c.str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
}

fn numbers(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    let c = frame.column(column).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().iter().collect()
}

fn genres(tracks: &DataFrame) -> Vec<Option<String>> {
    let list = tracks.column("genres").unwrap().list().unwrap().clone();
    (0..list.len())
        .map(|row| {
            let g = list.get_as_series(row).unwrap();
            let joined = g.str().unwrap().iter().flatten().collect::<Vec<_>>().join(";");
            (!joined.is_empty()).then_some(joined)
        })
        .collect()
}

/// Ingests `input` and compares tracks and audio features with `expected`.
fn check(input: &str, expected: &str) -> (tempfile::TempDir, Workdir) {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    ingest_features_csv(&wd, &fixture(input)).unwrap();
    let want = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(fixture(expected)))
        .unwrap()
        .finish()
        .unwrap();
    let tracks = wd.read_table(Table::Tracks).unwrap();
    for c in ["track_id", "title", "artist_name", "album"] {
        assert_eq!(text(&tracks, c), text(&want, c), "{input}: tracks.{c}");
    }
    assert_eq!(genres(&tracks), text(&want, "genres"), "{input}: genres");
    for c in ["duration_s", "key", "mode", "time_signature"] {
        assert_eq!(numbers(&tracks, c), numbers(&want, c), "{input}: tracks.{c}");
    }
    assert_eq!(text(&tracks, "source"), vec![Some("csv".to_string()); tracks.height()]);
    let features = wd.read_table(Table::AudioFeatures).unwrap();
    assert_eq!(text(&features, "track_id"), text(&want, "track_id"));
    for c in AUDIO_FEATURE_COLUMNS {
        assert_eq!(numbers(&features, c), numbers(&want, c), "{input}: audio_features.{c}");
    }
    assert!(!wd.has_table(Table::Segments) || wd.read_table(Table::Segments).unwrap().height() == 0);
    (dir, wd)
}

#[test]
fn kaggle_spotify_features_with_duplicate_genres_and_bad_rows() {
    let (_dir, wd) = check("SpotifyFeatures.csv", "expected_SpotifyFeatures.csv");
    let errors = wd.read_table(Table::IngestErrors).unwrap();
    let messages = text(&errors, "error");
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].as_deref().unwrap().contains("line 7, column `acousticness`: `n/a` is not a number"));
    assert!(messages[1].as_deref().unwrap().contains("line 8: empty track id"));
    assert!(text(&errors, "location").iter().all(|l| l.as_deref().unwrap().ends_with("SpotifyFeatures.csv")));
    // Artists get the union of their tracks' genres.
    let artists = wd.read_table(Table::Artists).unwrap();
    let salvador = text(&artists, "artist_name").iter().position(|n| n.as_deref() == Some("Henri Salvador")).unwrap();
    assert_eq!(genres(&artists)[salvador].as_deref(), Some("Children's Music;Dance"));
}

#[test]
fn tracks_features_with_python_list_artists() {
    check("tracks_features.csv", "expected_tracks_features.csv");
}

#[test]
fn tidytuesday_spotify_songs_with_playlist_genres() {
    check("spotify_songs.csv", "expected_spotify_songs.csv");
}

#[test]
fn ingesting_twice_gives_identical_tables() {
    assert_reingest_identical(&[Table::Tracks, Table::Artists, Table::AudioFeatures], 2, |wd| {
        ingest_features_csv(wd, &fixture("SpotifyFeatures.csv")).unwrap();
    });
}

#[test]
fn missing_columns_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let no_id = dir.path().join("no_id.csv");
    std::fs::write(&no_id, "name,energy\nx,0.5\n").unwrap();
    let err = ingest_features_csv(&wd, &no_id).unwrap_err().to_string();
    assert!(err.contains("no_id.csv") && err.contains("track_id"), "{err}");
    let no_features = dir.path().join("no_features.csv");
    std::fs::write(&no_features, "track_id,name\nx,y\n").unwrap();
    let err = ingest_features_csv(&wd, &no_features).unwrap_err().to_string();
    assert!(err.contains("no_features.csv") && err.contains("audio feature"), "{err}");
    let err = ingest_features_csv(&wd, &dir.path().join("absent.csv")).unwrap_err().to_string();
    assert!(err.contains("absent.csv"), "{err}");
}
