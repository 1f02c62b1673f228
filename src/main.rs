//! `timbral`: cluster a music catalogue and recommend songs from audio analysis alone.
//! This file only parses arguments and dispatches to `commands`.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Context;

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context::new(cli.workdir, cli.seed, cli.quiet);
    let result = match &cli.command {
        Command::Run(args) => commands::run::execute(&ctx, args),
        Command::Ingest(source) => commands::ingest::execute(&ctx, source),
        Command::Synth(args) => commands::synth::execute(&ctx, args),
        Command::Features(args) => commands::features::execute(&ctx, args),
        Command::Cluster(args) => commands::cluster::execute(&ctx, args),
        Command::Place(args) => commands::cluster::place(&ctx, args),
        Command::Similarity(args) => commands::similarity::execute(&ctx, args),
        Command::Recommend(args) => commands::recommend::execute(&ctx, args),
        Command::Artists(args) => commands::artists::execute(&ctx, args),
        Command::Eval(args) => commands::eval::execute(&ctx, args),
        Command::Report(args) => commands::report::execute(&ctx, args),
        Command::Sql(args) => commands::sql::execute(&ctx, args),
        Command::Tables => commands::sql::list_tables(&ctx),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
