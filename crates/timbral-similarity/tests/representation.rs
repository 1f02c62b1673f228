//! The representations' distances against numpy / scipy values on real songs of the sample
//! (tests/fixtures/make_representation_fixtures.py), and `eval --compare` on a small library
//! with a hand-computed answer.

use ndarray::{Array2, array};
use serde_json::Value;
use timbral_similarity::eval::compare::{score, Model};
use timbral_similarity::hyperparams::EvalParams;
use timbral_similarity::representation::codebook::hellinger;
use timbral_similarity::representation::gaussian::Gaussians;
use timbral_similarity::representation::vectors::rank_scale;
use timbral_similarity::{Catalogue, ParamGuard};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/representation_fixture.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

#[test]
fn symmetric_kl_matches_numpy() {
    let f = fixture();
    let gaussians = Gaussians::from_features(matrix(&f["features"]).view());
    let expected = matrix(&f["symmetric_kl"]);
    for i in 0..gaussians.len() {
        for j in 0..gaussians.len() {
            let (got, want) = (gaussians.symmetric_kl(i, j), expected[[i, j]]);
            assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "KL({i}, {j}): {got} vs {want}");
        }
    }
}

#[test]
fn hellinger_matches_scipy() {
    let f = fixture();
    let (hist, expected) = (matrix(&f["histograms"]), matrix(&f["hellinger"]));
    for i in 0..hist.nrows() {
        for j in 0..hist.nrows() {
            let got = hellinger(hist.row(i).as_slice().unwrap(), hist.row(j).as_slice().unwrap());
            assert!((got - expected[[i, j]]).abs() < 1e-12, "H({i}, {j}): {got} vs {}", expected[[i, j]]);
        }
    }
}

#[test]
fn rank_scaling_matches_scipy_rankdata() {
    let f = fixture();
    let got = rank_scale(matrix(&f["rank_input"]).view());
    let want = matrix(&f["rank"]);
    assert!(got.iter().zip(want.iter()).all(|(a, b)| (a - b).abs() < 1e-12), "{got} vs {want}");
}

/// Two artists (and genres) of two songs on a line: 0 and 1 (artist a), 0.5 and 20 (b).
/// Same-artist pairs are at 1 and 19.5, the others at 0.5, 0.5, 19 and 20: 3 of the 8
/// (positive, negative) pairs put the positive closer, so the pair AUC is 0.375; every song's
/// nearest song is by the other artist, so precision@1 is 0.
#[test]
fn compare_scores_a_library_with_a_known_answer() {
    let ids: Vec<String> = (0..4).map(|i| format!("t{i}")).collect();
    let artists: Vec<String> = ["a", "a", "b", "b"].map(String::from).to_vec();
    let genres = vec![vec!["x".to_string()], vec!["x".into()], vec!["y".into()], vec!["y".into()]];
    let points = array![[0.0], [1.0], [0.5], [20.0]];
    let catalogue = Catalogue::from_parts(
        ids.clone(),
        ids,
        artists.clone(),
        artists,
        genres,
        points.clone(),
        Array2::zeros((4, 2)),
        None,
    )
    .unwrap();
    let params = EvalParams::builder().k(1).check().unwrap();
    let scores = score(&catalogue, &Model::Points(points), &params);
    let value = |name: &str| scores.iter().find(|s| s.metric == name).unwrap_or_else(|| panic!("{name}")).value;
    assert_eq!(value("artist_pair_auc"), Some(0.375));
    assert_eq!(value("genre_pair_auc"), Some(0.375));
    assert_eq!(value("artist_precision_at_1"), Some(0.0));
    let auc = scores.iter().find(|s| s.metric == "artist_pair_auc").unwrap();
    let (low, high) = auc.ci.unwrap();
    assert!((0.0..=1.0).contains(&low) && low <= high && high <= 1.0, "{auc:?}");
}

/// A `segments` table of `tracks` songs with `per_track` segments each, timbre from a seeded
/// generator (every other column constant).
fn write_segments(workdir: &timbral_core::Workdir, tracks: usize, per_track: usize) {
    use polars::prelude::*;
    use timbral_core::{ColumnType, Table};
    let rows = tracks * per_track;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 10_000) as f32 / 100.0
    };
    let columns = Table::Segments
        .spec()
        .columns
        .iter()
        .map(|c| {
            let name = c.name.as_str().into();
            match c.ty {
                ColumnType::Str => Column::new(name, (0..rows).map(|r| format!("song{}", r / per_track)).collect::<Vec<_>>()),
                ColumnType::U32 => Column::new(name, (0..rows).map(|r| (r % per_track) as u32).collect::<Vec<_>>()),
                ColumnType::F32 => Column::new(name, (0..rows).map(|_| next()).collect::<Vec<_>>()),
                ColumnType::F64 => Column::new(name, vec![0.5f64; rows]),
                other => panic!("no test values for {other:?}"),
            }
        })
        .collect();
    workdir.write_table(Table::Segments, &mut DataFrame::new_infer_height(columns).unwrap()).unwrap();
}

#[test]
fn the_codebook_is_stored_with_its_seed_and_reused_by_queries() {
    use timbral_core::{Table, Workdir};
    use timbral_similarity::representation::codebook::{CodebookUse, histograms};
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    write_segments(&workdir, 6, 40);
    // A query on a workdir without a stored codebook fits one in memory and writes nothing.
    let in_memory = histograms(&workdir, CodebookUse::Query).unwrap();
    assert!(!workdir.has_table(Table::CodebookModel));
    let stage = histograms(&workdir, CodebookUse::Stage(42)).unwrap();
    assert_eq!(stage, in_memory, "the query codebook has the stage's default seed");
    let stored = workdir.read_table(Table::CodebookModel).unwrap();
    assert_eq!(stored.height(), 12, "one row per timbre coefficient");
    let seed = |frame: &polars::prelude::DataFrame| frame.column("seed").unwrap().u64().unwrap().get(0).unwrap();
    assert_eq!(seed(&stored), 42);
    // The stored codebook reads back exactly: the same histograms for queries and the same seed.
    assert_eq!(histograms(&workdir, CodebookUse::Query).unwrap(), stage);
    let before = std::fs::read(workdir.table_path(Table::CodebookModel)).unwrap();
    histograms(&workdir, CodebookUse::Stage(42)).unwrap();
    assert_eq!(std::fs::read(workdir.table_path(Table::CodebookModel)).unwrap(), before, "same seed: reused, not refitted");
    // Another seed refits and replaces it.
    let other = histograms(&workdir, CodebookUse::Stage(7)).unwrap();
    assert_eq!(seed(&workdir.read_table(Table::CodebookModel).unwrap()), 7);
    assert_ne!(other, stage);
}
