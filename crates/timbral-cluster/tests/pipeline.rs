//! End-to-end behaviour on synthetic data with known structure, through the library and
//! through a workdir.

use ndarray::{Array2, s};
use polars::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand::Rng;
use timbral_cluster::metrics::adjusted_rand_index;
use timbral_cluster::{ClusterParams, ParamGuard, UmapModel, cluster_matrix, run, transform};
use timbral_core::contract::seed_feature_names;
use timbral_core::neighbors::KnnMethod;
use timbral_core::{Error, Table, Workdir};

/// `per_blob` points around each of `blobs` centres in `dims` dimensions: centres are 12
/// apart on average, noise has unit variance, so the blobs are well separated.
fn blobs(blobs: usize, per_blob: usize, dims: usize, seed: u64) -> (Array2<f64>, Vec<i32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut gauss = move || {
        // Box-Muller: rand 0.9 has no normal distribution without rand_distr.
        let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let centres: Vec<Vec<f64>> = (0..blobs).map(|_| (0..dims).map(|_| 6.0 * gauss()).collect()).collect();
    let mut data = Array2::zeros((blobs * per_blob, dims));
    let mut truth = Vec::new();
    for (b, centre) in centres.iter().enumerate() {
        for p in 0..per_blob {
            let row = b * per_blob + p;
            for (d, &c) in centre.iter().enumerate() {
                data[[row, d]] = c + gauss();
            }
            truth.push(b as i32);
        }
    }
    (data, truth)
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tr{i:05}")).collect()
}

fn names(d: usize) -> Vec<String> {
    (0..d).map(|i| format!("f{i}")).collect()
}

#[test]
fn kmeans_with_true_k_and_hdbscan_recover_well_separated_blobs() {
    let (data, truth) = blobs(5, 120, 20, 3);
    let params = ClusterParams::new(11).k_range(5, 5).stability_seeds(1).hdbscan_min_cluster_size(20).check().unwrap();
    let out = cluster_matrix(ids(data.nrows()), names(20), data.view(), &params).unwrap();
    let kmeans: Vec<i32> = out.kmeans.labels.iter().map(|&l| l as i32).collect();
    let kmeans_ari = adjusted_rand_index(&kmeans, &truth);
    let hdbscan_ari = adjusted_rand_index(&out.hdbscan.labels, &truth);
    assert!(kmeans_ari > 0.9, "K-Means ARI {kmeans_ari}");
    assert!(hdbscan_ari > 0.9, "HDBSCAN ARI {hdbscan_ari}");
    let trust = out.quality_of("trustworthiness_2d_k15").unwrap();
    assert!(trust > 0.8 && trust <= 1.0, "trustworthiness {trust}");
}

#[test]
fn maps_fitted_on_a_sample_place_the_other_songs_with_their_blob() {
    let (data, truth) = blobs(5, 120, 20, 3);
    let params = ClusterParams::new(11)
        .k_range(5, 5)
        .stability_seeds(1)
        .hdbscan_min_cluster_size(20)
        .umap_max_fit(200)
        .check()
        .unwrap();
    let fit = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| cluster_matrix(ids(data.nrows()), names(20), data.view(), &params).unwrap())
    };
    let out = fit(2);
    assert_eq!(out.quality_of("umap_fitted_songs"), Some(200.0));
    let hdbscan_ari = adjusted_rand_index(&out.hdbscan.labels, &truth);
    assert!(hdbscan_ari > 0.9, "HDBSCAN ARI {hdbscan_ari} on the sampled n-D map");
    let trust = out.quality_of("trustworthiness_2d_k15").unwrap();
    assert!(trust > 0.8, "trustworthiness {trust} of the sampled 2-D map");
    let one_thread = fit(1);
    assert_eq!((&out.umap_2d, &out.umap_nd), (&one_thread.umap_2d, &one_thread.umap_nd), "the same maps with 1 and 2 threads");
}

#[test]
fn silhouette_rule_picks_the_true_k() {
    let (data, _) = blobs(4, 80, 10, 5);
    let params = ClusterParams::new(2).k_range(2, 8).stability_seeds(1).check().unwrap();
    let out = cluster_matrix(ids(data.nrows()), names(10), data.view(), &params).unwrap();
    assert_eq!(out.kmeans.chosen_k, 4, "{:?}", out.kmeans.scores);
    assert_eq!(out.kmeans.scores.len(), 7);
}

