//! `ingest msd` against committed per-track HDF5 fixtures in the MSD's layout; the expected
//! tables were computed independently with numpy/pandas by `fixtures/msd/make_fixtures.py`.
#![cfg(feature = "msd")]

use std::path::{Path, PathBuf};

use timbral_core::{Table, Workdir};
use timbral_ingest::msd::{DEFAULT_TERM_WEIGHT_MIN, MsdParams, ingest_msd};

mod common;
use common::{assert_error_rows, assert_reingest_identical, assert_segments_equal, f64s, list, read_csv, strs};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/msd")
}

fn params() -> MsdParams {
    MsdParams { dir: fixtures().join("files"), term_weight_min: DEFAULT_TERM_WEIGHT_MIN }
}

#[test]
fn per_track_files_become_the_expected_contract_tables() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let summary = ingest_msd(&wd, &params()).unwrap();
    assert_eq!((summary.ingested, summary.failed), (3, 3), "{summary}");

    let tracks = wd.read_table(Table::Tracks).unwrap();
    let want = read_csv(&fixtures().join("expected_tracks.csv"));
    for c in ["track_id", "title", "artist_name", "location"] {
        assert_eq!(strs(&tracks, c), strs(&want, c), "tracks.{c}");
    }
    for c in ["duration_s", "tempo", "key", "mode", "time_signature", "loudness"] {
        assert_eq!(f64s(&tracks, c), f64s(&want, c), "tracks.{c}");
    }
    let album: Vec<Option<&str>> = tracks.column("album").unwrap().str().unwrap().iter().collect();
    assert_eq!(album, [Some("Organ Works"), Some("Homogenic"), None]);
    let want_genres = want.column("genres").unwrap().str().unwrap();
    for row in 0..tracks.height() {
        let expected: Vec<String> =
            want_genres.get(row).map(|g| g.split(';').map(String::from).collect()).unwrap_or_default();
        assert_eq!(list(&tracks, "genres", row), expected, "genres of row {row}");
    }
    assert_eq!(strs(&tracks, "source"), ["msd"; 3]);

    let artists = wd.read_table(Table::Artists).unwrap();
    let mut names = strs(&artists, "artist_name");
    names.sort();
    assert_eq!(names, ["Björk", "Johann Sebastian Bach"]);

    let segments = wd.read_table(Table::Segments).unwrap();
    assert_segments_equal(&segments, &read_csv(&fixtures().join("expected_segments.csv")));

    let sections = wd.read_table(Table::Sections).unwrap();
    assert_eq!(sections.height(), 9);
    let durations = f64s(&sections, "duration");
    let total: f64 = durations[..3].iter().map(|d| d.unwrap()).sum();
    assert!((total - f64s(&tracks, "duration_s")[0].unwrap()).abs() < 1e-9);

    let errors = wd.read_table(Table::IngestErrors).unwrap();
    assert_error_rows(&errors, &[
        ("TRMSDBAD0001.h5", "missing dataset `analysis/segments_timbre`"),
        ("TRMSDBAD0002.h5", "`analysis/segments_pitches` has shape [5, 11], expected [n, 12]"),
        ("TRMSDBAD0003.h5", "not a readable HDF5 file"),
    ]);
}

#[test]
fn ingesting_twice_gives_identical_tables() {
    assert_reingest_identical(&[Table::Tracks, Table::Artists, Table::Segments, Table::Sections], 3, |wd| {
        ingest_msd(wd, &params()).unwrap();
    });
}

#[test]
fn the_term_weight_threshold_selects_genres() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    ingest_msd(&wd, &MsdParams { term_weight_min: 0.3, ..params() }).unwrap();
    let tracks = wd.read_table(Table::Tracks).unwrap();
    assert_eq!(list(&tracks, "genres", 0), ["baroque", "classical", "organ", "choral"]);
    let err = ingest_msd(&wd, &MsdParams { term_weight_min: 2.0, ..params() }).unwrap_err();
    assert!(matches!(err, timbral_core::Error::InvalidParameter { name: "term-weight-min", .. }), "{err}");
}

#[test]
fn a_folder_without_h5_files_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let err = ingest_msd(&wd, &MsdParams { dir: dir.path().to_path_buf(), ..params() }).unwrap_err();
    assert!(err.to_string().contains(".h5"), "{err}");
    assert!(!wd.has_table(Table::Tracks));
}
