//! `ingest spotify`: collect tracks, artists, audio features and audio analyses from the
//! Spotify Web API into the raw cache `data/raw/spotify/<kind>/<id>.json`, then build the
//! batch from the cache with the parsers of `ingest json`. A rerun requests only what the
//! cache lacks, so an interrupted collection loses nothing already fetched.

pub mod batch;
pub mod cache;
pub mod client;
pub mod collect;
pub mod credentials;
pub mod objects;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use timbral_core::{Error, IngestError, Result, Workdir};

use crate::tables::{self, IngestSummary};
pub use cache::RawCache;
pub use client::{Client, ClientConfig};
pub use credentials::Credentials;

/// `source` value of rows and errors written by this module.
pub const SOURCE: &str = "spotify";

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct SpotifyParams {
    /// File of track ids, one per line: a bare id, `spotify:track:<id>` or an
    /// `open.spotify.com/track/<id>` link; blank lines and `#` comments are skipped.
    pub ids_file: Option<PathBuf>,
    /// Playlist ids whose tracks are collected too.
    pub playlists: Vec<String>,
    pub client: ClientConfig,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotifySummary {
    pub ingest: IngestSummary,
    /// HTTP requests sent, token requests and retries included.
    pub requests: usize,
}

pub(crate) fn track_location(id: &str) -> String {
    format!("spotify:track:{id}")
}

pub(crate) fn artist_location(id: &str) -> String {
    format!("spotify:artist:{id}")
}

/// Collects into the workdir's raw cache and merges the result into its tables.
pub fn ingest_spotify(workdir: &Workdir, params: &SpotifyParams, credentials: Credentials) -> Result<SpotifySummary> {
    let mut ids = match &params.ids_file {
        Some(path) => read_ids(path)?,
        None => Vec::new(),
    };
    if ids.is_empty() && params.playlists.is_empty() {
        return Err(Error::InvalidParameter { name: "ids", why: "give --ids FILE or --playlist ID".into() });
    }
    let mut errors: Vec<IngestError> = Vec::new();
    ids.retain(|id| {
        let valid = cache::is_valid_id(id);
        if !valid {
            errors.push(IngestError::new(SOURCE, track_location(id), "ingest", "not a Spotify id (base-62)"));
        }
        valid
    });
    for playlist in &params.playlists {
        if !cache::is_valid_id(playlist) {
            return Err(Error::InvalidParameter { name: "playlist", why: format!("`{playlist}` is not a Spotify id") });
        }
    }
    let cache = RawCache::new(workdir.raw_dir().join("spotify"));
    let client = Arc::new(Client::new(credentials, params.client.clone())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Startup { what: "the async runtime".into(), why: e.to_string() })?;
    let collection = runtime.block_on(collect::collect(client.clone(), cache.clone(), ids, params.playlists.clone()));
    let requests = client.requests_sent();
    tracing::info!(
        tracks = collection.track_ids.len(),
        requests,
        errors = collection.errors.len(),
        "Spotify collection finished"
    );
    let (batch, cache_errors) = batch::batch_from_cache(&cache, &collection.track_ids);
    errors.extend(collection.errors);
    errors.extend(cache_errors);
    let mut attempted = collection.attempted;
    attempted.extend(errors.iter().map(|e| e.location.clone()));
    let ingest = tables::commit(workdir, &batch, &attempted, &errors)?;
    Ok(SpotifySummary { ingest, requests })
}

/// Track ids of an ids file, in file order.
pub fn read_ids(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(parse_track_ref)
        .collect())
}

/// The id of `spotify:track:<id>`, `https://open.spotify.com/track/<id>?si=...` or a bare id.
fn parse_track_ref(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let id = text
        .strip_prefix("spotify:track:")
        .or_else(|| text.rsplit_once("/track/").map(|(_, id)| id))
        .unwrap_or(text);
    id.trim_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_references_in_every_spelling() {
        assert_eq!(parse_track_ref("4uLU6hMCjMI75M1A2tKUQC"), "4uLU6hMCjMI75M1A2tKUQC");
        assert_eq!(parse_track_ref("spotify:track:4uLU6hMCjMI75M1A2tKUQC"), "4uLU6hMCjMI75M1A2tKUQC");
        assert_eq!(
            parse_track_ref("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=abc"),
            "4uLU6hMCjMI75M1A2tKUQC"
        );
        assert!(!cache::is_valid_id("../etc"));
    }
}
