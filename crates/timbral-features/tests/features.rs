//! Features against numpy: the fixtures under tests/fixtures were made by make_fixtures.py
//! (numpy `mean`, `np.cov(ddof=1)`, `np.diff`, `np.percentile`), an independent reference.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_core::{Error, Table, Workdir, io};
use timbral_features::{
    FeatureSet, STAGE, compute_features, extended_feature_names, feature_names, features_of_complete_tracks,
};

const RELATIVE_TOLERANCE: f64 = 1e-9;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A temporary workdir holding the fixture tables `tables`.
fn workdir_with(tables: &[Table]) -> (tempfile::TempDir, Workdir) {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    for table in tables {
        let target = workdir.table_path(*table);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(fixture(&format!("{}.parquet", table.name())), target).unwrap();
    }
    (dir, workdir)
}

fn read_csv(name: &str) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(fixture(name)))
        .unwrap()
        .finish()
        .unwrap()
}

fn f64_values(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column = frame
        .column(name)
        .unwrap_or_else(|_| panic!("column `{name}` missing"))
        .cast(&DataType::Float64)
        .unwrap();
    column.f64().unwrap().iter().collect()
}

/// Every column of `expected` agrees with `actual` to a relative 1e-9 (nulls where numpy has none).
fn assert_matches_numpy(actual: &DataFrame, columns: &[String]) {
    let expected = read_csv("expected.csv");
    let ids = |f: &DataFrame| -> Vec<String> {
        f.column("track_id").unwrap().str().unwrap().iter().map(|s| s.unwrap().to_string()).collect()
    };
    assert_eq!(ids(actual), ids(&expected), "kept tracks and their order");
    let mut worst = 0.0f64;
    for name in columns {
        let (got, want) = (f64_values(actual, name), f64_values(&expected, name));
        for (row, (g, w)) in got.iter().zip(&want).enumerate() {
            match (g, w) {
                (Some(g), Some(w)) => {
                    let error = (g - w).abs() / w.abs().max(f64::MIN_POSITIVE);
                    let error = if g == w { 0.0 } else { error };
                    worst = worst.max(error);
                    assert!(
                        error <= RELATIVE_TOLERANCE,
                        "{name} row {row}: got {g}, numpy {w} (relative error {error:e})"
                    );
                }
                (None, None) => {}
                _ => panic!("{name} row {row}: got {g:?}, numpy {w:?}"),
            }
        }
    }
    eprintln!("worst relative error over {} columns: {worst:e}", columns.len());
}

#[test]
fn seed_set_is_exactly_the_studys_90_columns() {
    let expected: Vec<&str> = vec![
        "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11",
        "t0_t0", "t0_t1", "t1_t1", "t0_t2", "t1_t2", "t2_t2", "t0_t3", "t1_t3", "t2_t3", "t3_t3",
        "t0_t4", "t1_t4", "t2_t4", "t3_t4", "t4_t4", "t0_t5", "t1_t5", "t2_t5", "t3_t5", "t4_t5",
        "t5_t5", "t0_t6", "t1_t6", "t2_t6", "t3_t6", "t4_t6", "t5_t6", "t6_t6", "t0_t7", "t1_t7",
        "t2_t7", "t3_t7", "t4_t7", "t5_t7", "t6_t7", "t7_t7", "t0_t8", "t1_t8", "t2_t8", "t3_t8",
        "t4_t8", "t5_t8", "t6_t8", "t7_t8", "t8_t8", "t0_t9", "t1_t9", "t2_t9", "t3_t9", "t4_t9",
        "t5_t9", "t6_t9", "t7_t9", "t8_t9", "t9_t9", "t0_t10", "t1_t10", "t2_t10", "t3_t10",
        "t4_t10", "t5_t10", "t6_t10", "t7_t10", "t8_t10", "t9_t10", "t10_t10", "t0_t11", "t1_t11",
        "t2_t11", "t3_t11", "t4_t11", "t5_t11", "t6_t11", "t7_t11", "t8_t11", "t9_t11", "t10_t11",
        "t11_t11",
    ];
    assert_eq!(expected.len(), 90);
    assert_eq!(feature_names(FeatureSet::Seed), expected);

    let (_dir, workdir) = workdir_with(&[Table::Segments]);
    compute_features(&workdir, FeatureSet::Seed).unwrap();
    let table = workdir.read_table(Table::Features).unwrap();
    let mut with_id = vec!["track_id"];
    with_id.extend(&expected);
    let names: Vec<&str> = table.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, with_id);
}

