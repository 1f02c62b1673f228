//! The bundled sample (data/sample, made by scripts/make-sample with `timbral ingest audio` on
//! the development corpus) is complete, has a plausible segment rate, and its tempi agree with
//! an independent librosa reference (crates/timbral-audio/tests/fixtures/librosa_tempo.csv).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_core::{Table, io, matrix};

/// Tempo agreement tolerance of the issue, and the share of tracks that must agree.
const TEMPO_TOLERANCE: f64 = 0.04;
const TEMPO_AGREEMENT: f64 = 0.80;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(table: Table) -> DataFrame {
    let path = repo().join("data/sample").join(format!("{}.parquet", table.name()));
    let frame = io::read_parquet(&path).unwrap();
    table.spec().validate(&frame).unwrap();
    frame
}

fn floats(frame: &DataFrame, column: &str) -> Vec<f64> {
    frame.column(column).unwrap().f64().unwrap().iter().map(|v| v.unwrap()).collect()
}

#[test]
fn sample_holds_the_whole_corpus_with_portable_locations() {
    let tracks = sample(Table::Tracks);
    assert_eq!(tracks.height(), 93);
    assert_eq!(sample(Table::Artists).height(), 22);
    let sources = matrix::strings(&tracks, "tracks", "source").unwrap();
    assert!(sources.iter().all(|s| s == "audio"));
    for location in matrix::strings(&tracks, "tracks", "location").unwrap() {
        assert!(!location.starts_with('/') && location.ends_with(".ogg"), "{location}");
    }
}

#[test]
fn sample_median_segment_rate_is_between_2_and_8_per_second() {
    let tracks = sample(Table::Tracks);
    let counts = sample(Table::Segments)
        .lazy()
        .group_by([col("track_id")])
        .agg([len().alias("segments")])
        .collect()
        .unwrap();
    let joined = tracks
        .lazy()
        .join(
            counts.lazy(),
            [col("track_id")],
            [col("track_id")],
            JoinArgs::new(JoinType::Left),
        )
        .select([(col("segments").cast(DataType::Float64) / col("duration_s")).alias("rate")])
        .collect()
        .unwrap();
    let mut rates = floats(&joined, "rate");
    assert_eq!(rates.len(), 93, "every track has segments");
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    assert!((2.0..=8.0).contains(&median), "median segment rate {median:.2}/s");
}

#[test]
fn sample_tempo_agrees_with_librosa_within_4_percent_or_at_double_or_half() {
    let reference_path = repo().join("crates/timbral-audio/tests/fixtures/librosa_tempo.csv");
    let reference = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(reference_path))
        .unwrap()
        .finish()
        .unwrap();
    let reference_paths = matrix::strings(&reference, "librosa_tempo", "path").unwrap();
    let reference_tempo = floats(&reference, "tempo");
    let librosa: HashMap<String, f64> = reference_paths.into_iter().zip(reference_tempo).collect();

    let tracks = sample(Table::Tracks);
    let locations = matrix::strings(&tracks, "tracks", "location").unwrap();
    let tempo = floats(&tracks, "tempo");
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (location, ours) in locations.iter().zip(&tempo) {
        let theirs = librosa[location.as_str()];
        let close = [1.0, 2.0, 0.5]
            .iter()
            .any(|factor| (ours / (theirs * factor) - 1.0).abs() <= TEMPO_TOLERANCE);
        if close {
            agree += 1;
        } else {
            disagreements.push(format!("{location}: {ours:.1} vs librosa {theirs:.1}"));
        }
    }
    let share = agree as f64 / locations.len() as f64;
    assert!(
        share >= TEMPO_AGREEMENT,
        "tempo agrees on {agree}/{} tracks; disagreements:\n{}",
        locations.len(),
        disagreements.join("\n")
    );
}
