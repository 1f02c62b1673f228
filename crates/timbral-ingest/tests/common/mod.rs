//! Column accessors and fixture readers shared by the ingestion tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;

use polars::prelude::*;
use timbral_core::{Table, Workdir};

/// A committed CSV of expected values, with a header.
pub fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

pub fn f64s(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    let c = frame.column(column).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().iter().collect()
}

pub fn strs(frame: &DataFrame, column: &str) -> Vec<String> {
    frame.column(column).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_string()).collect()
}

pub fn list(frame: &DataFrame, column: &str, row: usize) -> Vec<String> {
    let s = frame.column(column).unwrap().list().unwrap().get_as_series(row).unwrap();
    s.str().unwrap().iter().map(|v| v.unwrap().to_string()).collect()
}

/// Asserts that `got` equals the expected CSV's `columns`; pitch and timbre columns are stored
/// as f32, so they are compared after the same rounding.
pub fn assert_segments_equal(got: &DataFrame, want: &DataFrame) {
    assert_eq!(got.height(), want.height());
    assert_eq!(strs(got, "track_id"), strs(want, "track_id"));
    for c in want.get_column_names().into_iter().skip(1) {
        let (g, e) = (f64s(got, c), f64s(want, c));
        if c.starts_with("pitch") || c.starts_with("timbre") {
            let round = |v: Vec<Option<f64>>| v.into_iter().map(|x| x.map(|x| x as f32)).collect::<Vec<_>>();
            assert_eq!(round(g), round(e), "segments.{c}");
        } else {
            assert_eq!(g, e, "segments.{c}");
        }
    }
}

/// Asserts that `ingest_errors` holds exactly one row per `(file name, message part)`, in order.
pub fn assert_error_rows(errors: &DataFrame, expect: &[(&str, &str)]) {
    let rows: Vec<(String, String)> = strs(errors, "location").into_iter().zip(strs(errors, "error")).collect();
    assert_eq!(rows.len(), expect.len(), "{rows:?}");
    for ((location, error), (file, message)) in rows.iter().zip(expect) {
        assert!(location.ends_with(file), "{location} vs {file}");
        assert!(error.contains(message), "{file}: `{error}` lacks `{message}`");
    }
}

/// Runs `ingest` twice into a fresh workdir and asserts that `tables` are byte-identical after
/// both runs and that the rerun replaced, not added, its `ingest_errors` rows.
pub fn assert_reingest_identical(tables: &[Table], errors: usize, ingest: impl Fn(&Workdir)) {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    ingest(&wd);
    let first: Vec<Vec<u8>> = tables.iter().map(|t| std::fs::read(wd.table_path(*t)).unwrap()).collect();
    ingest(&wd);
    for (t, bytes) in tables.iter().zip(&first) {
        assert_eq!(&std::fs::read(wd.table_path(*t)).unwrap(), bytes, "{} changed", t.name());
    }
    assert_eq!(wd.read_table(Table::IngestErrors).unwrap().height(), errors);
}
