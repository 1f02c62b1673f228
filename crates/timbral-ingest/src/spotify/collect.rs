//! Collection: fetch into the raw cache whatever it lacks, stage by stage (playlists, tracks,
//! artists, audio features, audio analysis), with a progress bar per stage. Failures become
//! `ingest_errors` rows and the run goes on.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;
use tokio::task::JoinSet;
use timbral_core::{IngestError, progress};

use super::cache::{Kind, RawCache};
use super::client::{Client, Failure};
use super::objects::{ArtistObject, PlaylistPage, TrackObject, batch_entries, primary_artist};
use super::{SOURCE, artist_location, track_location};
use crate::json::analysis::parse_analysis;
use crate::json::audio_features::parse_audio_features;

/// What a collection tried and what failed.
#[derive(Debug, Default)]
pub struct Collection {
    /// Track ids in the order asked for (ids file first, then playlists), without repeats.
    pub track_ids: Vec<String>,
    pub attempted: Vec<String>,
    pub errors: Vec<IngestError>,
}

fn error(location: String, why: impl std::fmt::Display) -> IngestError {
    IngestError::new(SOURCE, location, "ingest", why.to_string())
}

/// Runs every stage.
pub async fn collect(client: Arc<Client>, cache: RawCache, ids: Vec<String>, playlists: Vec<String>) -> Collection {
    let mut out = Collection::default();
    let mut seen = BTreeSet::new();
    let mut all_ids = ids;
    for playlist in playlists {
        let location = format!("spotify:playlist:{playlist}");
        out.attempted.push(location.clone());
        match playlist_tracks(&client, &cache, &playlist).await {
            Ok(ids) => all_ids.extend(ids),
            Err(why) => out.errors.push(error(location, why)),
        }
    }
    for id in all_ids {
        if seen.insert(id.clone()) {
            out.attempted.push(track_location(&id));
            out.track_ids.push(id);
        }
    }

    let tracks = missing(&cache, Kind::Tracks, &out.track_ids);
    out.errors.extend(fetch_batches(&client, &cache, Kind::Tracks, tracks, 50).await);

    let artists: Vec<String> = out
        .track_ids
        .iter()
        .filter_map(|id| cached_track(&cache, id))
        .filter_map(|t| primary_artist(&t).and_then(|a| a.id.clone()))
        .filter(|id| super::cache::is_valid_id(id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    out.attempted.extend(artists.iter().map(|a| artist_location(a)));
    let missing_artists = missing(&cache, Kind::Artists, &artists);
    out.errors.extend(fetch_batches(&client, &cache, Kind::Artists, missing_artists, 50).await);

    let known: Vec<String> =
        out.track_ids.iter().filter(|id| cache.contains(Kind::Tracks, id)).cloned().collect();
    let features = missing(&cache, Kind::AudioFeatures, &known);
    out.errors.extend(fetch_batches(&client, &cache, Kind::AudioFeatures, features, 100).await);

    let analyses = missing(&cache, Kind::AudioAnalysis, &known);
    out.errors.extend(fetch_analyses(&client, &cache, analyses).await);
    out.errors.sort_by(|a, b| a.location.cmp(&b.location).then(a.error.cmp(&b.error)));
    out
}

fn missing(cache: &RawCache, kind: Kind, ids: &[String]) -> Vec<String> {
    ids.iter().filter(|id| !cache.contains(kind, id)).cloned().collect()
}

pub(super) fn cached_track(cache: &RawCache, id: &str) -> Option<TrackObject> {
    serde_json::from_slice(&cache.read(Kind::Tracks, id)?).ok()
}

/// Track ids of a playlist, page by page; pages already cached are not fetched again.
async fn playlist_tracks(client: &Client, cache: &RawCache, playlist: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut offset = 0;
    loop {
        let key = format!("{playlist}-{offset}");
        let body = match cache.read(Kind::Playlists, &key) {
            Some(body) => body,
            None => {
                let path = format!("/v1/playlists/{playlist}/tracks?offset={offset}&limit=100");
                client.get(&path).await.map_err(|f| f.to_string())?
            }
        };
        let page: PlaylistPage =
            serde_json::from_slice(&body).map_err(|e| format!("malformed playlist page at offset {offset}: {e}"))?;
        cache.write(Kind::Playlists, &key, &body).map_err(|e| e.to_string())?;
        let count = page.items.len();
        ids.extend(page.items.into_iter().filter_map(|item| item.track?.id));
        if page.next.is_none() || count == 0 {
            return Ok(ids);
        }
        offset += count;
    }
}

fn endpoint(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Tracks => ("/v1/tracks", "tracks"),
        Kind::Artists => ("/v1/artists", "artists"),
        _ => ("/v1/audio-features", "audio_features"),
    }
}

fn location(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Artists => artist_location(id),
        _ => track_location(id),
    }
}

