//! The analyst query corpus (tests/fixtures/sql/corpus.sql) through `timbral sql`'s query
//! layer, against DuckDB's answers on the same tables (answers.json, made by make_answers.py).

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;
use timbral_core::Workdir;
use timbral_core::sql::SqlSession;

const RELATIVE_TOLERANCE: f64 = 1e-9;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql")
}

/// (name, sql) per `-- query: NAME [ordered]` block of the corpus, as make_answers.py reads it.
fn corpus() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixtures().join("corpus.sql")).unwrap();
    text.split("\n-- query: ")
        .skip(1)
        .map(|block| {
            let (header, body) = block.split_once('\n').unwrap_or((block, ""));
            let name = header.split_whitespace().next().unwrap_or_default().to_string();
            let sql: Vec<&str> = body.lines().filter(|l| !l.trim_start().starts_with("--")).collect();
            (name, sql.join("\n").trim().to_string())
        })
        .collect()
}

/// The frozen sample workdir of the fixtures, with the bundled sample's segments.
fn sample_workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for layer in ["interim", "processed"] {
        let from = fixtures().join("workdir/data").join(layer);
        let to = dir.path().join("data").join(layer);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    let segments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/segments.parquet");
    std::fs::copy(segments, dir.path().join("data/interim/segments.parquet")).unwrap();
    dir
}

fn json_of(value: AnyValue) -> Value {
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::List(list) => Value::Array(list.iter().map(json_of).collect()),
        v if v.dtype().is_primitive_numeric() => v.extract::<f64>().map_or(Value::Null, |x| serde_json::json!(x)),
        v => panic!("no JSON form for {v:?}"),
    }
}

fn rows_of(frame: &DataFrame) -> Vec<Vec<Value>> {
    (0..frame.height())
        .map(|i| frame.columns().iter().map(|c| json_of(c.get(i).unwrap())).collect())
        .collect()
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= RELATIVE_TOLERANCE * x.abs().max(y.abs()).max(1e-300)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b)),
        _ => a == b,
    }
}

