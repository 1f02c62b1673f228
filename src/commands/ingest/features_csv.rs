use std::path::PathBuf;

use timbral_ingest::features_csv::ingest_features_csv;

use super::super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Audio-features CSV (e.g. Kaggle SpotifyFeatures.csv) [default: <workdir>/data/raw/features.csv].
    pub file: Option<PathBuf>,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let file = args.file.clone().unwrap_or_else(|| ctx.workdir.raw_dir().join("features.csv"));
    let summary = ingest_features_csv(&ctx.workdir, &file)?;
    println!("features-csv: {summary}");
    Ok(())
}
