use std::path::PathBuf;

use timbral_ingest::spotify::{ClientConfig, Credentials, SpotifyParams, ingest_spotify};

use super::super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// File of track ids (bare ids, spotify:track:ID or open.spotify.com links), one per line.
    #[arg(long)]
    pub ids: Option<PathBuf>,
    /// Playlist id whose tracks are collected (repeatable).
    #[arg(long = "playlist", value_name = "ID")]
    pub playlists: Vec<String>,
    /// API root of a compatible service; its token endpoint is <URL>/api/token.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Retries of a 5xx or timeout before the track gets an ingest_errors row.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// TOML file with client_id and client_secret, used when SPOTIFY_CLIENT_ID and
    /// SPOTIFY_CLIENT_SECRET are not set.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let credentials = Credentials::load(args.credentials.as_deref())?;
    let mut client = ClientConfig { concurrency: args.concurrency, max_retries: args.max_retries, seed: ctx.seed, ..ClientConfig::default() };
    if let Some(url) = &args.base_url {
        client = client.with_base_url(url);
    }
    let params = SpotifyParams { ids_file: args.ids.clone(), playlists: args.playlists.clone(), client };
    let summary = ingest_spotify(&ctx.workdir, &params, credentials)?;
    println!("spotify: {} ({} requests)", summary.ingest, summary.requests);
    Ok(())
}
