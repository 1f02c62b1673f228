//! `timbral-fuzz [--iterations N] [--seed S] [--kind K]... [--findings DIR]`: runs the mutation
//! campaign and prints, per input kind, iterations, accepted and rejected inputs, panics, hangs,
//! unclear errors, the slowest iteration and the peak heap of one input. Exits non-zero when
//! any input panicked, hung or was rejected without naming itself.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use timbral_fuzz::alloc::PeakAlloc;
use timbral_fuzz::campaign::{KindReport, Limits, install_panic_hook, run_kind};
use timbral_fuzz::targets::Kind;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc::new();

#[derive(Debug, Parser)]
#[command(name = "timbral-fuzz", about = "Mutation-fuzz every input kind timbral ingests")]
struct Args {
    /// Mutated inputs per kind.
    #[arg(long, default_value_t = 500)]
    iterations: usize,
    /// Seed of the mutation sequence.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Kinds to run (repeatable); all when absent.
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<String>,
    /// Wall seconds after which one input counts as a hang.
    #[arg(long, default_value_t = 20)]
    time_limit: u64,
    /// Live heap (MiB) past which an allocation fails and the run aborts.
    #[arg(long, default_value_t = 2048)]
    memory_limit_mib: usize,
    /// Folder where panicking (minimised), hanging and unclear inputs are written, as
    /// `<kind>/<what>-<iteration>.seed<index>.bin`: the layout of the crate's `regressions/`.
    #[arg(long, default_value = "target/fuzz-findings")]
    findings: PathBuf,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let kinds = if args.kinds.is_empty() {
        Kind::all()
    } else {
        args.kinds
            .iter()
            .map(|name| {
                Kind::from_name(name).ok_or_else(|| {
                    let known: Vec<_> = Kind::all().iter().map(|k| k.name()).collect();
                    anyhow::anyhow!("unknown kind `{name}`; known: {}", known.join(", "))
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    install_panic_hook();
    HEAP.set_limit(args.memory_limit_mib << 20);
    let mut limits = Limits { time: Duration::from_secs(args.time_limit), ..Limits::default() };
    limits.analyzer.time_limit = Some(Duration::from_secs(args.time_limit.div_ceil(2)));
    let scratch = tempfile::tempdir()?;
    println!(
        "{:<15} {:>10} {:>8} {:>8} {:>6} {:>5} {:>7} {:>11} {:>9}",
        "kind", "iterations", "accepted", "rejected", "panics", "hangs", "unclear", "slowest ms", "peak MiB"
    );
    let mut clean = true;
    for kind in kinds {
        let report = run_kind(kind, args.iterations, args.seed, &limits, scratch.path(), Some(&HEAP))?;
        print_row(&report);
        clean &= report.is_clean();
        save_findings(&args.findings, &report)?;
    }
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_row(r: &KindReport) {
    println!(
        "{:<15} {:>10} {:>8} {:>8} {:>6} {:>5} {:>7} {:>11.1} {:>9.1}",
        r.kind,
        r.iterations,
        r.accepted,
        r.rejected,
        r.panics.len(),
        r.hangs.len(),
        r.unclear.len(),
        r.slowest.as_secs_f64() * 1e3,
        r.peak_bytes as f64 / f64::from(1 << 20)
    );
    let findings = [("panic", &r.panics), ("hang", &r.hangs), ("unclear", &r.unclear)];
    for (label, list) in findings {
        for f in list.iter() {
            println!("  {label} at iteration {}: {}", f.iteration, f.what.replace('\n', " "));
        }
    }
}

fn save_findings(dir: &std::path::Path, r: &KindReport) -> std::io::Result<()> {
    let findings = [("panic", &r.panics), ("hang", &r.hangs), ("unclear", &r.unclear)];
    for (label, list) in findings {
        for f in list.iter() {
            let path = dir.join(r.kind).join(format!("{label}-{}.seed{}.bin", f.iteration, f.seed));
            std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
            std::fs::write(&path, &f.input)?;
            println!("  saved {}", path.display());
        }
    }
    Ok(())
}
