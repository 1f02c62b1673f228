//! The reference fixture (made by fixtures/make_fixtures.py with numpy, scipy and
//! scikit-learn) and a workdir holding it as pipeline tables.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use ndarray::Array2;
use polars::prelude::*;
use serde_json::Value;
use timbral_core::contract::seed_feature_names;
use timbral_core::{Table, Workdir};
use timbral_similarity::Catalogue;

pub fn fixture() -> Value {
    let text = include_str!("../fixtures/similarity_fixture.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.concat()).unwrap()
}

pub fn genres(f: &Value) -> Vec<Vec<String>> {
    f["genres"].as_array().unwrap().iter().map(strings).collect()
}

pub fn clusters(f: &Value) -> Vec<i32> {
    f["clusters"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap() as i32).collect()
}

pub fn catalogue(f: &Value) -> Catalogue {
    Catalogue::from_parts(
        strings(&f["track_ids"]),
        strings(&f["titles"]),
        strings(&f["artist_ids"]),
        strings(&f["artist_names"]),
        genres(f),
        matrix(&f["space"]),
        matrix(&f["map"]),
        Some(clusters(f)),
    )
    .unwrap()
}

/// Writes `tracks`, `embedding` (the fixture space as umap_1..umap_5), `clusters`, and
/// `features` + `scaler` (the fixture's 12 features in the first 12 seed columns, the other 78
/// constant; identity scaler) into a fresh workdir.
pub fn workdir(f: &Value) -> (tempfile::TempDir, Workdir) {
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let ids = strings(&f["track_ids"]);
    let n = ids.len();
    let genre_lists: Vec<Series> = genres(f)
        .into_iter()
        .map(|g| Series::new("".into(), g))
        .collect();
    let mut tracks = df!(
        "track_id" => ids.clone(),
        "title" => strings(&f["titles"]),
        "artist_id" => strings(&f["artist_ids"]),
        "artist_name" => strings(&f["artist_names"]),
        "album" => vec![None::<&str>; n],
        "genres" => genre_lists,
        "duration_s" => vec![200.0; n],
        "source" => vec!["synthetic"; n],
        "location" => ids.clone(),
    )
    .unwrap();
    for (name, ty) in [
        ("tempo", DataType::Float64),
        ("tempo_confidence", DataType::Float64),
        ("key", DataType::Int32),
        ("key_confidence", DataType::Float64),
        ("mode", DataType::Int32),
        ("mode_confidence", DataType::Float64),
        ("time_signature", DataType::Int32),
        ("time_signature_confidence", DataType::Float64),
        ("loudness", DataType::Float64),
    ] {
        let column = Column::full_null(name.into(), n, &ty);
        tracks.with_column(column).unwrap();
    }
    wd.write_table(Table::Tracks, &mut tracks).unwrap();

    let space = matrix(&f["space"]);
    let map = matrix(&f["map"]);
    let mut columns = vec![
        Column::new("track_id".into(), ids.clone()),
        Column::new("umap_x".into(), map.column(0).to_vec()),
        Column::new("umap_y".into(), map.column(1).to_vec()),
    ];
    for j in 0..space.ncols() {
        columns.push(Column::new(format!("umap_{}", j + 1).into(), space.column(j).to_vec()));
    }
    // Principal components are not used by this stage; the contract requires five.
    for j in 1..=5 {
        columns.push(Column::new(format!("pc_{j}").into(), vec![0.0; n]));
    }
    columns.push(Column::new("placed".into(), vec![false; n]));
    wd.write_table(Table::Embedding, &mut DataFrame::new(n, columns).unwrap()).unwrap();

    let labels = clusters(f);
    let mut clusters = df!(
        "track_id" => ids.clone(),
        "kmeans" => labels.iter().map(|l| l.max(&0)).copied().collect::<Vec<i32>>(),
        "dbscan" => labels.clone(),
        "hdbscan" => labels.clone(),
        "hdbscan_fitted" => vec![true; labels.len()],
    )
    .unwrap();
    wd.write_table(Table::Clusters, &mut clusters).unwrap();

    let features = matrix(&f["features"]);
    let names = seed_feature_names();
    let mut columns = vec![Column::new("track_id".into(), ids)];
    for (j, name) in names.iter().enumerate() {
        let values = if j < features.ncols() {
            features.column(j).to_vec()
        } else {
            vec![1.5; n]
        };
        columns.push(Column::new(name.as_str().into(), values));
    }
    wd.write_table(Table::Features, &mut DataFrame::new(n, columns).unwrap()).unwrap();
    let mut scaler = df!(
        "feature" => names.clone(),
        "mean" => vec![0.0; names.len()],
        "std" => (0..names.len()).map(|j| if j < 12 { 1.0 } else { 0.0 }).collect::<Vec<f64>>(),
    )
    .unwrap();
    // PCA centre and loadings are not used by this stage; the contract requires them.
    for name in ["pca_mean", "loading_1", "loading_2", "loading_3", "loading_4", "loading_5"] {
        scaler.with_column(Column::new(name.into(), vec![0.0; names.len()])).unwrap();
    }
    wd.write_table(Table::Scaler, &mut scaler).unwrap();
    (dir, wd)
}
