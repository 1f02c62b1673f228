//! End-to-end tests of the `timbral` binary on the bundled sample.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{analysis_tables, ok, read, read_file, table_path};
use polars::prelude::*;
use timbral_core::Table;

mod common;

fn timbral(workdir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timbral"))
        .arg("--quiet")
        .arg("--workdir")
        .arg(workdir)
        .args(args)
        .output()
        .expect("timbral starts")
}

fn manifest(workdir: &Path) -> serde_json::Value {
    let path = workdir.join("data/processed/run_manifest.json");
    std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn run_on_an_empty_dir_uses_the_sample_and_writes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = ok(&timbral(dir.path(), &["run"]));
    assert!(stdout.contains("bundled sample"), "{stdout}");
    assert!(dir.path().join("reports/index.html").is_file());
    for table in analysis_tables() {
        assert!(read(dir.path(), table).height() > 0, "{} is empty", table.name());
    }

    // SQL over the tables: aligned table, CSV with a header, and a clear error.
    let query = "SELECT artist_name, count(*) AS n FROM tracks GROUP BY artist_name ORDER BY n DESC LIMIT 5";
    let table = ok(&timbral(dir.path(), &["sql", query]));
    assert_eq!(table.lines().count(), 2 + 5, "{table}");
    let csv = ok(&timbral(dir.path(), &["sql", query, "--format", "csv"]));
    assert_eq!(csv.lines().next(), Some("artist_name,n"));
    assert_eq!(csv.lines().count(), 6);
    let saved = dir.path().join("top.parquet");
    ok(&timbral(dir.path(), &["sql", query, "--output", saved.to_str().unwrap()]));
    assert_eq!(read_file(&saved).height(), 5, "--output FILE.parquet writes Parquet");
    let bad = timbral(dir.path(), &["sql", "SELEC nonsense"]);
    assert!(!bad.status.success());
    assert!(!bad.stderr.is_empty());
    let write = timbral(dir.path(), &["sql", "DROP TABLE tracks"]);
    assert!(!write.status.success());
    assert!(String::from_utf8_lossy(&write.stderr).contains("read-only"));

    let listing = ok(&timbral(dir.path(), &["tables"]));
    assert!(listing.contains("tracks (93 rows)"), "{listing}");

    // A second run redoes nothing.
    let before = manifest(dir.path());
    ok(&timbral(dir.path(), &["run"]));
    let after = manifest(dir.path());
    for stage in ["features", "cluster", "similarity", "eval", "report"] {
        assert_eq!(before["stages"][stage], after["stages"][stage], "{stage} was redone");
    }
}

#[test]
fn a_run_killed_during_clustering_resumes_with_identical_tables() {
    let reference = tempfile::tempdir().unwrap();
    ok(&timbral(reference.path(), &["run"]));

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_timbral"))
        .args(["--quiet", "--workdir"])
        .arg(dir.path())
        .arg("run")
        .spawn()
        .unwrap();
    // Kill as soon as the features stage is recorded: the cluster stage is then under way.
    let deadline = Instant::now() + Duration::from_secs(300);
    while manifest(dir.path())["stages"]["features"].is_null() {
        assert!(Instant::now() < deadline, "features stage never finished");
        assert!(child.try_wait().unwrap().is_none(), "run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let killed = manifest(dir.path());
    assert!(killed["stages"]["cluster"].is_null(), "cluster had already finished");

    ok(&timbral(dir.path(), &["run"]));
    let resumed = manifest(dir.path());
    assert_eq!(killed["stages"]["features"], resumed["stages"]["features"], "features was redone");
    for table in analysis_tables() {
        assert!(
            read(reference.path(), table).equals_missing(&read(dir.path(), table)),
            "{} differs from an uninterrupted run",
            table.name()
        );
    }
}

#[test]
fn a_segments_table_without_a_timbre_column_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    ok(&timbral(dir.path(), &["run"]));
    let path = table_path(dir.path(), Table::Segments);
    let mut segments = read_file(&path).drop("timbre_3").unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut segments)
        .unwrap();
    let output = timbral(dir.path(), &["features"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("segments") && stderr.contains("timbre_3"), "{stderr}");
}

const MSD_FIXTURES: &str = "crates/timbral-ingest/tests/fixtures/msd/files";

#[cfg(feature = "msd")]
#[test]
fn msd_files_are_ingested_and_reach_the_features_stage() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join(MSD_FIXTURES);
    let out = ok(&timbral(dir.path(), &["ingest", "msd", fixtures.to_str().unwrap()]));
    assert!(out.contains("3 track(s) ingested, 3 error(s)"), "{out}");
    ok(&timbral(dir.path(), &["features"]));
    let out = ok(&timbral(dir.path(), &["sql", "SELECT count(*) AS n FROM features", "--format", "csv"]));
    assert_eq!(out.lines().nth(1), Some("3"), "{out}");
}

