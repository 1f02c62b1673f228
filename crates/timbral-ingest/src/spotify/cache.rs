//! The raw cache `data/raw/spotify/<kind>/<id>.json`: one file per object the API returned,
//! written atomically, so that a rerun requests only what is missing.

use std::path::{Path, PathBuf};

use timbral_core::Result;
use timbral_core::io::write_bytes_atomic;

/// The kinds of cached objects, one folder each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tracks,
    Artists,
    AudioFeatures,
    AudioAnalysis,
    /// Playlist pages, keyed `<playlist id>-<offset>`.
    Playlists,
}

impl Kind {
    pub fn dir_name(self) -> &'static str {
        match self {
            Kind::Tracks => "tracks",
            Kind::Artists => "artists",
            Kind::AudioFeatures => "audio-features",
            Kind::AudioAnalysis => "audio-analysis",
            Kind::Playlists => "playlists",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RawCache {
    root: PathBuf,
}

impl RawCache {
    /// A cache rooted at `root` (normally `<workdir>/data/raw/spotify`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RawCache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, kind: Kind, id: &str) -> PathBuf {
        self.root.join(kind.dir_name()).join(format!("{id}.json"))
    }

    pub fn contains(&self, kind: Kind, id: &str) -> bool {
        self.path(kind, id).is_file()
    }

    /// The cached bytes, `None` when absent or unreadable (then it is fetched again).
    pub fn read(&self, kind: Kind, id: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(kind, id)).ok()
    }

    pub fn write(&self, kind: Kind, id: &str, bytes: &[u8]) -> Result<()> {
        write_bytes_atomic(&self.path(kind, id), bytes)
    }
}

/// Spotify ids are base-62; anything else could escape the cache folder, so it is refused.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
