//! The stage end to end on a workdir: tables written and valid, deterministic output, the
//! look-ups behind `recommend` and `artists`, and eval with its checks.

mod common;

use polars::prelude::ChunkCompareEq;
use timbral_core::{Error, Table};
use timbral_similarity::eval::{self, Checks};
use timbral_similarity::hyperparams::EvalParams;
use timbral_similarity::query::{artist_neighbours, recommend_songs, TrackQuery};
use timbral_similarity::recommendations::Filters;
use timbral_similarity::{run, ParamGuard, SimilarityParams, Space};

fn params(space: Space) -> SimilarityParams {
    SimilarityParams::builder()
        .space(space)
        .neighbors(4)
        .top_artists(3)
        .permutations(50)
        .grid_size(8)
        .grid_genres(2)
        .check()
        .unwrap()
}

#[test]
fn run_writes_every_table_and_is_deterministic() {
    let f = common::fixture();
    let (dir, wd) = common::workdir(&f);
    let summary = run(&wd, &params(Space::Umap)).unwrap();
    assert_eq!((summary.songs, summary.artists, summary.genres, summary.dims), (60, 12, 5, 5));
    let tables = timbral_similarity::SIMILARITY_TABLES;
    let first: Vec<Vec<u8>> = tables.iter().map(|&t| std::fs::read(wd.table_path(t)).unwrap()).collect();
    let recs = wd.read_table(Table::Recommendations).unwrap();
    assert_eq!(recs.height(), 60 * 4);
    assert_eq!(wd.read_table(Table::GenreGrid).unwrap().height(), 2 * 64);
    // One artist has a single song: cohesion covers the other 11.
    assert_eq!(wd.read_table(Table::IntraArtist).unwrap().height(), 11);
    assert_eq!(wd.read_table(Table::ArtistSimilarity).unwrap().height(), 12 * 3 * 2);

    run(&wd, &params(Space::Umap)).unwrap();
    for (t, bytes) in tables.iter().zip(&first) {
        assert_eq!(&std::fs::read(wd.table_path(*t)).unwrap(), bytes, "{} changed on rerun", t.name());
    }
    drop(dir);
}

#[test]
fn feature_space_is_supported_and_recorded() {
    let f = common::fixture();
    let (_dir, wd) = common::workdir(&f);
    let summary = run(&wd, &params(Space::Study)).unwrap();
    assert_eq!(summary.dims, 90);
    let answer = recommend_songs(&wd, &TrackQuery::Id("t000".into()), 3, Filters::default()).unwrap();
    assert_eq!(answer.space, Space::Study);
}

#[test]
fn recommend_answers_and_errors() {
    let f = common::fixture();
    let (_dir, wd) = common::workdir(&f);
    run(&wd, &params(Space::Umap)).unwrap();
    let answer = recommend_songs(&wd, &TrackQuery::Title("song 7".into()), 4, Filters::default()).unwrap();
    assert_eq!(answer.query.track_id, "t007");
    // Same order and distances as the stored table.
    let recs = wd.read_table(Table::Recommendations).unwrap();
    let mask = recs.column("track_id").unwrap().str().unwrap().equal("t007");
    let stored = recs.filter(&mask).unwrap();
    let ids: Vec<&str> = stored.column("rec_track_id").unwrap().str().unwrap().iter().flatten().collect();
    let got: Vec<&str> = answer.recommendations.iter().map(|r| r.track_id.as_str()).collect();
    assert_eq!(got, ids);
    // More than the stored 4: an exact scan, whose first 4 are the stored ones here.
    let more = recommend_songs(&wd, &TrackQuery::Id("t007".into()), 6, Filters::default()).unwrap();
    assert_eq!(more.recommendations.len(), 6);
    let more_ids: Vec<&str> = more.recommendations.iter().map(|r| r.track_id.as_str()).collect();
    assert_eq!(more_ids[..4], got[..]);

    let other = Filters { other_artists: true, same_cluster: false };
    let answer = recommend_songs(&wd, &TrackQuery::Id("t007".into()), 10, other).unwrap();
    assert_eq!(answer.recommendations.len(), 10);
    assert!(answer.recommendations.iter().all(|r| r.artist_name != answer.query.artist_name));

    let err = recommend_songs(&wd, &TrackQuery::Id("t999".into()), 3, Filters::default()).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "track id", value, .. } if value == "t999"), "{err}");
    let err = recommend_songs(&wd, &TrackQuery::Title("song 1".into()), 3, Filters::default());
    assert!(err.is_ok(), "an exact title wins over substrings");
    let err = recommend_songs(&wd, &TrackQuery::Title("ng 5".into()), 3, Filters::default()).unwrap_err();
    assert!(matches!(&err, Error::Ambiguous { kind: "title", matches, .. } if *matches > 1), "{err}");
    let err = recommend_songs(&wd, &TrackQuery::Title("no such song".into()), 3, Filters::default()).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "title", .. }), "{err}");
}

