//! `timbral ingest audio DIR... [--metadata CSV] [--jobs N] [--force]`.

use std::path::PathBuf;
use std::time::Duration;

use timbral_ingest::audio::{AnalyzerConfig, AudioIngestOptions, EmbedOptions, ingest_audio};

use super::super::Context;

/// How many failures the summary lists before pointing at `ingest_errors`.
const ERRORS_SHOWN: usize = 5;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Directories scanned recursively for ogg, oga, mp3, flac, wav, m4a, aac and opus files.
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// CSV overriding tags: key column `path` (relative to DIR), optional columns artist,
    /// title, album and genre (several genres separated by `;`); other columns are ignored.
    #[arg(long, value_name = "CSV")]
    pub metadata: Option<PathBuf>,
    /// Files analysed in parallel; 0 means one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Re-analyse files that are already ingested.
    #[arg(long)]
    pub force: bool,
    /// Seconds one file may take to decode and analyse before it is recorded as failed; 0 for
    /// no limit.
    #[arg(long, value_name = "SECONDS", default_value_t = default_file_timeout())]
    pub file_timeout: u64,
    /// Skip the musicnn embedding (the `embeddings` table; the default space needs it).
    #[arg(long)]
    pub no_embed: bool,
    /// Patches of 3 s embedded per song at most, evenly spaced over it.
    #[arg(long, value_name = "N", default_value_t = EmbedOptions::default().max_patches,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_patches: usize,
}

/// `--file-timeout`'s default: the analyzer's own time limit.
fn default_file_timeout() -> u64 {
    AnalyzerConfig::default().time_limit.map_or(0, |limit| limit.as_secs())
}

impl Args {
    /// The command line's defaults for these folders (`timbral run --audio`).
    pub fn for_dirs(dirs: Vec<PathBuf>, metadata: Option<PathBuf>, force: bool) -> Args {
        Args {
            dirs,
            metadata,
            jobs: 0,
            force,
            file_timeout: default_file_timeout(),
            no_embed: false,
            max_patches: EmbedOptions::default().max_patches,
        }
    }

    pub fn options(&self) -> AudioIngestOptions {
        AudioIngestOptions {
            dirs: self.dirs.clone(),
            metadata: self.metadata.clone(),
            jobs: self.jobs,
            force: self.force,
            analyzer: AnalyzerConfig {
                time_limit: (self.file_timeout > 0).then(|| Duration::from_secs(self.file_timeout)),
                ..AnalyzerConfig::default()
            },
            embed: (!self.no_embed).then(|| EmbedOptions { max_patches: self.max_patches }),
        }
    }
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    run_with(ctx, &args.options())
}

/// The ingestion with typed options, printing what `timbral ingest audio` prints.
pub fn run_with(ctx: &Context, options: &AudioIngestOptions) -> anyhow::Result<()> {
    let summary = ingest_audio(&ctx.workdir, options)?;
    println!(
        "audio: {} found, {} analysed, {} skipped (already ingested), {} failed, {} with unknown artist",
        summary.found, summary.analysed, summary.skipped, summary.failed, summary.unknown_artist
    );
    for error in summary.errors.iter().take(ERRORS_SHOWN) {
        println!("  failed: {}: {}", error.location, error.error);
    }
    if summary.failed > ERRORS_SHOWN {
        println!("  ... see `timbral sql \"SELECT * FROM ingest_errors\"`");
    }
    if let Some(tables) = summary.tables {
        println!(
            "tables: {} tracks, {} artists, {} segments, {} embeddings",
            tables.tracks, tables.artists, tables.segments, tables.embeddings
        );
    }
    Ok(())
}
