//! Numeric checks against numpy / scikit-learn values committed in tests/fixtures
//! (made by tests/fixtures/make_fixtures.py).

use std::path::PathBuf;

use ndarray::Array2;
use serde_json::Value;
use timbral_cluster::metrics;
use timbral_cluster::pca::Pca;
use timbral_cluster::scaler::Scaler;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn read_csv(name: &str) -> Array2<f64> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(|l| l.split(',').map(|v| v.trim().parse::<f64>().unwrap()).collect())
        .collect();
    let cols = rows[0].len();
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).unwrap()
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap()
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn assert_relative(actual: f64, expected: f64, tolerance: f64, what: &str) {
    let error = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(error <= tolerance, "{what}: {actual} vs {expected} (relative error {error:e})");
}

#[test]
fn pca_explained_variance_ratios_equal_numpy() {
    let raw = read_csv("pca_features.csv");
    let names = (0..raw.ncols()).map(|i| format!("f{i}")).collect();
    let z = Scaler::fit(names, raw.view()).transform(raw.view());
    let pca = Pca::fit(z.view()).unwrap();
    let reference = reference();
    let ratios = floats(&reference["pca_explained_variance_ratio"]);
    let variances = floats(&reference["pca_explained_variance"]);
    assert_eq!(pca.explained_variance_ratio.len(), ratios.len());
    for (c, (&ours, &theirs)) in pca.explained_variance_ratio.iter().zip(&ratios).enumerate() {
        assert_relative(ours, theirs, 1e-6, &format!("ratio of component {}", c + 1));
    }
    for (c, (&ours, &theirs)) in pca.explained_variance.iter().zip(&variances).enumerate() {
        assert_relative(ours, theirs, 1e-6, &format!("variance of component {}", c + 1));
    }
    assert_relative(*pca.cumulative_ratio().last().unwrap(), 1.0, 1e-9, "cumulative ratio");
}

#[test]
fn cluster_scores_equal_scikit_learn() {
    let points = read_csv("scores_points.csv");
    let labels = read_csv("scores_labels.csv");
    let reference = reference();
    let labelings: Vec<Vec<usize>> =
        (0..2).map(|c| labels.column(c).iter().map(|&v| v as usize).collect()).collect();
    let silhouettes = metrics::silhouettes(points.view(), &labelings, usize::MAX, 0);
    for (l, name) in ["truth", "merged"].iter().enumerate() {
        let expected = &reference["scores"][name];
        let labels = &labelings[l];
        assert_relative(silhouettes[l], expected["silhouette"].as_f64().unwrap(), 1e-9, "silhouette");
        assert_relative(
            metrics::calinski_harabasz(points.view(), labels),
            expected["calinski_harabasz"].as_f64().unwrap(),
            1e-9,
            "calinski_harabasz",
        );
        assert_relative(
            metrics::davies_bouldin(points.view(), labels),
            expected["davies_bouldin"].as_f64().unwrap(),
            1e-9,
            "davies_bouldin",
        );
    }
}

#[test]
fn sampled_silhouette_is_close_to_the_exact_one() {
    let points = read_csv("scores_points.csv");
    let labels = read_csv("scores_labels.csv");
    let truth: Vec<usize> = labels.column(0).iter().map(|&v| v as usize).collect();
    let exact = metrics::silhouettes(points.view(), std::slice::from_ref(&truth), usize::MAX, 0)[0];
    let sampled = metrics::silhouettes(points.view(), &[truth], 150, 7)[0];
    assert!(sampled != exact && (sampled - exact).abs() < 0.05, "{sampled} vs {exact}");
}

#[test]
fn trustworthiness_equals_scikit_learn() {
    let high = read_csv("trust_high.csv");
    let low = read_csv("trust_low.csv");
    let low_knn = metrics::self_knn(low.view(), 15).unwrap();
    let every_row: Vec<usize> = (0..high.nrows()).collect();
    let exact_graph = metrics::self_knn(high.view(), 15).unwrap();
    let quality = metrics::neighbourhood_quality(high.view(), &low_knn, &exact_graph, 15, &every_row);
    assert!(quality.graph_recall > 0.999, "{}", quality.graph_recall);
    let ours = quality.trustworthiness;
    let expected = reference()["trustworthiness_k15"].as_f64().unwrap();
    assert_relative(ours, expected, 1e-12, "trustworthiness");
}

#[test]
fn kmeans_reaches_scikit_learn_inertia_and_labels() {
    use linfa::prelude::*;
    use timbral_cluster::kmeans::KMeansParams;

    let points = read_csv("scores_points.csv");
    let reference = reference();
    let dataset = linfa::DatasetBase::from(points.clone());
    for k in 2..=6 {
        let model = KMeansParams::new(k).runs(10).seed(3).fit(&dataset).unwrap();
        let theirs = reference["kmeans_inertia"][k.to_string()].as_f64().unwrap();
        // Both run 10 k-means++ restarts; neither may end in a worse local optimum than 0.5 %.
        assert!(model.inertia <= theirs * 1.005, "k={k}: inertia {} vs scikit-learn {theirs}", model.inertia);
        if k == 4 {
            // The same optimum: scikit-learn stops once the centres move less than `tol`, one or
            // two Lloyd steps before the labels settle, so its inertia is a little higher.
            assert_relative(model.inertia, theirs, 1e-3, "inertia at the true k");
            let ours: Vec<i32> = model.labels.iter().map(|&l| l as i32).collect();
            let sklearn: Vec<i32> = floats(&reference["kmeans_labels_k4"]).iter().map(|&l| l as i32).collect();
            assert_eq!(metrics::adjusted_rand_index(&ours, &sklearn), 1.0);
        }
    }
}