#[test]
fn transform_places_held_out_songs_next_to_their_blob() {
    let (data, truth) = blobs(4, 100, 12, 8);
    // Every tenth song is held out of the fit.
    let held: Vec<usize> = (0..data.nrows()).filter(|i| i % 10 == 0).collect();
    let kept: Vec<usize> = (0..data.nrows()).filter(|i| i % 10 != 0).collect();
    let fit_data = data.select(ndarray::Axis(0), &kept);
    let params = ClusterParams::new(4).k_range(4, 4).stability_seeds(1).check().unwrap();
    let out = cluster_matrix(ids(kept.len()), names(12), fit_data.view(), &params).unwrap();
    let model: &UmapModel = &out.model_nd;
    let new = out.scaler.transform(data.select(ndarray::Axis(0), &held).view());
    let seeds: Vec<u64> = (0..held.len() as u64).collect();
    let epochs = timbral_cluster::umap::transform_epochs(held.len());
    let placed = transform(model, new.view(), &seeds, epochs, KnnMethod::Auto, 9).unwrap();
    assert_eq!(placed.dim(), (held.len(), out.umap_nd.ncols()));
    assert_eq!(placed, transform(model, new.view(), &seeds, epochs, KnnMethod::Auto, 9).unwrap(), "transform is deterministic");
    // A song's place does not depend on the other songs placed with it.
    let alone = transform(model, new.slice(s![3..4, ..]), &seeds[3..4], epochs, KnnMethod::Auto, 9).unwrap();
    assert_eq!(alone.row(0), placed.row(3), "placed alone or in a batch");
    // The nearest fitted song of each placed song must come from the same blob.
    let mut right = 0;
    for (row, &song) in held.iter().enumerate() {
        let point = placed.slice(s![row, ..]);
        let nearest = (0..kept.len())
            .min_by(|&a, &b| {
                let da = (&out.umap_nd.row(a) - &point).mapv(|v| v * v).sum();
                let db = (&out.umap_nd.row(b) - &point).mapv(|v| v * v).sum();
                da.total_cmp(&db)
            })
            .unwrap();
        right += usize::from(truth[kept[nearest]] == truth[song]);
    }
    assert!(right as f64 >= 0.95 * held.len() as f64, "{right}/{} placed in their blob", held.len());
}

/// A `features` table of `songs` songs with the 90 seed columns, four blobs.
fn write_features(workdir: &Workdir, songs: usize) {
    let (data, _) = blobs(4, songs.div_ceil(4), 90, 21);
    let data = data.slice(s![..songs, ..]).to_owned();
    let mut columns = vec![Column::new("track_id".into(), ids(songs))];
    for (j, name) in seed_feature_names().iter().enumerate() {
        columns.push(Column::new(name.as_str().into(), data.column(j).to_vec()));
    }
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    workdir.write_table(Table::Features, &mut frame).unwrap();
}

#[test]
fn same_seed_gives_byte_identical_tables() {
    let params = ClusterParams::new(42).k_range(2, 6).check().unwrap();
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        write_features(&workdir, 240);
        let summary = run(&workdir, &params).unwrap();
        assert_eq!(summary.songs, 240);
        let bytes: Vec<Vec<u8>> = [Table::Embedding, Table::Clusters, Table::ModelSelection, Table::KDistance]
            .iter()
            .map(|&t| std::fs::read(workdir.table_path(t)).unwrap())
            .collect();
        for table in Table::ALL.iter().filter(|t| {
            matches!(
                t,
                Table::Scaler | Table::Pca | Table::Embedding | Table::Clusters | Table::ModelSelection
                    | Table::KDistance | Table::ClusterQuality
            )
        }) {
            workdir.read_table(*table).unwrap();
        }
        outputs.push(bytes);
    }
    assert!(outputs[0] == outputs[1], "tables differ between two runs with the same seed");
}

#[test]
fn too_few_songs_is_a_clear_error_and_small_inputs_are_reduced_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    write_features(&workdir, 5);
    let err = run(&workdir, &ClusterParams::new(1).check().unwrap()).unwrap_err();
    assert!(matches!(&err, timbral_core::Error::TooFewRows { table, rows: 5, .. } if table == "features"), "{err}");

    write_features(&workdir, 14);
    let summary = run(&workdir, &ClusterParams::new(1).check().unwrap()).unwrap();
    assert!(summary.warnings.iter().any(|w| w.contains("n-neighbors 15 reduced to 13")), "{:?}", summary.warnings);
    assert!(summary.chosen_k <= 4);
    let clusters = workdir.read_table(Table::Clusters).unwrap();
    assert_eq!(clusters.height(), 14);
}