#[test]
fn seed_features_match_numpy() {
    let (_dir, workdir) = workdir_with(&[Table::Segments]);
    let summary = compute_features(&workdir, FeatureSet::Seed).unwrap();
    assert_eq!(summary.tracks, 6);
    assert_eq!(summary.segments, 2096);
    let table = workdir.read_table(Table::Features).unwrap();
    assert_matches_numpy(&table, &feature_names(FeatureSet::Seed));
}

#[test]
fn extended_features_match_numpy() {
    let (_dir, workdir) = workdir_with(&[Table::Segments, Table::Sections, Table::Tracks]);
    let summary = compute_features(&workdir, FeatureSet::Extended).unwrap();
    assert_eq!(summary.columns, 90 + extended_feature_names().len());
    let table = workdir.read_table(Table::Features).unwrap();
    let names: Vec<String> = table.get_column_names().iter().skip(1).map(|n| n.to_string()).collect();
    assert_eq!(names, feature_names(FeatureSet::Extended));
    assert_matches_numpy(&table, &feature_names(FeatureSet::Extended));
}

#[test]
fn segments_in_memory_give_the_features_of_the_table() {
    // What a generator uses: every segment of its tracks in one frame, never written.
    let segments = io::read_parquet(&fixture("segments.parquet")).unwrap();
    let sections = io::read_parquet(&fixture("sections.parquet")).unwrap();
    for set in FeatureSet::ALL {
        let rows = features_of_complete_tracks(segments.clone(), Some(sections.clone()), set).unwrap();
        let names: Vec<String> = rows.get_column_names().iter().skip(1).map(|n| n.to_string()).collect();
        assert_eq!(names, feature_names(set));
        assert_matches_numpy(&rows, &feature_names(set));
    }
}

#[test]
fn row_order_does_not_change_the_features() {
    // A shuffled copy: tracks interleaved and segments out of order. The seed group-by does not
    // care; the over-time pass falls back to sorting in memory.
    let (_dir, workdir) = workdir_with(&[Table::Segments, Table::Sections]);
    let path = workdir.table_path(Table::Segments);
    let segments = io::read_parquet(&path).unwrap();
    let n = segments.height() as u64;
    let order: Vec<IdxSize> = (0..n).map(|i| ((i * 7919) % n) as IdxSize).collect();
    let mut shuffled = segments.take(&IdxCa::from_vec("order".into(), order)).unwrap();
    assert!(!shuffled.equals(&segments));
    io::write_parquet_atomic(&path, &mut shuffled).unwrap();
    compute_features(&workdir, FeatureSet::Extended).unwrap();
    let table = workdir.read_table(Table::Features).unwrap();
    assert_matches_numpy(&table, &feature_names(FeatureSet::Extended));
}

#[test]
fn section_columns_are_null_without_a_sections_table() {
    let (_dir, workdir) = workdir_with(&[Table::Segments]);
    compute_features(&workdir, FeatureSet::Extended).unwrap();
    let table = workdir.read_table(Table::Features).unwrap();
    for name in ["section_count", "section_duration_mean", "section_tempo_std"] {
        assert_eq!(table.column(name).unwrap().null_count(), table.height(), "{name}");
    }
    assert_eq!(table.column("segment_rate").unwrap().null_count(), 0);
}

#[test]
fn tracks_with_fewer_than_two_segments_are_excluded_and_logged() {
    let (_dir, workdir) = workdir_with(&[Table::Segments, Table::Tracks]);
    let summary = compute_features(&workdir, FeatureSet::Seed).unwrap();
    let expected = read_csv("excluded.csv");
    let ids: Vec<&str> = expected.column("track_id").unwrap().str().unwrap().iter().flatten().collect();
    let counts: Vec<i64> = expected.column("segments").unwrap().i64().unwrap().iter().flatten().collect();
    let got_ids: Vec<&str> = summary.excluded.iter().map(|e| e.track_id.as_str()).collect();
    let got_counts: Vec<i64> = summary.excluded.iter().map(|e| i64::from(e.segments)).collect();
    assert_eq!(got_ids, ids);
    assert_eq!(got_counts, counts);
    let one = summary.excluded.iter().find(|e| e.track_id == "trC_one").unwrap();
    assert!(one.reason.contains("1 segment"), "{}", one.reason);
    let nan = summary.excluded.iter().find(|e| e.track_id == "trF_nan").unwrap();
    assert!(nan.reason.contains("non-finite"), "{}", nan.reason);

    let features = workdir.read_table(Table::Features).unwrap();
    let kept = features.column("track_id").unwrap().str().unwrap();
    assert!(kept.iter().flatten().all(|id| !ids.contains(&id)));

    let logged = |workdir: &Workdir| {
        let errors = workdir.read_table(Table::IngestErrors).unwrap();
        let mut rows: Vec<(String, String)> = errors
            .column("location").unwrap().str().unwrap().iter()
            .zip(errors.column("stage").unwrap().str().unwrap().iter())
            .map(|(l, s)| (l.unwrap().to_string(), s.unwrap().to_string()))
            .collect();
        rows.sort();
        rows
    };
    let expected_rows: Vec<(String, String)> =
        ids.iter().map(|id| (id.to_string(), STAGE.to_string())).collect();
    assert_eq!(logged(&workdir), expected_rows);
    // A rerun replaces its rows instead of appending duplicates.
    compute_features(&workdir, FeatureSet::Seed).unwrap();
    assert_eq!(logged(&workdir), expected_rows);
}

