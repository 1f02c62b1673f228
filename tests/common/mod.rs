//! What the binary's integration tests share: the tables a run writes and reading them.
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use polars::prelude::*;
use timbral_core::{Table, Workdir};

/// The interim tables `timbral ingest audio` writes.
pub const INGEST_TABLES: [Table; 3] = [Table::Tracks, Table::Artists, Table::Segments];

/// The processed tables of `timbral run` that the resume checks compare with an uninterrupted
/// run (all but `cluster_quality`).
pub fn analysis_tables() -> Vec<Table> {
    let cluster = timbral_cluster::CLUSTER_TABLES.into_iter().filter(|&t| t != Table::ClusterQuality);
    let similarity = timbral_similarity::SIMILARITY_TABLES;
    std::iter::once(Table::Features).chain(cluster).chain(similarity).chain([Table::Eval]).collect()
}

pub fn table_path(root: &Path, table: Table) -> std::path::PathBuf {
    Workdir::new(root).table_path(table)
}

pub fn read(root: &Path, table: Table) -> DataFrame {
    read_file(&table_path(root, table))
}

pub fn read_file(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

/// The stdout of a `timbral` run that must succeed; its stderr and stdout when it did not.
pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "timbral failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