/// Fetches `ids` through a batch endpoint, `chunk` ids per request, and caches each object.
async fn fetch_batches(client: &Arc<Client>, cache: &RawCache, kind: Kind, ids: Vec<String>, chunk: usize) -> Vec<IngestError> {
    if ids.is_empty() {
        return Vec::new();
    }
    let bar = progress::bar(ids.len() as u64, kind.dir_name());
    let mut tasks = JoinSet::new();
    for group in ids.chunks(chunk) {
        let (client, cache, group, bar) = (client.clone(), cache.clone(), group.to_vec(), bar.clone());
        tasks.spawn(async move {
            let (path, field) = endpoint(kind);
            let result = client.get(&format!("{path}?ids={}", group.join(","))).await;
            bar.inc(group.len() as u64);
            let entries = match result.map_err(|f| f.to_string()).and_then(|b| batch_entries(&b, field, group.len())) {
                Ok(entries) => entries,
                Err(why) => return group.iter().map(|id| error(location(kind, id), &why)).collect(),
            };
            let mut errors = Vec::new();
            for (id, entry) in group.iter().zip(entries) {
                if let Some(why) = check_entry(kind, &entry) {
                    errors.push(error(location(kind, id), why));
                    continue;
                }
                let bytes = serde_json::to_vec(&entry).unwrap_or_default();
                if let Err(e) = cache.write(kind, id, &bytes) {
                    errors.push(error(location(kind, id), e));
                }
            }
            errors
        });
    }
    let errors = join_all(tasks).await;
    bar.finish_and_clear();
    errors
}

/// Why a batch entry is unusable: a `null` (unknown id) or an object of the wrong shape.
fn check_entry(kind: Kind, entry: &serde_json::Value) -> Option<String> {
    if entry.is_null() {
        return Some(match kind {
            Kind::AudioFeatures => "no audio features (null)".into(),
            _ => "not found (null in the batch answer)".into(),
        });
    }
    let malformed = match kind {
        Kind::Tracks => TrackObject::deserialize(entry).err().map(|e| e.to_string()),
        Kind::Artists => ArtistObject::deserialize(entry).err().map(|e| e.to_string()),
        _ => parse_audio_features(entry.to_string().as_bytes()).err(),
    };
    malformed.map(|e| format!("malformed object: {e}"))
}

/// Fetches one audio analysis per id; a body that does not parse is not cached.
async fn fetch_analyses(client: &Arc<Client>, cache: &RawCache, ids: Vec<String>) -> Vec<IngestError> {
    if ids.is_empty() {
        return Vec::new();
    }
    let bar = progress::bar(ids.len() as u64, "analysis");
    let mut tasks = JoinSet::new();
    for id in ids {
        let (client, cache, bar) = (client.clone(), cache.clone(), bar.clone());
        tasks.spawn(async move {
            let result = client.get(&format!("/v1/audio-analysis/{id}")).await;
            bar.inc(1);
            let outcome = match result {
                Ok(body) => match parse_analysis(&body) {
                    Ok(_) => cache.write(Kind::AudioAnalysis, &id, &body).map_err(|e| e.to_string()),
                    Err(why) => Err(format!("malformed audio analysis: {why}")),
                },
                Err(Failure::NotFound) => Err("audio analysis not found (404)".into()),
                Err(f) => Err(format!("audio analysis: {f}")),
            };
            outcome.err().map(|why| vec![error(track_location(&id), why)]).unwrap_or_default()
        });
    }
    let errors = join_all(tasks).await;
    bar.finish_and_clear();
    errors
}

async fn join_all(mut tasks: JoinSet<Vec<IngestError>>) -> Vec<IngestError> {
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(list) => errors.extend(list),
            Err(e) => errors.push(error("spotify".into(), format!("collection task failed: {e}"))),
        }
    }
    errors
}
