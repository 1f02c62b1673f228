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
