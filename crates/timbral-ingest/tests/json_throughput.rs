//! Throughput benchmark of `ingest json` (documents per second), run by `bench/ingest_json.sh`
//! on documents made by `fixtures/json/make_bench_docs.py`. Ignored by `cargo test`: it needs
//! the generated folder in `TIMBRAL_BENCH_DOCS` and an optimised build to mean anything.

use std::time::Instant;

use timbral_core::{Table, Workdir};
use timbral_ingest::json::{JsonParams, read_json_dir};
use timbral_ingest::tables::commit;

#[test]
#[ignore = "benchmark: run bench/ingest_json.sh"]
fn json_documents_per_second() {
    let docs = std::env::var("TIMBRAL_BENCH_DOCS").expect("set TIMBRAL_BENCH_DOCS to a folder of documents");
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let params = JsonParams { dir: docs.into(), ..Default::default() };
    let started = Instant::now();
    let read = read_json_dir(&params).unwrap();
    let parsed = started.elapsed().as_secs_f64();
    let summary = commit(&wd, &read.batch, &read.attempted, &read.errors).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let segments = wd.read_table(Table::Segments).unwrap().height();
    println!(
        "ingest json: {} documents, {segments} segments in {seconds:.2} s = {:.1} documents/s \
         (reading and parsing {parsed:.2} s = {:.1} documents/s, merging into Parquet {:.2} s)",
        summary.ingested,
        summary.ingested as f64 / seconds,
        summary.ingested as f64 / parsed,
        seconds - parsed
    );
    assert_eq!(summary.failed, 0);
}
