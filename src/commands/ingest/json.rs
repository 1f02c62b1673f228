use std::path::PathBuf;

use timbral_ingest::json::{JsonParams, ingest_json};

use super::super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Folder of saved audio-analysis documents, `<track id>.json` [default: <workdir>/data/raw/json].
    pub dir: Option<PathBuf>,
    /// CSV with `track_id` and any of `artist`, `title`, `album`, `genre` (`;`-separated).
    #[arg(long)]
    pub metadata: Option<PathBuf>,
    /// Spotify audio features: a JSON array (or the API's `{"audio_features": [...]}`) or a CSV.
    #[arg(long)]
    pub audio_features: Option<PathBuf>,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let params = JsonParams {
        dir: args.dir.clone().unwrap_or_else(|| ctx.workdir.raw_dir().join("json")),
        metadata: args.metadata.clone(),
        audio_features: args.audio_features.clone(),
    };
    run_with(ctx, &params)
}

/// The ingestion with typed parameters, printing its summary.
pub fn run_with(ctx: &Context, params: &JsonParams) -> anyhow::Result<()> {
    let summary = ingest_json(&ctx.workdir, params)?;
    println!("json: {summary}");
    Ok(())
}
