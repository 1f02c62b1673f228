//! `timbral synth`: synthetic interim tables for benchmarks.

use timbral_ingest::synth::{DEFAULT_GENRES, SynthParams, synthesize};

use super::Context;

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Writes a catalogue shaped like Echo Nest data (about 4 segments per \
second, lognormal song lengths around 210 s, Spotify timbre scales, genre and artist \
structure), source = \"synthetic\". It REPLACES the interim tables tracks, artists, segments, \
sections and audio_features of the workdir (ingest_errors is kept). Same --seed, same tables.")]
pub struct Args {
    /// Number of songs.
    #[arg(long, default_value_t = 13_000)]
    pub songs: usize,
    /// Number of artists (at most the number of songs; each gets at least one song).
    #[arg(long, default_value_t = 9_000)]
    pub artists: usize,
    /// Number of genres (at most the number of artists).
    #[arg(long, default_value_t = DEFAULT_GENRES)]
    pub genres: usize,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let params = SynthParams::new(args.songs, args.artists)
        .genres(args.genres)
        .seed(ctx.seed);
    let started = std::time::Instant::now();
    let summary = synthesize(&ctx.workdir, &params)?;
    if !ctx.quiet {
        println!(
            "synth: {} songs, {} artists, {} genres, {} segments, {} sections in {:.1} s -> {}",
            summary.songs,
            summary.artists,
            summary.genres,
            summary.segments,
            summary.sections,
            started.elapsed().as_secs_f64(),
            ctx.workdir.interim_dir().display()
        );
    }
    Ok(())
}
