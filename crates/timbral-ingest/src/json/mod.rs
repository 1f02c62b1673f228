//! `ingest json`: saved Spotify audio-analysis documents, one per track, the file stem being
//! the track id; an optional metadata CSV and an optional audio-features file. A malformed or
//! incomplete document becomes an `ingest_errors` row naming the file and field; the others
//! go on. Documents are parsed in parallel, straight into records (see [`analysis`]).

pub mod analysis;
pub mod audio_features;
pub mod metadata;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use timbral_core::{IngestError, Result, Workdir, progress};

use crate::tables::{self, IngestBatch, IngestSummary, TrackRecord, UNKNOWN_ARTIST};
use analysis::{Analysis, parse_analysis};
use metadata::Metadata;

/// `source` value of rows and errors written by this module.
pub const SOURCE: &str = "json";

/// What to ingest.
#[derive(Debug, Clone, Default)]
pub struct JsonParams {
    /// Folder of `<track id>.json` audio-analysis documents (searched recursively).
    pub dir: PathBuf,
    /// CSV with `track_id` and any of `artist`, `title`, `album`, `genre`.
    pub metadata: Option<PathBuf>,
    /// Spotify audio features as a JSON array or a CSV.
    pub audio_features: Option<PathBuf>,
}

/// A batch read from a folder, with the locations tried and the errors met.
#[derive(Debug, Default)]
pub struct DirBatch {
    pub batch: IngestBatch,
    pub attempted: Vec<String>,
    pub errors: Vec<IngestError>,
}

/// Reads `params.dir` and merges the result into the workdir.
pub fn ingest_json(workdir: &Workdir, params: &JsonParams) -> Result<IngestSummary> {
    let read = read_json_dir(params)?;
    tables::commit(workdir, &read.batch, &read.attempted, &read.errors)
}

/// Reads every document of `params.dir` into a batch without touching a workdir.
pub fn read_json_dir(params: &JsonParams) -> Result<DirBatch> {
    // Side files first: a wrong path fails before minutes of parsing.
    let metadata = match &params.metadata {
        Some(path) => metadata::read_metadata(path)?,
        None => HashMap::new(),
    };
    let features = match &params.audio_features {
        Some(path) => Some(audio_features::read_audio_features(path, SOURCE)?),
        None => None,
    };
    let files = crate::files::list_by_extension(&params.dir, "json", "audio-analysis documents")?;
    let bar = progress::bar(files.len() as u64, "json");
    let parsed: Vec<Result<Analysis, String>> = files
        .par_iter()
        .map(|path| {
            let result = std::fs::read(path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|bytes| parse_analysis(&bytes));
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();

    let mut out = DirBatch::default();
    let mut first_file: HashMap<String, &Path> = HashMap::new();
    for (path, result) in files.iter().zip(parsed) {
        let location = path.display().to_string();
        out.attempted.push(location.clone());
        let Some(track_id) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
            out.errors.push(IngestError::new(SOURCE, location, "ingest", "file name is not UTF-8"));
            continue;
        };
        if let Some(first) = first_file.get(&track_id) {
            let why = format!("duplicate track id `{track_id}`, already read from {}", first.display());
            out.errors.push(IngestError::new(SOURCE, location, "ingest", why));
            continue;
        }
        match result {
            Ok(analysis) => {
                first_file.insert(track_id.clone(), path);
                let relative = path.strip_prefix(&params.dir).unwrap_or(path);
                let meta = metadata.get(&track_id).cloned().unwrap_or_default();
                add_analysis(&mut out.batch, track_id, analysis, meta, SOURCE, &relative.display().to_string());
            }
            Err(why) => out.errors.push(IngestError::new(SOURCE, location, "ingest", why)),
        }
    }
    if let Some((records, errors)) = features {
        let known: HashSet<&str> = out.batch.tracks.iter().map(|t| t.track_id.as_str()).collect();
        let total = records.len();
        // Features of tracks outside this batch would replace (drop) those tracks on merge.
        let kept: Vec<_> = records.into_iter().filter(|r| known.contains(r.track_id.as_str())).collect();
        tracing::info!(kept = kept.len(), ignored = total - kept.len(), "audio features matched to documents");
        out.batch.audio_features = dedup_features(kept);
        out.errors.extend(errors);
        if let Some(path) = &params.audio_features {
            out.attempted.push(path.display().to_string());
        }
    }
    tracing::info!(
        documents = files.len(),
        tracks = out.batch.tracks.len(),
        errors = out.errors.len(),
        "read audio-analysis documents"
    );
    Ok(out)
}

/// Adds one parsed analysis with its metadata to `batch`.
pub fn add_analysis(
    batch: &mut IngestBatch,
    track_id: String,
    analysis: Analysis,
    meta: Metadata,
    source: &str,
    location: &str,
) {
    let t = analysis.track;
    batch.tracks.push(TrackRecord {
        title: meta.title.unwrap_or_else(|| track_id.clone()),
        artist_name: meta.artist.unwrap_or_else(|| UNKNOWN_ARTIST.to_string()),
        album: meta.album,
        genres: meta.genres,
        duration_s: t.duration,
        tempo: t.tempo,
        tempo_confidence: t.tempo_confidence,
        key: t.key,
        key_confidence: t.key_confidence,
        mode: t.mode,
        mode_confidence: t.mode_confidence,
        time_signature: t.time_signature,
        time_signature_confidence: t.time_signature_confidence,
        loudness: t.loudness,
        source: source.to_string(),
        location: location.to_string(),
        track_id: track_id.clone(),
    });
    if !analysis.sections.is_empty() {
        batch.sections.insert(track_id.clone(), analysis.sections);
    }
    batch.segments.insert(track_id, analysis.segments);
}

/// The first record of each track id, in track id order.
fn dedup_features(records: Vec<tables::AudioFeatureRecord>) -> Vec<tables::AudioFeatureRecord> {
    let mut by_id = BTreeMap::new();
    for r in records {
        by_id.entry(r.track_id.clone()).or_insert(r);
    }
    by_id.into_values().collect()
}
