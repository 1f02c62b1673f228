//! The report's inputs at catalogue scale, without the rest of the pipeline: writes every table
//! `timbral report` reads, contract-valid (each goes through `Workdir::write_table`), for N songs
//! by M artists in G genres, with seeded random but realistic structure; then times the report.
//!
//!   cargo run --release -p timbral-report --example report_at_scale -- write DIR SONGS ARTISTS GENRES
//!   cargo run --release -p timbral-report --example report_at_scale -- report DIR
//!
//! The tables' structure is described in `tests/common/scale.rs`. `bench/report.sh N` runs both
//! steps.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::scale::write_catalogue;
use timbral_core::Workdir;
use timbral_report::{write_report, ReportOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> usize {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("write") if args.len() == 5 => {
            let workdir = Workdir::new(&args[1]);
            let start = Instant::now();
            write_catalogue(&workdir, number(2), number(3), number(4));
            println!("wrote the tables in {:.1} s", start.elapsed().as_secs_f64());
        }
        Some("report") if args.len() == 2 => {
            let workdir = Workdir::new(&args[1]);
            let start = Instant::now();
            let summary = write_report(&workdir, &ReportOptions::default()).expect("report");
            println!("report: {:.2} s, {} figures", start.elapsed().as_secs_f64(), summary.figures.len());
            for (title, notices) in &summary.sections {
                for notice in notices {
                    println!("  {title}: {notice}");
                }
            }
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: report_at_scale write DIR SONGS ARTISTS GENRES | report DIR");
    std::process::exit(2)
}

