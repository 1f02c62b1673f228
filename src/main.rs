//! `timbral`: cluster a music catalogue and recommend songs from audio analysis alone.
//! This file only parses arguments and dispatches to `commands`.

mod commands;
mod errors;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Context;
use timbral_core::{WhenHeld, WorkdirLock};

#[derive(Debug, Parser)]
#[command(name = "timbral", version, about, long_about = None)]
struct Cli {
    /// Working directory holding data/raw, data/interim, data/processed and reports/.
    #[arg(long, global = true, default_value = ".")]
    workdir: std::path::PathBuf,
    /// Seed for every random step.
    #[arg(long, global = true, default_value_t = 42)]
    seed: u64,
    /// Silence progress bars and logs.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// When another timbral process is writing the workdir, wait for it instead of failing.
    #[arg(long, global = true)]
    wait: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every stage in order: ingest, features, cluster, similarity, eval, report.
    Run(commands::run::Args),
    /// Ingest a source into the interim tables.
    #[command(subcommand)]
    Ingest(commands::ingest::Source),
    /// Write synthetic interim tables shaped like Echo Nest data, for benchmarks.
    Synth(commands::synth::Args),
    /// Compute per-track timbre features from segments.
    Features(commands::features::Args),
    /// Standardise, reduce (PCA, UMAP) and cluster (K-Means, DBSCAN, HDBSCAN).
    Cluster(commands::cluster::Args),
    /// Place songs added since the last `cluster` into its maps and clusters, without refitting.
    Place(commands::cluster::PlaceArgs),
    /// Genre density, artist cohesion, artist similarity and recommendations.
    Similarity(commands::similarity::Args),
    /// Print the songs nearest to one song.
    Recommend(commands::recommend::Args),
    /// Print an artist's nearest and farthest artists.
    Artists(commands::artists::Args),
    /// Compute quality metrics and check them against thresholds.
    Eval(commands::eval::Args),
    /// Write reports/index.html and reports/figures/*.png.
    Report(commands::report::Args),
    /// Run a read-only SQL query over every table (a REPL without QUERY).
    Sql(commands::sql::Args),
    /// List the tables with row counts and schemas.
    Tables,
}

impl Command {
    /// The subcommand's name as typed, for the lock holder's description.
    fn name(&self) -> &'static str {
        match self {
            Command::Run(_) => "run",
            Command::Ingest(_) => "ingest",
            Command::Synth(_) => "synth",
            Command::Features(_) => "features",
            Command::Cluster(_) => "cluster",
            Command::Place(_) => "place",
            Command::Similarity(_) => "similarity",
            Command::Recommend(_) => "recommend",
            Command::Artists(_) => "artists",
            Command::Eval(_) => "eval",
            Command::Report(_) => "report",
            Command::Sql(_) => "sql",
            Command::Tables => "tables",
        }
    }

    /// Whether the command reads the workdir's tables, and so fails at once where there are none.
    fn reads_tables(&self) -> bool {
        !matches!(self, Command::Run(_) | Command::Ingest(_) | Command::Synth(_))
    }

    /// Whether the command writes the workdir, and so needs its lock.
    fn writes_workdir(&self) -> bool {
        !matches!(
            self,
            Command::Recommend(_) | Command::Artists(_) | Command::Sql(_) | Command::Tables
        )
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context::new(cli.workdir.clone(), cli.seed, cli.quiet);
    match run(&ctx, &cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", errors::message(&err, &ctx.workdir, cli.seed));
            ExitCode::FAILURE
        }
    }
}

fn run(ctx: &Context, cli: &Cli) -> anyhow::Result<()> {
    if cli.command.reads_tables() && ctx.workdir.existing_tables().is_empty() {
        return Err(errors::no_tables(&ctx.workdir));
    }
    let when_held = if cli.wait { WhenHeld::Wait } else { WhenHeld::Fail };
    let _lock = cli
        .command
        .writes_workdir()
        .then(|| WorkdirLock::acquire(&ctx.workdir, cli.command.name(), when_held))
        .transpose()?;
    match &cli.command {
        Command::Run(args) => commands::run::execute(ctx, args),
        Command::Ingest(source) => commands::ingest::execute(ctx, source),
        Command::Synth(args) => commands::synth::execute(ctx, args),
        Command::Features(args) => commands::features::execute(ctx, args),
        Command::Cluster(args) => commands::cluster::execute(ctx, args),
        Command::Place(args) => commands::cluster::place(ctx, args),
        Command::Similarity(args) => commands::similarity::execute(ctx, args),
        Command::Recommend(args) => commands::recommend::execute(ctx, args),
        Command::Artists(args) => commands::artists::execute(ctx, args),
        Command::Eval(args) => commands::eval::execute(ctx, args),
        Command::Report(args) => commands::report::execute(ctx, args),
        Command::Sql(args) => commands::sql::execute(ctx, args),
        Command::Tables => commands::sql::list_tables(ctx),
    }
}