#[cfg(not(feature = "msd"))]
#[test]
fn msd_without_the_feature_says_how_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let output = timbral(dir.path(), &["ingest", "msd", MSD_FIXTURES]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--features msd") && stderr.contains("libhdf5-dev"), "{stderr}");
}

/// Runs `timbral` expecting it to fail; its stderr, checked to be one clear line.
fn fails(workdir: &Path, args: &[&str]) -> String {
    let output = timbral(workdir, args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    for raw in ["panicked", "RUST_BACKTRACE", "Resolved plan", "os error"] {
        assert!(!stderr.contains(raw), "{args:?}: {stderr}");
    }
    stderr
}

fn one_line(stderr: &str) -> &str {
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr.trim_end()
}

#[test]
fn likely_mistakes_get_one_line_naming_the_value_and_what_to_do() {
    let missing = Path::new("/nonexistent/timbral-workdir");
    let empty = tempfile::tempdir().unwrap();
    for args in [&["recommend", "tr1"][..], &["artists", "Bach"], &["sql", "SELECT 1"], &["tables"], &["report"], &["cluster"]] {
        let line = fails(missing, args);
        assert!(one_line(&line).contains("/nonexistent/timbral-workdir does not exist") && line.contains("run`"), "{line}");
        let line = fails(empty.path(), args);
        assert!(one_line(&line).contains("has no tables") && line.contains("ingest audio MUSIC_DIR"), "{line}");
    }
    let line = fails(empty.path(), &["ingest", "audio", "/nonexistent/music"]);
    assert!(one_line(&line).contains("/nonexistent/music: not a directory"), "{line}");
    let line = fails(empty.path(), &["ingest", "json", "/nonexistent/json"]);
    assert!(one_line(&line).contains("/nonexistent/json: not a directory (expected a folder of .json"), "{line}");

    let dir = tempfile::tempdir().unwrap();
    ok(&timbral(dir.path(), &["run"]));
    let cases: [(&[&str], &[&str]); 8] = [
        (&["recommend", "tr_nosuch"], &["unknown track id `tr_nosuch`", "--title"]),
        (&["recommend", "--title", "zzzz"], &["unknown title `zzzz`", "timbral sql \"SELECT track_id, artist_name, title FROM tracks"]),
        (&["recommend", "--title", "Battle Epic", "-k", "0"], &["-k 0", "at least 1"]),
        (&["artists", "Doug Kaufmann"], &["unknown artist `Doug Kaufmann`", "did you mean `Doug Kaufman`"]),
        (&["artists", "nobody at all", "-n", "3"], &["unknown artist `nobody at all`", "timbral sql"]),
        (&["sql", "SELECT * FROM nosuch"], &["no table `nosuch`", "recommendations"]),
        (&["sql", "SELECT titel FROM tracks"], &["no column `titel`", "title"]),
        (&["eval", "--checks", "/nonexistent/checks.toml"], &["/nonexistent/checks.toml"]),
    ];
    for (args, expected) in cases {
        let line = fails(dir.path(), args);
        // `sql` echoes the query on a second line.
        let first = line.lines().next().unwrap_or_default();
        for part in expected {
            assert!(first.contains(part), "{args:?}: {line}");
        }
    }
    // Several titles match: each is listed with its id, and the command fails.
    let several = fails(dir.path(), &["recommend", "--title", "battle"]);
    assert!(several.contains("2 songs match title `battle`") && several.contains("Battle Epic"), "{several}");

    // A table not written yet names the command that writes it.
    let partial = tempfile::tempdir().unwrap();
    let interim = partial.path().join("data/interim");
    std::fs::create_dir_all(&interim).unwrap();
    for table in [Table::Tracks, Table::Artists, Table::Segments] {
        std::fs::copy(table_path(dir.path(), table), table_path(partial.path(), table)).unwrap();
    }
    let line = fails(partial.path(), &["cluster"]);
    assert!(one_line(&line).contains("table `features` not found") && line.contains("run `timbral features` first"), "{line}");
    let line = fails(partial.path(), &["recommend", "tr1"]);
    assert!(one_line(&line).contains("run `timbral cluster` first"), "{line}");
}

#[test]
fn every_subcommand_has_help_that_names_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let subcommands: [&[&str]; 14] = [
        &["run"], &["ingest", "audio"], &["ingest", "json"], &["synth"], &["features"], &["cluster"], &["place"],
        &["similarity"], &["recommend"], &["artists"], &["eval"], &["report"], &["sql"], &["tables"],
    ];
    for subcommand in subcommands {
        let help = ok(&timbral(dir.path(), &[subcommand, &["--help"]].concat()));
        assert!(help.contains(&format!("Usage: timbral {}", subcommand.join(" "))), "{help}");
    }
    let usage = String::from_utf8_lossy(&timbral(dir.path(), &["recommend"]).stderr).into_owned();
    assert!(usage.contains("<TRACK_ID | --title TEXT>"), "{usage}");
}

