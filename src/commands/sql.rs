//! `timbral sql` and `timbral tables`: ad-hoc, read-only SQL over every table of the workdir.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use polars::prelude::*;
use timbral_core::sql::{SqlSession, table_summary};
use timbral_core::{Table, Workdir, io};

use super::Context;
use crate::errors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Every table of the workdir is registered under its name (`timbral tables` lists them). \
Shapes Polars' SQL lacks are rewritten (ORDER BY count(*), unnamed aggregates, scalar subqueries in arithmetic) \
or refused with the rewrite to use: see docs/sql.md.")]
pub struct Args {
    /// The query; without it an interactive prompt opens.
    pub query: Option<String>,
    /// Output format [default: from the --output extension (.csv, .json, .parquet), else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to FILE instead of standard output (required for parquet).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Rows shown by the table format; the others are counted.
    #[arg(long, default_value_t = 100)]
    pub max_rows: usize,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let mut session = SqlSession::open(&ctx.workdir);
    match &args.query {
        Some(query) => {
            let mut result = session.query(query)?;
            emit(&mut result, args)
        }
        None => repl(&mut session, ctx, args),
    }
}

/// The format asked for, or the one the output file's extension names.
fn format(args: &Args) -> Format {
    let by_extension = || {
        let extension = args.output.as_ref()?.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    };
    args.format.or_else(by_extension).unwrap_or(Format::Table)
}

fn emit(result: &mut DataFrame, args: &Args) -> anyhow::Result<()> {
    let format = format(args);
    if format == Format::Parquet && args.output.is_none() {
        bail!("--format parquet needs --output FILE");
    }
    let mut bytes = Vec::new();
    match format {
        Format::Table => {
            let shown = result.head(Some(args.max_rows));
            writeln!(bytes, "{}", render_table(&shown))?;
            if result.height() > shown.height() {
                writeln!(bytes, "({} rows, first {} shown)", result.height(), shown.height())?;
            }
        }
        Format::Csv => CsvWriter::new(&mut bytes).include_header(true).finish(result)?,
        Format::Json => JsonWriter::new(&mut bytes)
            .with_json_format(JsonFormat::Json)
            .finish(result)?,
        Format::Parquet => ParquetWriter::new(&mut bytes).finish(result).map(|_| ())?,
    }
    match &args.output {
        Some(path) => io::write_bytes_atomic(path, &bytes)?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

/// An aligned text table: every column and row shown, values of lists and floats as Polars prints them.
fn render_table(frame: &DataFrame) -> String {
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let cells: Vec<Vec<String>> = (0..frame.height())
        .map(|row| {
            frame
                .columns()
                .iter()
                .map(|column| match column.get(row) {
                    Ok(AnyValue::String(s)) => s.to_string(),
                    Ok(AnyValue::StringOwned(s)) => s.to_string(),
                    Ok(AnyValue::Null) => "null".to_string(),
                    Ok(value) => value.to_string(),
                    Err(_) => "?".to_string(),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(j, h)| {
            cells
                .iter()
                .map(|r| r[j].chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![
        line(&headers),
        widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "),
    ];
    out.extend(cells.iter().map(|r| line(r)));
    out.join("\n")
}

fn repl(session: &mut SqlSession, ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = ctx.workdir.root().join(".timbral_sql_history");
    let _ = editor.load_history(&history);
    println!(
        "timbral SQL on {} (tables: {}). End with Ctrl-D.",
        ctx.workdir.root().display(),
        session.tables().join(", ")
    );
    loop {
        match editor.readline("sql> ") {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                match session.query(&line) {
                    Ok(mut result) => {
                        if let Err(err) = emit(&mut result, args) {
                            eprintln!("error: {}", errors::message(&err, &ctx.workdir, ctx.seed));
                        }
                    }
                    Err(err) => eprintln!("error: {}", errors::message(&err.into(), &ctx.workdir, ctx.seed)),
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    let _ = editor.save_history(&history);
    Ok(())
}

/// `timbral tables`: each table with its row count and schema.
pub fn list_tables(ctx: &Context) -> anyhow::Result<()> {
    for table in ctx.workdir.existing_tables() {
        print_table_summary(&ctx.workdir, table)?;
    }
    Ok(())
}

fn print_table_summary(workdir: &Workdir, table: Table) -> anyhow::Result<()> {
    let (rows, schema) = table_summary(workdir, table)?;
    println!("{} ({rows} rows)", table.name());
    for (name, dtype) in schema.iter() {
        println!("  {name}: {dtype}");
    }
    Ok(())
}