#[test]
fn empty_segments_table_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    workdir
        .write_table(Table::Segments, &mut Table::Segments.spec().empty_frame())
        .unwrap();
    let err = compute_features(&workdir, FeatureSet::Seed).unwrap_err();
    assert!(matches!(&err, Error::EmptyTable { table, .. } if table == "segments"), "{err}");
}

#[test]
fn missing_segments_table_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = compute_features(&Workdir::new(dir.path()), FeatureSet::Seed).unwrap_err();
    assert!(matches!(&err, Error::MissingTable { table, .. } if table == "segments"), "{err}");
}

#[test]
fn missing_timbre_column_is_an_error_naming_table_and_column() {
    let (_dir, workdir) = workdir_with(&[Table::Segments]);
    let path = workdir.table_path(Table::Segments);
    let mut segments = io::read_parquet(&path).unwrap();
    segments.drop_in_place("timbre_3").unwrap();
    io::write_parquet_atomic(&path, &mut segments).unwrap();
    for set in FeatureSet::ALL {
        let err = compute_features(&workdir, set).unwrap_err();
        assert!(matches!(&err, Error::MissingColumn { table, column } if table == "segments" && column == "timbre_3"), "{err}");
    }
}

#[test]
fn mistyped_timbre_column_is_an_error_naming_it() {
    let (_dir, workdir) = workdir_with(&[Table::Segments]);
    let path = workdir.table_path(Table::Segments);
    let mut segments = io::read_parquet(&path).unwrap();
    let as_text = segments.column("timbre_5").unwrap().cast(&DataType::String).unwrap();
    segments.with_column(as_text).unwrap();
    io::write_parquet_atomic(&path, &mut segments).unwrap();
    let err = compute_features(&workdir, FeatureSet::Seed).unwrap_err();
    assert!(matches!(&err, Error::WrongType { table, column, .. } if table == "segments" && column == "timbre_5"), "{err}");
}

#[test]
fn no_track_with_two_segments_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    let mut one_each = io::read_parquet(&fixture("segments.parquet"))
        .unwrap()
        .lazy()
        .filter(col("track_id").eq(lit("trC_one")))
        .collect()
        .unwrap();
    workdir.write_table(Table::Segments, &mut one_each).unwrap();
    let err = compute_features(&workdir, FeatureSet::Seed).unwrap_err().to_string();
    assert!(err.contains("segments") && err.contains("at least 2"), "{err}");
    let errors = workdir.read_table(Table::IngestErrors).unwrap();
    assert_eq!(errors.height(), 1, "the exclusion is still recorded");
}

#[test]
fn same_input_gives_identical_features() {
    let (_a, first) = workdir_with(&[Table::Segments, Table::Sections]);
    let (_b, second) = workdir_with(&[Table::Segments, Table::Sections]);
    compute_features(&first, FeatureSet::Extended).unwrap();
    compute_features(&second, FeatureSet::Extended).unwrap();
    let (a, b) = (first.read_table(Table::Features).unwrap(), second.read_table(Table::Features).unwrap());
    for name in a.get_column_names() {
        let (x, y) = (a.column(name).unwrap(), b.column(name).unwrap());
        assert!(x.equals_missing(y), "{name}: {:?} vs {:?}", x.head(Some(6)), y.head(Some(6)));
    }
    let bytes = |w: &Workdir| std::fs::read(w.table_path(Table::Features)).unwrap();
    assert!(bytes(&first) == bytes(&second), "same values, different bytes");
}
