//! How a failure reaches the user: one line, each cause once, and for a table that is not
//! there yet the command that writes it.

use std::path::Path;

use timbral_core::contract::Layer;
use timbral_core::{Error, Table, Workdir};
use timbral_pipeline::{Plan, analysis_stages};

/// The text printed after `error: `.
pub fn message(err: &anyhow::Error, workdir: &Workdir, seed: u64) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        // A wrapper often quotes its cause already ("path: not a directory").
        if !text.contains(&cause) {
            text = if text.is_empty() { cause } else { format!("{text}: {cause}") };
        }
    }
    let mut text = without_os_error_codes(&text);
    if let Some(Error::MissingTable { table, path }) = err.downcast_ref::<Error>() {
        text.push_str(&writer_hint(table, path, workdir, seed));
    }
    text
}

/// `text` without the ` (os error 2)` that std appends to a system error's description.
fn without_os_error_codes(text: &str) -> String {
    let mut rest = text;
    let mut out = String::new();
    while let Some(start) = rest.find(" (os error ") {
        let tail = &rest[start + " (os error ".len()..];
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&rest[..start]);
        if digits > 0 && tail[digits..].starts_with(')') {
            rest = &tail[digits + 1..];
        } else {
            out.push_str(" (os error ");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// `; run timbral X first ...`: the stage whose outputs include `path`, or ingestion for an
/// interim table.
fn writer_hint(table: &str, path: &Path, workdir: &Workdir, seed: u64) -> String {
    let stage = Plan::defaults(seed)
        .ok()
        .and_then(|plan| analysis_stages(workdir, &plan).into_iter().find(|s| s.outputs.iter().any(|o| o == path)));
    match (stage, Table::from_name(table).map(|t| t.spec().layer)) {
        (Some(stage), _) => format!("; run `timbral {}` first (or `timbral run`, which runs every stage)", stage.name),
        (None, Some(Layer::Interim)) => "; ingest songs first (`timbral ingest audio MUSIC_DIR`), or `timbral run` for \
             the bundled sample"
            .to_string(),
        (None, _) => "; docs/data-contract.md says which command writes it".to_string(),
    }
}

/// The error of a command that reads tables run where there are none.
pub fn no_tables(workdir: &Workdir) -> anyhow::Error {
    let root = workdir.root().display();
    let state = if workdir.root().is_dir() { "has no tables" } else { "does not exist" };
    anyhow::anyhow!(
        "workdir {root} {state}: run `timbral --workdir {root} run` (the bundled sample) or \
         `timbral --workdir {root} ingest audio MUSIC_DIR` first, or pass --workdir DIR of a workdir that has tables"
    )
}
