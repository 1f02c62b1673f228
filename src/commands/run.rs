//! `timbral run`: every stage in order (ingest, features, cluster, similarity, eval, report),
//! on the stage graph of `timbral-pipeline`: a stage is skipped when the manifest shows it
//! finished with the same parameters on inputs with the same content and its outputs are
//! unchanged; `--force` redoes everything. This module only chooses the input and prints.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use timbral_core::{Table, Workdir, io};
use timbral_ingest::json::JsonParams;
use timbral_pipeline::{Plan, Runner, Stage, StageKind};

use super::{Context, cluster, eval, features, ingest, report, similarity};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Audio folders to analyse first (repeatable).
    #[arg(long)]
    pub audio: Vec<PathBuf>,
    /// Metadata CSV for --audio (key column `path`, relative to the folder).
    #[arg(long, requires = "audio")]
    pub metadata: Option<PathBuf>,
    /// A folder of saved Spotify audio-analysis JSON documents to ingest first.
    #[arg(long, conflicts_with = "audio")]
    pub json: Option<PathBuf>,
    /// Redo every stage, even those whose inputs and parameters are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Song representation of the cluster, similarity and eval stages: one space for the map,
    /// the clusters and the recommendations (see `timbral similarity --help`).
    #[arg(long, default_value = "auto")]
    pub space: timbral_similarity::Space,
}

/// The bundled sample: interim tables of the development corpus (see data/sample/ATTRIBUTION.md),
/// embedded so that `timbral run` works from any directory.
const SAMPLE: [(Table, &[u8]); 4] = [
    (Table::Tracks, include_bytes!("../../data/sample/tracks.parquet")),
    (Table::Artists, include_bytes!("../../data/sample/artists.parquet")),
    (Table::Segments, include_bytes!("../../data/sample/segments.parquet")),
    (Table::Embeddings, include_bytes!("../../data/sample/embeddings.parquet")),
];

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let workdir = &ctx.workdir;
    let plan = Plan::new(ctx.seed, args.space)?;
    let mut runner = Runner::new(workdir, args.force);
    ingest_inputs(ctx, args, &mut runner)?;
    runner.run_analysis(
        &plan,
        |stage| run_stage(ctx, &plan, stage).with_context(|| format!("stage `{}` failed", stage.name)),
        |name, skipped| println!("{name}: {skipped}"),
    )?;
    println!("report: {}", workdir.reports_dir().join("index.html").display());
    println!("explorer: {}", workdir.reports_dir().join("explorer.html").display());
    Ok(())
}

/// One stage, as its single command runs it with its defaults.
fn run_stage(ctx: &Context, plan: &Plan, stage: &Stage) -> anyhow::Result<()> {
    match stage.kind {
        StageKind::Features => features::run_with(ctx, plan.features),
        StageKind::Cluster => cluster::run_with(ctx, &plan.cluster, plan.space, false),
        StageKind::Similarity => similarity::run_with(ctx, &plan.similarity),
        StageKind::UnclusteredSimilarity => similarity::run_unclustered_with(ctx, &plan.similarity),
        StageKind::Eval => eval::run_with(ctx, &plan.eval, None),
        StageKind::Report => report::run_with(ctx, &plan.report),
    }
}

/// Ingests the given inputs, or falls back to the interim tables already present, or to the
/// bundled sample; says which data the run uses.
fn ingest_inputs(ctx: &Context, args: &Args, runner: &mut Runner) -> anyhow::Result<()> {
    let workdir = &ctx.workdir;
    let started = Instant::now();
    let description = if !args.audio.is_empty() {
        let source = ingest::audio::Args::for_dirs(args.audio.clone(), args.metadata.clone(), args.force);
        ingest::audio::run_with(ctx, &source.options())?;
        format!("audio in {}", join_paths(&args.audio))
    } else if let Some(json) = &args.json {
        let params = JsonParams { dir: json.clone(), metadata: None, audio_features: None };
        ingest::json::run_with(ctx, &params)?;
        format!("saved audio-analysis JSON in {}", json.display())
    } else if workdir.has_table(Table::Tracks) {
        format!("the interim tables in {}", workdir.interim_dir().display())
    } else {
        install_sample(workdir)?;
        "the bundled sample (93 openly licensed recordings by 22 artists; data/sample/ATTRIBUTION.md)"
            .to_string()
    };
    let tracks = workdir.read_table(Table::Tracks)?;
    println!("running on {description}: {} songs", tracks.height());
    runner.record_ingest(&description, started)?;
    Ok(())
}

fn install_sample(workdir: &Workdir) -> anyhow::Result<()> {
    for (table, bytes) in SAMPLE {
        io::write_bytes_atomic(&workdir.table_path(table), bytes)?;
    }
    Ok(())
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
