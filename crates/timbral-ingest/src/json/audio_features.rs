//! Spotify-shaped audio features (`GET /v1/audio-features`): a JSON array of objects, the API's
//! `{"audio_features": [...]}` wrapper, a single object, or a CSV with the same columns.

use std::path::Path;

use serde::Deserialize;
use timbral_core::{Error, IngestError, Result};

use crate::features_csv::{parse_rows, read_text_csv};
use crate::tables::AudioFeatureRecord;

/// One audio-features object; timbral keeps the nine features of the contract.
#[derive(Deserialize)]
struct RawFeatures {
    id: Option<String>,
    acousticness: Option<f64>,
    danceability: Option<f64>,
    energy: Option<f64>,
    instrumentalness: Option<f64>,
    liveness: Option<f64>,
    loudness: Option<f64>,
    speechiness: Option<f64>,
    valence: Option<f64>,
    tempo: Option<f64>,
}

impl RawFeatures {
    fn into_record(self, index: usize) -> Result<AudioFeatureRecord, String> {
        let track_id = self.id.ok_or(format!("audio_features[{index}]: missing field `id`"))?;
        Ok(AudioFeatureRecord {
            track_id,
            values: [
                self.acousticness,
                self.danceability,
                self.energy,
                self.instrumentalness,
                self.liveness,
                self.loudness,
                self.speechiness,
                self.valence,
                self.tempo,
            ],
        })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Shape {
    List(Vec<Option<RawFeatures>>),
    Wrapped { audio_features: Vec<Option<RawFeatures>> },
    Single(RawFeatures),
}

/// Parses a JSON document of audio features. `null` entries (the API's answer for an unknown
/// id) are skipped.
pub fn parse_audio_features(bytes: &[u8]) -> Result<Vec<AudioFeatureRecord>, String> {
    let shape: Shape = serde_json::from_slice(bytes).map_err(|e| {
        format!("not Spotify audio features (an array of objects, {{\"audio_features\": [...]}} or one object): {e}")
    })?;
    let list = match shape {
        Shape::List(list) | Shape::Wrapped { audio_features: list } => list,
        Shape::Single(one) => vec![Some(one)],
    };
    list.into_iter()
        .enumerate()
        .filter_map(|(i, raw)| raw.map(|r| r.into_record(i)))
        .collect()
}

/// Reads audio features from a `.csv` file or a JSON file. CSV rows with unreadable values are
/// returned as errors; a JSON file that does not parse is an error for the whole file.
pub fn read_audio_features(path: &Path, source: &str) -> Result<(Vec<AudioFeatureRecord>, Vec<IngestError>)> {
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let (rows, errors) = parse_rows(&read_text_csv(path)?, path, source)?;
        return Ok((rows.into_iter().map(|r| r.features).collect(), errors));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let records =
        parse_audio_features(&bytes).map_err(|e| Error::bad_input(path, e.to_string()))?;
    Ok((records, Vec::new()))
}
