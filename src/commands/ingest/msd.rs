use std::path::PathBuf;

use timbral_ingest::msd::{DEFAULT_TERM_WEIGHT_MIN, MsdParams, ingest_msd};

use super::super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Folder of per-track `.h5` files, searched recursively [default: <workdir>/data/raw/msd].
    pub dir: Option<PathBuf>,
    /// Minimum `artist_terms_weight` (0..1) of an artist term kept as a genre.
    #[arg(long, default_value_t = DEFAULT_TERM_WEIGHT_MIN)]
    pub term_weight_min: f64,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let params = MsdParams {
        dir: args.dir.clone().unwrap_or_else(|| ctx.workdir.raw_dir().join("msd")),
        term_weight_min: args.term_weight_min,
    };
    let summary = ingest_msd(&ctx.workdir, &params)?;
    println!("msd: {summary}");
    Ok(())
}
