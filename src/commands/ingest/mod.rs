//! `timbral ingest <source>`: every source writes the same interim tables.

pub mod audio;
mod features_csv;
pub mod json;
mod msd;
mod spotify;

use super::Context;

#[derive(Debug, clap::Subcommand)]
pub enum Source {
    /// Analyse audio files (OGG, MP3, FLAC, WAV, ...) into Echo-Nest-style segments.
    Audio(audio::Args),
    /// Collect tracks, artists, audio features and audio analysis from the Spotify Web API.
    Spotify(spotify::Args),
    /// Read saved Spotify audio-analysis JSON documents, one per track.
    Json(json::Args),
    /// Read Million Song Dataset per-track HDF5 files (needs the `msd` build feature).
    Msd(msd::Args),
    /// Read a public audio-features CSV (high-level features only, no segments).
    FeaturesCsv(features_csv::Args),
}

pub fn execute(ctx: &Context, source: &Source) -> anyhow::Result<()> {
    match source {
        Source::Audio(args) => audio::execute(ctx, args),
        Source::Spotify(args) => spotify::execute(ctx, args),
        Source::Json(args) => json::execute(ctx, args),
        Source::Msd(args) => msd::execute(ctx, args),
        Source::FeaturesCsv(args) => features_csv::execute(ctx, args),
    }
}
