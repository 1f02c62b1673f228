//! The parts of Spotify Web API objects that timbral reads. Batch answers are split into one
//! cached object per id, so they are kept as `serde_json::Value` until written.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct TrackObject {
    pub name: Option<String>,
    pub album: Option<NamedObject>,
    #[serde(default)]
    pub artists: Vec<ArtistRef>,
}

#[derive(Debug, Deserialize)]
pub struct NamedObject {
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ArtistRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ArtistObject {
    pub name: Option<String>,
    #[serde(default)]
    pub genres: Vec<String>,
}

/// One page of `GET /v1/playlists/{id}/tracks`.
#[derive(Debug, Deserialize)]
pub struct PlaylistPage {
    pub items: Vec<PlaylistItem>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PlaylistItem {
    pub track: Option<PlaylistTrack>,
}

#[derive(Debug, Deserialize)]
pub struct PlaylistTrack {
    /// Absent for local files.
    pub id: Option<String>,
}

/// The list under `field` of a batch answer (`{"tracks": [...]}`), one entry per id asked
/// for, `null` for unknown ids.
pub fn batch_entries(body: &[u8], field: &str, expected: usize) -> Result<Vec<Value>, String> {
    let mut answer: Value = serde_json::from_slice(body).map_err(|e| format!("malformed body: {e}"))?;
    let Some(Value::Array(list)) = answer.get_mut(field).map(Value::take) else {
        return Err(format!("malformed body: no `{field}` array"));
    };
    if list.len() != expected {
        return Err(format!("malformed body: {} `{field}` entries for {expected} ids", list.len()));
    }
    Ok(list)
}

/// The primary (first) artist of a cached track object.
pub fn primary_artist(track: &TrackObject) -> Option<&ArtistRef> {
    track.artists.first()
}
