//! `timbral synth`: a synthetic catalogue for benchmarks (see the timbral-synth crate).

use timbral_synth::{Level, ParamGuard, SynthParams, synthesize};

use super::{Context, SetArg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    /// The interim segments table, as ingestion writes it.
    Segments,
    /// The processed features table instead of segments (same values as `synth` then
    /// `timbral features`), for catalogues whose segments would not fit on disk.
    Features,
}

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Writes a catalogue shaped like Echo Nest data (about 4 segments per \
second, lognormal song lengths around 210 s, Spotify timbre scales, genre and artist \
structure), source = \"synthetic\". It REPLACES the interim tables tracks, artists, segments, \
sections and audio_features of the workdir (ingest_errors is kept). With --level features it \
writes data/processed/features.parquet instead of segments and removes an older segments \
table: run cluster, similarity, eval and report next (not features or run, which need \
segments). Same --seed, same tables.")]
pub struct Args {
    /// Number of songs.
    #[arg(long, default_value_t = SynthParams::defaults().songs())]
    pub songs: usize,
    /// Number of artists (at most the number of songs; each gets at least one song).
    #[arg(long, default_value_t = SynthParams::defaults().artists())]
    pub artists: usize,
    /// Number of genres (at most the number of artists).
    #[arg(long, default_value_t = SynthParams::defaults().genres())]
    pub genres: usize,
    /// Write segments, or reduce them at once to the features table.
    #[arg(long, value_enum, default_value = "segments")]
    pub level: LevelArg,
    /// Feature set written with --level features.
    #[arg(long, value_enum, default_value = "seed")]
    pub set: SetArg,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let level = match args.level {
        LevelArg::Segments => Level::Segments,
        LevelArg::Features => Level::Features(args.set.into()),
    };
    let params = SynthParams::new(args.songs, args.artists)
        .genres(args.genres)
        .seed(ctx.seed)
        .level(level)
        .check()?;
    let started = std::time::Instant::now();
    let summary = synthesize(&ctx.workdir, &params)?;
    if !ctx.quiet {
        let written = match summary.features {
            Some(rows) => format!("{rows} feature rows ({} segments reduced)", summary.segments),
            None => format!("{} segments", summary.segments),
        };
        println!(
            "synth: {} songs, {} artists, {} genres, {written}, {} sections in {:.1} s -> {}",
            summary.songs,
            summary.artists,
            summary.genres,
            summary.sections,
            started.elapsed().as_secs_f64(),
            ctx.workdir.root().join("data").display()
        );
    }
    Ok(())
}