/// A row's sort key for comparing results as multisets: floats to 9 significant digits.
fn key(row: &[Value]) -> String {
    row.iter()
        .map(|v| match v {
            Value::Number(n) => format!("{:.8e}", n.as_f64().unwrap()),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// A name an engine gives a column from the query's own words (an alias or a column), not one
/// it makes up for an expression (DuckDB's `count_star()`).
fn is_plain_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[test]
fn every_corpus_query_equals_duckdbs_answer() {
    let answers: Value = serde_json::from_slice(&std::fs::read(fixtures().join("answers.json")).unwrap()).unwrap();
    let answers = answers["queries"].as_array().unwrap();
    let queries = corpus();
    assert_eq!(queries.len(), answers.len(), "answers.json is stale: rerun make_answers.py");
    assert!(queries.len() >= 30, "the corpus has {} queries", queries.len());

    let dir = sample_workdir();
    let mut session = SqlSession::open(&Workdir::new(dir.path()));
    let mut failures = Vec::new();
    for ((name, sql), answer) in queries.iter().zip(answers) {
        assert_eq!(answer["name"], name.as_str(), "answers.json is stale: rerun make_answers.py");
        let frame = match session.query(sql) {
            Ok(frame) => frame,
            Err(err) => {
                failures.push(format!("{name}: {err}"));
                continue;
            }
        };
        let columns: Vec<&str> = answer["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let ours: Vec<String> = frame.get_column_names().iter().map(|c| c.to_string()).collect();
        if ours.len() != columns.len()
            || columns.iter().zip(&ours).any(|(theirs, ours)| is_plain_name(theirs) && theirs != ours)
        {
            failures.push(format!("{name}: columns {ours:?}, DuckDB {columns:?}"));
            continue;
        }
        let mut want: Vec<Vec<Value>> =
            answer["rows"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().clone()).collect();
        let mut got = rows_of(&frame);
        if !answer["ordered"].as_bool().unwrap() {
            want.sort_by_key(|r| key(r));
            got.sort_by_key(|r| key(r));
        }
        let equal = got.len() == want.len()
            && got.iter().zip(&want).all(|(g, w)| g.iter().zip(w).all(|(a, b)| same_value(a, b)));
        if !equal {
            failures.push(format!("{name}: {} row(s) {got:?}\n  DuckDB: {} row(s) {want:?}", got.len(), want.len()));
        }
    }
    assert!(failures.is_empty(), "{} of {} queries differ from DuckDB:\n{}", failures.len(), queries.len(), failures.join("\n"));
}

#[test]
fn the_unnamed_aggregates_of_issue_29_are_named_by_their_text() {
    let dir = sample_workdir();
    let mut session = SqlSession::open(&Workdir::new(dir.path()));
    let frame = session.query("SELECT max(distance), min(distance), avg(distance) FROM recommendations").unwrap();
    let names: Vec<&str> = frame.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(names, ["max(distance)", "min(distance)", "avg(distance)"]);
}

#[test]
fn shapes_polars_cannot_run_are_named_with_the_rewrite_that_works() {
    let dir = sample_workdir();
    let mut session = SqlSession::open(&Workdir::new(dir.path()));
    let refused = [
        (
            "SELECT title, (SELECT count(*) FROM recommendations r WHERE r.track_id = t.track_id) FROM tracks t",
            &["refers to `t` of the outer query", "correlated subquery", "LEFT JOIN (SELECT key, count(*)"][..],
        ),
        (
            "SELECT artist_name, row_number() OVER (PARTITION BY artist_name ORDER BY duration_s DESC, track_id) FROM tracks",
            &["mixes ASC and DESC", "ORDER BY -duration_s, track_id"],
        ),
        (
            "SELECT t.title, g.n FROM tracks t CROSS JOIN UNNEST(t.genres) WITH ORDINALITY AS g(genre, n)",
            &["UNNEST(t.genres) AS genre"],
        ),
        ("SELECT title FROM tracks WHERE duration_s > (SELECT duration_s FROM tracks)", &["gives 93 row(s)", "LIMIT 1"]),
        ("SELECT titel FROM tracks", &["no column `titel`", "tracks: track_id, title,"]),
        ("SELECT * FROM track", &["no table `track`", "tracks"]),
        ("SELECT x.title FROM tracks t", &["`x.` names no table or alias"]),
        ("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY tempo) FROM tracks", &["no function `percentile_cont`", "quantile_cont(x, 0.9)"]),
        ("SELECT a.title, b.title FROM tracks a JOIN tracks b ON a.track_id = b.track_id", &["two result columns are named `title`"]),
        ("SELECT 1; SELECT 2", &["2 statements given"]),
        ("DELETE FROM tracks", &["only read-only queries", "got `DELETE`"]),
        ("SELEC title FROM tracks", &["does not parse", "SELEC"]),
    ];
    for (sql, expected) in refused {
        let message = session.query(sql).expect_err(sql).to_string();
        for part in expected {
            assert!(message.contains(part), "{sql}\n  gave: {message}\n  missing: {part}");
        }
        assert!(!message.contains("Resolved plan"), "{message}");
    }
}

#[test]
fn order_by_all_sorts_on_every_selected_column() {
    let dir = sample_workdir();
    let mut session = SqlSession::open(&Workdir::new(dir.path()));
    let frame = session.query("SELECT artist_name, count(*) AS n FROM tracks GROUP BY ALL ORDER BY ALL").unwrap();
    let names: Vec<String> = frame.column("artist_name").unwrap().str().unwrap().iter().flatten().map(String::from).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names.len(), 22);
    assert_eq!(names, sorted);
}

#[test]
fn issue_29s_first_query_as_typed_gives_duckdbs_counts() {
    let answers: Value = serde_json::from_slice(&std::fs::read(fixtures().join("answers.json")).unwrap()).unwrap();
    let tie_broken = answers["queries"].as_array().unwrap().iter().find(|q| q["name"] == "issue_top_artists").unwrap();
    let want: Vec<f64> = tie_broken["rows"].as_array().unwrap().iter().map(|r| r[1].as_f64().unwrap()).collect();

    let dir = sample_workdir();
    let mut session = SqlSession::open(&Workdir::new(dir.path()));
    let sql = "SELECT artist_name, count(*) FROM tracks GROUP BY artist_name ORDER BY count(*) DESC LIMIT 5";
    let frame = session.query(sql).unwrap();
    // Three artists tie for 5th place with 6 songs: the counts are determined, the 5th name is not.
    let got: Vec<f64> = rows_of(&frame).iter().map(|r| r[1].as_f64().unwrap()).collect();
    assert_eq!(got, want);
}