#[test]
fn extended_set_without_extended_columns_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    write_features(&workdir, 40);
    let params = ClusterParams::new(1).feature_set(timbral_cluster::FeatureSet::Extended).check().unwrap();
    let err = run(&workdir, &params).unwrap_err();
    assert_eq!(err.parameter(), Some("set"), "{err}");
}

#[test]
fn missing_features_table_names_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(&Workdir::new(dir.path()), &ClusterParams::new(1).check().unwrap()).unwrap_err();
    assert!(matches!(&err, Error::MissingTable { table, .. } if table == "features"), "{err}");
}

/// Integer column of a table as a map from track id.
fn labels_by_id(workdir: &Workdir, column: &str) -> std::collections::HashMap<String, i32> {
    let frame = workdir.read_table(Table::Clusters).unwrap();
    let ids = frame.column("track_id").unwrap().str().unwrap();
    let values = frame.column(column).unwrap().i32().unwrap();
    ids.iter().zip(values.iter()).map(|(i, v)| (i.unwrap().to_string(), v.unwrap())).collect()
}

#[test]
fn songs_added_after_clustering_are_placed_with_their_blob_without_refitting() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    // Four blobs of 75; every fifth song arrives after the fit.
    write_features(&workdir, 300);
    let all = workdir.read_table(Table::Features).unwrap();
    let late = |frame: &DataFrame, keep_late: bool| {
        let mask: BooleanChunked = (0..frame.height()).map(|i| (i % 5 == 4) == keep_late).collect();
        frame.filter(&mask).unwrap()
    };
    workdir.write_table(Table::Features, &mut late(&all, false)).unwrap();
    run(&workdir, &ClusterParams::new(5).k_range(4, 4).stability_seeds(1).hdbscan_min_cluster_size(10).check().unwrap()).unwrap();
    let fitted_embedding = workdir.read_table(Table::Embedding).unwrap();
    let fitted_kmeans = labels_by_id(&workdir, "kmeans");

    workdir.write_table(Table::Features, &mut all.clone()).unwrap();
    let summary = timbral_cluster::place_new(&workdir, KnnMethod::Auto, 9).unwrap();
    assert_eq!((summary.placed, summary.existing), (60, 240));

    // Fitted rows are untouched; placed rows are flagged.
    let embedding = workdir.read_table(Table::Embedding).unwrap();
    assert_eq!(embedding.height(), 300);
    let placed = embedding.column("placed").unwrap().bool().unwrap();
    let kept = embedding.filter(&!placed).unwrap();
    assert!(kept.equals(&fitted_embedding), "fitted rows changed");
    // Each late song gets a label that fitted songs of its own blob carry (HDBSCAN may split a
    // blob in two), and few become noise.
    let blob_of = |id: &str| id[2..].parse::<usize>().unwrap() / 75;
    for column in ["kmeans", "dbscan", "hdbscan"] {
        let labels = labels_by_id(&workdir, column);
        assert_eq!(labels.len(), 300);
        let blob_labels = |blob: usize| -> std::collections::BTreeSet<i32> {
            labels.iter().filter(|(id, _)| fitted_kmeans.contains_key(*id) && blob_of(id) == blob).map(|(_, &l)| l).collect()
        };
        let late: Vec<(&String, i32)> =
            labels.iter().filter(|(id, _)| !fitted_kmeans.contains_key(*id)).map(|(id, &l)| (id, l)).collect();
        assert_eq!(late.len(), 60);
        for (id, label) in &late {
            assert!(*label < 0 || blob_labels(blob_of(id)).contains(label), "{column}: {id} got {label}");
        }
        let noise = late.iter().filter(|(_, l)| *l < 0).count();
        assert!(noise <= 6, "{column}: {noise}/60 late songs are noise");
    }
    // Placing again finds nothing new; the same seed places identically.
    assert_eq!(timbral_cluster::place_new(&workdir, KnnMethod::Auto, 9).unwrap().placed, 0);
    let first = std::fs::read(workdir.table_path(Table::Embedding)).unwrap();
    workdir.write_table(Table::Embedding, &mut fitted_embedding.clone()).unwrap();
    timbral_cluster::place_new(&workdir, KnnMethod::Auto, 9).unwrap();
    assert_eq!(std::fs::read(workdir.table_path(Table::Embedding)).unwrap(), first);
}

#[test]
fn placing_without_a_fit_names_the_missing_table() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    write_features(&workdir, 20);
    let err = timbral_cluster::place_new(&workdir, KnnMethod::Auto, 1).unwrap_err();
    assert!(matches!(&err, Error::MissingTable { table, .. } if table == "cluster_model"), "{err}");
}
