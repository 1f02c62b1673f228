//! Throughput benchmark of `ingest json` (documents per second), run by `bench/ingest_json.sh`
//! on documents made by `fixtures/json/make_bench_docs.py`. Ignored by `cargo test`: it needs
//! the generated folder in `TIMBRAL_BENCH_DOCS` and an optimised build to mean anything.

use std::time::Instant;

use timbral_core::{Table, Workdir};
use timbral_ingest::json::{JsonParams, ingest_json};

#[test]
#[ignore = "benchmark: run bench/ingest_json.sh"]
fn json_documents_per_second() {
    let docs = std::env::var("TIMBRAL_BENCH_DOCS").expect("set TIMBRAL_BENCH_DOCS to a folder of documents");
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let params = JsonParams { dir: docs.into(), ..Default::default() };
    let started = Instant::now();
    let summary = ingest_json(&wd, &params).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let segments = wd.read_table(Table::Segments).unwrap().height();
    println!(
        "ingest json: {} documents, {segments} segments in {seconds:.2} s = {:.1} documents/s",
        summary.ingested,
        summary.ingested as f64 / seconds
    );
    assert_eq!(summary.failed, 0);
}
