//! `timbral features`: per-track timbre features from `segments`.

use timbral_features::{FeatureSet, compute_features};

use super::{Context, SetArg};

/// How many excluded tracks to list before summarising the rest.
const EXCLUDED_SHOWN: usize = 20;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Which feature set to compute.
    #[arg(long, value_enum, default_value = "seed")]
    pub set: SetArg,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    run_with(ctx, args.set.into())
}

/// The stage with typed parameters, printing what `timbral features` prints.
pub fn run_with(ctx: &Context, set: FeatureSet) -> anyhow::Result<()> {
    let summary = compute_features(&ctx.workdir, set)?;
    if ctx.quiet {
        return Ok(());
    }
    println!(
        "features ({}): {} tracks x {} columns from {} segments -> {}",
        summary.set,
        summary.tracks,
        summary.columns,
        summary.segments,
        summary.path.display()
    );
    if !summary.excluded.is_empty() {
        println!(
            "excluded {} track(s) (also in ingest_errors, stage = features):",
            summary.excluded.len()
        );
        for track in summary.excluded.iter().take(EXCLUDED_SHOWN) {
            println!("  {}: {}", track.track_id, track.reason);
        }
        if summary.excluded.len() > EXCLUDED_SHOWN {
            println!("  ... and {} more", summary.excluded.len() - EXCLUDED_SHOWN);
        }
    }
    Ok(())
}
