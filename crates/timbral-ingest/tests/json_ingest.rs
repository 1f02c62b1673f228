//! `ingest json` against committed fixtures; expected tables were computed independently with
//! pandas by `fixtures/json/make_fixtures.py`.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_core::{Table, Workdir};
use timbral_ingest::json::{JsonParams, ingest_json};

mod common;
use common::{assert_error_rows, assert_reingest_identical, assert_segments_equal, f64s, list, read_csv, strs};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/json")
}

fn params(features: &str) -> JsonParams {
    JsonParams {
        dir: fixtures().join("docs"),
        metadata: Some(fixtures().join("metadata.csv")),
        audio_features: Some(fixtures().join(features)),
    }
}

fn expected(name: &str) -> DataFrame {
    read_csv(&fixtures().join(name))
}

#[test]
fn documents_become_the_expected_contract_tables() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let summary = ingest_json(&wd, &params("audio_features.json")).unwrap();
    assert_eq!(summary.ingested, 3);
    assert_eq!(summary.failed, 5);

    let tracks = wd.read_table(Table::Tracks).unwrap();
    let want = expected("expected_tracks.csv");
    assert_eq!(strs(&tracks, "track_id"), strs(&want, "track_id"));
    for c in ["duration_s", "tempo", "key", "mode", "loudness"] {
        assert_eq!(f64s(&tracks, c), f64s(&want, c), "tracks.{c}");
    }
    assert_eq!(strs(&tracks, "location"), strs(&want, "location"));
    assert_eq!(strs(&tracks, "title"), ["Nocturne", "Toccata", "7qiZfU4dY1lWllzX7mPBI3"]);
    assert_eq!(strs(&tracks, "artist_name"), ["Chopin", "Bach", "Unknown artist"]);
    assert_eq!(list(&tracks, "genres", 1), ["baroque", "organ"]);
    assert!(list(&tracks, "genres", 2).is_empty());
    assert_eq!(strs(&tracks, "source"), ["json"; 3]);
    let album: Vec<Option<String>> =
        tracks.column("album").unwrap().str().unwrap().iter().map(|v| v.map(String::from)).collect();
    assert_eq!(album, [None, Some("Organ Works".to_string()), None]);

    let segments = wd.read_table(Table::Segments).unwrap();
    assert_eq!(segments.height(), 21);
    assert_segments_equal(&segments, &expected("expected_segments.csv"));

    let sections = wd.read_table(Table::Sections).unwrap();
    let want = expected("expected_sections.csv");
    assert_eq!(strs(&sections, "track_id"), strs(&want, "track_id"));
    for c in ["section", "start", "duration", "loudness", "key", "mode", "time_signature"] {
        assert_eq!(f64s(&sections, c), f64s(&want, c), "sections.{c}");
    }

    let features = wd.read_table(Table::AudioFeatures).unwrap();
    assert_eq!(strs(&features, "track_id"), ["0VjIjW4GlUZAMYd2vXMi3b", "4uLU6hMCjMI75M1A2tKUQC", "7qiZfU4dY1lWllzX7mPBI3"]);
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("audio_features.json")).unwrap()).unwrap();
    let by_id = |id: &str| raw["audio_features"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap().clone();
    for (row, id) in strs(&features, "track_id").iter().enumerate() {
        for c in ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "loudness", "speechiness", "valence", "tempo"] {
            assert_eq!(f64s(&features, c)[row], by_id(id)[c].as_f64(), "{id} {c}");
        }
    }
    assert_eq!(f64s(&features, "instrumentalness")[0], None);

    let errors = wd.read_table(Table::IngestErrors).unwrap();
    assert_error_rows(&errors, &[
        ("1truncated.json", "EOF while parsing"),
        ("2shortpitches.json", "segments[2].pitches: expected 12 values, found 11"),
        ("3notrack.json", "missing field `track`"),
        ("4badstart.json", "segments[1].start: invalid type: string \"zero\""),
        ("5noconfidence.json", "missing field `segments[2].confidence`"),
    ]);
    assert_eq!(strs(&errors, "source"), ["json"; 5]);
}

#[test]
fn ingesting_the_same_input_twice_gives_identical_tables() {
    let tables = [Table::Tracks, Table::Artists, Table::Segments, Table::Sections, Table::AudioFeatures];
    // The rerun replaces the error rows of the files it retried instead of adding more.
    assert_reingest_identical(&tables, 5, |wd| {
        ingest_json(wd, &params("audio_features.json")).unwrap();
    });
}

#[test]
fn audio_features_as_csv_equal_audio_features_as_json() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (wa, wb) = (Workdir::new(a.path()), Workdir::new(b.path()));
    ingest_json(&wa, &params("audio_features.json")).unwrap();
    ingest_json(&wb, &params("audio_features.csv")).unwrap();
    let (fa, fb) = (wa.read_table(Table::AudioFeatures).unwrap(), wb.read_table(Table::AudioFeatures).unwrap());
    assert!(fa.equals_missing(&fb), "{fa}\n{fb}");
}

#[test]
fn bad_side_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let bad = dir.path().join("meta.csv");
    std::fs::write(&bad, "id,artist\nx,y\n").unwrap();
    let mut p = params("audio_features.json");
    p.metadata = Some(bad.clone());
    let err = ingest_json(&wd, &p).unwrap_err().to_string();
    assert!(err.contains("meta.csv") && err.contains("track_id"), "{err}");

    let broken = dir.path().join("features.json");
    std::fs::write(&broken, "{\"audio_features\": [{\"id\": 3}]}").unwrap();
    let mut p = params("audio_features.json");
    p.audio_features = Some(broken);
    let err = ingest_json(&wd, &p).unwrap_err().to_string();
    assert!(err.contains("features.json"), "{err}");

    let err = ingest_json(&wd, &JsonParams { dir: dir.path().join("nope"), ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    assert!(!wd.has_table(Table::Tracks));
}
