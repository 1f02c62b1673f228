//! Builds the ingest batch from the raw cache alone, with the parsers of `ingest json`, so a
//! batch can be rebuilt at any time without the network.

use rayon::prelude::*;
use timbral_core::IngestError;

use super::cache::{Kind, RawCache};
use super::collect::cached_track;
use super::objects::{ArtistObject, primary_artist};
use super::{SOURCE, track_location};
use crate::json::analysis::{Analysis, parse_analysis};
use crate::json::audio_features::parse_audio_features;
use crate::json::{add_analysis, metadata::Metadata};
use crate::tables::{AudioFeatureRecord, IngestBatch};

/// One track read from the cache.
struct Loaded {
    id: String,
    analysis: Analysis,
    meta: Metadata,
    artist_genres: Option<(String, Vec<String>)>,
    features: Option<AudioFeatureRecord>,
}

/// The batch of every id whose track object and audio analysis are cached. Ids without them
/// were already reported by the collection; a cached file that no longer parses is reported.
pub fn batch_from_cache(cache: &RawCache, track_ids: &[String]) -> (IngestBatch, Vec<IngestError>) {
    let loaded: Vec<Option<Result<Loaded, String>>> =
        track_ids.par_iter().map(|id| load(cache, id)).collect();
    let mut batch = IngestBatch::default();
    let mut errors = Vec::new();
    for (id, result) in track_ids.iter().zip(loaded) {
        match result {
            None => {}
            Some(Err(why)) => errors.push(IngestError::new(SOURCE, track_location(id), "ingest", why)),
            Some(Ok(track)) => {
                if let Some((name, genres)) = track.artist_genres {
                    batch.artist_genres.insert(name, genres);
                }
                batch.audio_features.extend(track.features);
                add_analysis(&mut batch, track.id.clone(), track.analysis, track.meta, SOURCE, &track_location(&track.id));
            }
        }
    }
    (batch, errors)
}

fn load(cache: &RawCache, id: &str) -> Option<Result<Loaded, String>> {
    let track = cached_track(cache, id)?;
    let analysis = cache.read(Kind::AudioAnalysis, id)?;
    Some((|| {
        let analysis = parse_analysis(&analysis).map_err(|e| format!("cached audio analysis: {e}"))?;
        let artist = primary_artist(&track);
        let artist_object: Option<ArtistObject> = artist
            .and_then(|a| a.id.as_deref())
            .and_then(|artist_id| cache.read(Kind::Artists, artist_id))
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let artist_name = artist.and_then(|a| a.name.clone()).filter(|n| !n.trim().is_empty());
        let genres = artist_object.map(|a| a.genres).unwrap_or_default();
        let features = match cache.read(Kind::AudioFeatures, id) {
            Some(bytes) => parse_audio_features(&bytes)
                .map_err(|e| format!("cached audio features: {e}"))?
                .into_iter()
                .next()
                .map(|mut f| {
                    f.track_id = id.to_string();
                    f
                }),
            None => None,
        };
        Ok(Loaded {
            id: id.to_string(),
            analysis,
            artist_genres: artist_name.clone().map(|n| (n, genres.clone())),
            meta: Metadata {
                title: track.name.clone(),
                artist: artist_name,
                album: track.album.as_ref().and_then(|a| a.name.clone()),
                genres,
            },
            features,
        })
    })())
}