#[test]
fn artists_answers_like_the_table_and_suggests_names() {
    let f = common::fixture();
    let (_dir, wd) = common::workdir(&f);
    run(&wd, &params(Space::Umap)).unwrap();
    let answer = artist_neighbours(&wd, "artist 4", 3).unwrap();
    assert_eq!((answer.artist_name.as_str(), answer.songs), ("Artist 4", 5));
    let table = wd.read_table(Table::ArtistSimilarity).unwrap();
    let mask = table.column("artist_name").unwrap().str().unwrap().equal("Artist 4");
    let rows = table.filter(&mask).unwrap();
    let names: Vec<&str> = rows.column("other_artist_name").unwrap().str().unwrap().iter().flatten().collect();
    let nearest: Vec<&str> = answer.nearest.iter().map(|x| x.0.as_str()).collect();
    let farthest: Vec<&str> = answer.farthest.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(names, [nearest, farthest].concat());
    let err = artist_neighbours(&wd, "Artis 4", 3).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "artist", value, hint } if value == "Artis 4" && hint.contains("`Artist 4`")), "{err}");
}

#[test]
fn eval_reports_metrics_and_failed_checks() {
    let f = common::fixture();
    let (_dir, wd) = common::workdir(&f);
    let params = EvalParams::builder().space(Space::Umap).k(5).trust_k(5).check().unwrap();
    let checks = Checks::parse(
        "[metrics.artist_precision_at_5_lift]\nmin = 1.0\n[metrics.trustworthiness]\nmin = 0.99\n",
        "test",
    )
    .unwrap();
    let report = eval::run(&wd, &params, Some(&checks)).unwrap();
    let value = |name: &str| {
        report.metrics.iter().find(|m| m.metric.name == name).and_then(|m| m.metric.value)
    };
    let expected = &f["expected"];
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(value("artist_precision_at_5").unwrap(), expected["artist_precision"].as_f64().unwrap()));
    assert!(close(value("genre_precision_at_5").unwrap(), expected["genre_precision"].as_f64().unwrap()));
    // No cluster_quality table here: computed from features and the map, as scikit-learn does.
    assert!(close(value("trustworthiness").unwrap(), expected["trustworthiness"].as_f64().unwrap()));
    assert!(value("artist_precision_at_5_lift").unwrap() > 1.0);
    assert!(close(value("noise_share_hdbscan").unwrap(), 21.0 / 60.0));
    assert_eq!(value("best_silhouette"), None);
    // Trustworthiness is ~0.84, so the 0.99 threshold fails and only it.
    let failed: Vec<&str> = report.failed().iter().map(|m| m.metric.name.as_str()).collect();
    assert_eq!(failed, ["trustworthiness"]);
    let table = wd.read_table(Table::Eval).unwrap();
    assert_eq!(table.height(), report.metrics.len());

    let typo = Checks::parse("[metrics.artist_precison]\nmin = 0.1\n", "test").unwrap();
    let err = eval::run(&wd, &params, Some(&typo)).unwrap_err().to_string();
    assert!(err.contains("artist_precison") && err.contains("known metrics"), "{err}");
}

#[test]
fn missing_tables_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let wd = timbral_core::Workdir::new(dir.path());
    let err = run(&wd, &params(Space::Umap)).unwrap_err();
    assert!(matches!(&err, Error::MissingTable { table, .. } if table == "tracks"), "{err}");
}
