//! The run manifest (`data/processed/run_manifest.json`): for each finished stage, a hash of
//! its parameters, the content fingerprints of its inputs and outputs, and its wall time.
//! `timbral run` skips a stage whose record still matches, so a rerun after a kill redoes only
//! the stages that had not finished. Content hashes, not mtimes, decide: rewriting a table with
//! the same bytes does not invalidate what depends on it.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io;
use crate::workdir::Workdir;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub stages: BTreeMap<String, StageRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    /// BLAKE3 of the stage's parameters, as the stage describes them.
    pub params: String,
    /// Human-readable parameters, for the report.
    pub params_text: String,
    /// File name -> content fingerprint, for inputs and outputs.
    pub inputs: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    pub seconds: f64,
    pub finished_at: String,
}

/// How `params_text` begins for a stage `timbral run` skipped (e.g. clustering a library too
/// small for it); the rest is the reason.
const SKIPPED: &str = "skipped: ";

impl StageRecord {
    /// The `params_text` of a stage skipped for `why`.
    pub fn skipped_text(why: &str) -> String {
        format!("{SKIPPED}{why}")
    }

    /// Why the stage was skipped, if it was.
    pub fn skipped_because(&self) -> Option<&str> {
        self.params_text.strip_prefix(SKIPPED)
    }
}

impl Manifest {
    pub fn path(workdir: &Workdir) -> PathBuf {
        workdir.processed_dir().join("run_manifest.json")
    }

    /// The saved manifest, or an empty one when there is none or it cannot be parsed
    /// (then every stage simply runs again).
    pub fn load(workdir: &Workdir) -> Manifest {
        let path = Self::path(workdir);
        File::open(&path)
            .ok()
            .and_then(|f| serde_json::from_reader(f).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, workdir: &Workdir) -> Result<()> {
        let path = Self::path(workdir);
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Internal(format!("serialising {}: {e}", path.display())))?;
        io::write_bytes_atomic(&path, &json)
    }
}

/// Content fingerprints of the files that exist among `paths`, keyed by file name.
pub fn fingerprints(paths: &[PathBuf]) -> Result<BTreeMap<String, String>> {
    paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| Ok((display_name(p), fingerprint(p)?)))
        .collect()
}

/// BLAKE3 of a file's content, streamed.
pub fn fingerprint(path: &Path) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher
        .update_reader(File::open(path).map_err(|e| Error::io(path, e))?)
        .map_err(|e| Error::io(path, e))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// BLAKE3 of a parameter description.
pub fn params_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