/// The sample's songs minus the first `removed` (by track id) in `embedding` and `clusters`:
/// songs that reached `features` after the fit.
fn forget_fitted_songs(root: &Path, removed: usize) -> Vec<String> {
    let embedding = read(root, Table::Embedding);
    let mut ids: Vec<String> = embedding.column("track_id").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    ids.sort();
    ids.truncate(removed);
    let gone = Series::new("gone".into(), &ids);
    for table in [Table::Embedding, Table::Clusters] {
        let mut kept = read(root, table)
            .lazy()
            .filter(col("track_id").is_in(lit(gone.clone()).implode(false), false).not())
            .collect()
            .unwrap();
        timbral_core::Workdir::new(root).write_table(table, &mut kept).unwrap();
    }
    ids
}

#[test]
fn place_extends_a_fit_in_the_default_musicnn_space_and_keeps_the_fitted_songs() {
    let dir = tempfile::tempdir().unwrap();
    ok(&timbral(dir.path(), &["run"]));
    let fit = read(dir.path(), Table::ClusterModel);
    assert_eq!(fit.column("space").unwrap().str().unwrap().get(0), Some("musicnn"));
    let full = read(dir.path(), Table::Clusters).sort(["track_id"], Default::default()).unwrap();
    let removed = forget_fitted_songs(dir.path(), 10);
    let before = read(dir.path(), Table::Embedding).sort(["track_id"], Default::default()).unwrap();
    ok(&timbral(dir.path(), &["place"]));
    let embedding = read(dir.path(), Table::Embedding).sort(["track_id"], Default::default()).unwrap();
    assert_eq!(embedding.height(), full.height());
    let placed: Vec<String> = embedding
        .clone()
        .lazy()
        .filter(col("placed"))
        .collect()
        .unwrap()
        .column("track_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert_eq!(placed, removed);
    // The fitted songs keep their places; placed songs join the K-Means cluster the full fit gave them.
    let fitted = embedding.clone().lazy().filter(col("placed").not()).collect().unwrap();
    assert!(fitted.select(["umap_x", "umap_y"]).unwrap().equals(&before.select(["umap_x", "umap_y"]).unwrap()));
    let clusters = read(dir.path(), Table::Clusters).sort(["track_id"], Default::default()).unwrap();
    let agree = clusters.column("kmeans").unwrap().equal(full.column("kmeans").unwrap()).unwrap().sum().unwrap();
    assert!(agree >= 90, "{agree} of 93 songs in the same K-Means cluster as the full fit");
}
