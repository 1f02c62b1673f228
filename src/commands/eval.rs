//! `timbral eval`: quality metrics, checked against a TOML thresholds file.

use std::path::{Path, PathBuf};

use timbral_similarity::{ParamGuard, eval};
use timbral_similarity::hyperparams::EvalParams;

use super::{Context, KnnArg};

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Writes the eval table. With --checks, exits non-zero when a metric \
misses its threshold (see checks/sample.toml for the format).")]
pub struct Args {
    /// TOML file of thresholds: [metrics.NAME] min = .. / max = ..
    #[arg(long)]
    pub checks: Option<PathBuf>,
    /// Song representation of the neighbour searches behind the precision metrics (as
    /// `timbral similarity --space`).
    #[arg(long, default_value = "auto")]
    pub space: timbral_similarity::Space,
    /// Neighbours per song in precision@k.
    #[arg(short, default_value_t = EvalParams::defaults().k())]
    pub k: usize,
    /// Seeded label shuffles averaged into each baseline.
    #[arg(long, default_value_t = EvalParams::defaults().shuffles())]
    pub shuffles: usize,
    /// Neighbour search behind precision@k.
    #[arg(long, value_enum, default_value = "auto")]
    pub knn: KnnArg,
    /// Score every song representation side by side instead (table representation_eval; see
    /// docs/similarity.md); --space, --knn and --checks do not apply.
    #[arg(long, conflicts_with = "checks")]
    pub compare: bool,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let params = EvalParams::builder()
        .space(args.space)
        .k(args.k)
        .shuffles(args.shuffles)
        .knn(args.knn.into())
        .seed(ctx.seed)
        .check()?;
    if args.compare {
        return compare(ctx, &params);
    }
    run_with(ctx, &params, args.checks.as_deref())
}

/// `--compare`: prints representation x metric (value and 95% interval) and the gains over
/// `study` and `codebook` of the metrics that choose the default.
fn compare(ctx: &Context, params: &EvalParams) -> anyhow::Result<()> {
    let scored = eval::compare::run(&ctx.workdir, params)?;
    let k = params.k();
    let artist_k = eval::compare::ARTIST_K;
    let columns = [
        format!("artist_precision_at_{k}_lift"),
        format!("genre_precision_at_{k}_lift"),
        format!("genre_precision_other_artists_at_{k}_lift"),
        "artist_pair_auc".to_string(),
        "genre_pair_auc".to_string(),
        format!("artist_genre_precision_at_{artist_k}_lift"),
    ];
    let cell = |s: &eval::compare::Scored, name: &str| -> String {
        match s.scores.iter().find(|m| m.metric == name) {
            Some(m) => match (m.value, m.ci) {
                (Some(v), Some((lo, hi))) => format!("{v:.3} [{lo:.3}, {hi:.3}]"),
                (Some(v), None) => format!("{v:.3}"),
                _ => "n/a".to_string(),
            },
            None => String::new(),
        }
    };
    let default = timbral_similarity::Space::Auto.resolve(&ctx.workdir);
    let sections = [
        ("metric (95% bootstrap interval)", "", None),
        ("gain over study (paired)", "_gain", Some(timbral_similarity::Space::Study)),
        ("gain over codebook (paired)", "_gain_over_codebook", Some(timbral_similarity::Space::Codebook)),
    ];
    for (title, suffix, baseline) in sections {
        if baseline.is_some_and(|b| !scored.iter().any(|s| s.space == b)) {
            continue;
        }
        println!("{title}");
        print!("{:<12}", "space");
        columns.iter().for_each(|c| print!("  {c:>26}"));
        println!();
        for s in scored.iter().filter(|s| Some(s.space) != baseline) {
            let mark = if s.space == default { "*" } else { "" };
            print!("{:<12}", format!("{}{mark}", s.space.name()));
            columns.iter().for_each(|c| print!("  {:>26}", cell(s, &format!("{c}{suffix}"))));
            println!();
        }
        println!();
    }
    println!("* the default; every metric and its interval are in table representation_eval");
    Ok(())
}

/// The stage with typed parameters and an optional thresholds file, printing the metrics.
pub fn run_with(ctx: &Context, params: &EvalParams, checks: Option<&Path>) -> anyhow::Result<()> {
    let checks = eval::load_checks(checks)?;
    let report = eval::run(&ctx.workdir, params, checks.as_ref())?;
    println!("{:<34}  {:>10}  {:>14}  result", "metric", "value", "threshold");
    for m in &report.metrics {
        let value = m.metric.value.map_or("n/a".to_string(), |v| format!("{v:.4}"));
        let threshold = match m.bound {
            Some(b) => match (b.min, b.max) {
                (Some(lo), Some(hi)) => format!("[{lo}, {hi}]"),
                (Some(lo), None) => format!(">= {lo}"),
                (None, Some(hi)) => format!("<= {hi}"),
                (None, None) => String::new(),
            },
            None => String::new(),
        };
        let result = match m.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "",
        };
        println!("{:<34}  {:>10}  {:>14}  {result}", m.metric.name, value, threshold);
    }
    let failed = report.failed();
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|m| m.metric.name.as_str()).collect();
        anyhow::bail!("{} check(s) failed: {}", names.len(), names.join(", "));
    }
    Ok(())
}
