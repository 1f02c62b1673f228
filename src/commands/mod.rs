//! One module per subcommand. Each defines its clap `Args` and an `execute` function that
//! turns them into typed library parameters; a stage's `run_with` takes those parameters,
//! calls the stage crate and prints, and `run` calls it through the stage graph of
//! `timbral-pipeline`.

pub mod artists;
pub mod cluster;
pub mod eval;
pub mod features;
pub mod ingest;
pub mod recommend;
pub mod report;
pub mod run;
pub mod similarity;
pub mod sql;
pub mod synth;

use timbral_core::{Error, FeatureSet, Workdir};
use timbral_core::neighbors::KnnMethod;

/// `--knn`: how nearest neighbours are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KnnArg {
    /// Exact up to 20,000 songs (20,000^2 distance pairs), NN-descent above.
    Auto,
    /// Always exact (quadratic in songs).
    Exact,
    /// Always NN-descent (approximate; recall@15 >= 0.95 measured).
    Approx,
}

impl From<KnnArg> for KnnMethod {
    fn from(arg: KnnArg) -> KnnMethod {
        match arg {
            KnnArg::Auto => KnnMethod::Auto,
            KnnArg::Exact => KnnMethod::Exact,
            KnnArg::Approx => KnnMethod::Approx,
        }
    }
}

/// `--set`: which feature set `features` holds and the later stages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetArg {
    /// The study's 90 features: 12 timbre means and 78 covariances.
    Seed,
    /// Seed features plus timbre-over-time columns (see docs/features.md).
    Extended,
}

impl From<SetArg> for FeatureSet {
    fn from(set: SetArg) -> FeatureSet {
        match set {
            SetArg::Seed => FeatureSet::Seed,
            SetArg::Extended => FeatureSet::Extended,
        }
    }
}

/// What every command gets from the global options.
#[derive(Debug, Clone)]
pub struct Context {
    pub workdir: Workdir,
    pub seed: u64,
    pub quiet: bool,
}

impl Context {
    pub fn new(workdir: std::path::PathBuf, seed: u64, quiet: bool) -> Self {
        timbral_core::progress::set_quiet(quiet);
        init_logging(quiet);
        Context {
            workdir: Workdir::new(workdir),
            seed,
            quiet,
        }
    }
}

/// Logs go to stderr through tracing; `RUST_LOG` overrides the default level, `--quiet` wins.
/// Colour codes only when stderr is a terminal, so a log file or pipe gets plain text.
fn init_logging(quiet: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = if quiet {
        EnvFilter::new("off")
    } else {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,symphonia=warn"))
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// A name or id that matches nothing, not even closely, gets the `timbral sql` query that
/// lists the valid ones.
pub fn with_listing(err: Error, listing: &str) -> anyhow::Error {
    match err {
        Error::NotFound { kind, value, hint } if hint.is_empty() => {
            anyhow::anyhow!("unknown {kind} `{value}`; list them with `timbral sql \"{listing}\"`")
        }
        other => other.into(),
    }
}
