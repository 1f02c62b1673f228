//! `timbral ingest audio DIR...`: analyse audio files into the interim tables.
//!
//! * **Finding files.** Every file under each DIR whose extension is one of
//!   [`AUDIO_EXTENSIONS`] (any case), sorted by path. Inputs are only read, never modified.
//! * **Ids.** `track_id` is the BLAKE3 hash of the file's bytes (streamed), so a moved or renamed
//!   library re-ingests to the same ids; `artist_id` comes from the normalised artist name.
//! * **Location.** `tracks.location` is the path relative to the DIR it was found under
//!   (`wesnoth/battle.ogg`), never a machine-specific absolute path, so tables can be shared
//!   and bundled. `ingest_errors.location` is the path as found (DIR joined with it), so the
//!   user can open the broken file.
//! * **Metadata.** See [`metadata`]: `--metadata` CSV, then tags, then fallbacks.
//! * **Incremental.** A file whose content id is already in `tracks` with source `audio` is
//!   skipped without decoding unless `force`; new songs are merged into the existing tables.
//!   Analysed songs are merged every [`MERGE_EVERY`] files, so a killed run keeps its progress.
//! * **Embeddings.** With [`AudioIngestOptions::embed`], each song's musicnn embedding
//!   (`timbral_embed`) is computed from the same decoded signal and merged into `embeddings`;
//!   a song already ingested but without an embedding is analysed again, so a workdir from
//!   before embeddings existed gains them on its next ingest.
//! * **Bad input.** Unreadable, empty, corrupt, truncated, non-audio or all-silent files get an
//!   `ingest_errors` row (stage `ingest`) and are skipped; so do files whose decoding panics
//!   (`decoder panicked: ...`) or exceeds the analyzer's per-file time limit or maximum
//!   duration. A later successful ingest of the same path clears the row. The run fails only if files needed analysis and none succeeded.

pub mod metadata;
pub mod scan;

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

use polars::prelude::*;
use rayon::prelude::*;
pub use timbral_audio::AnalyzerConfig;
pub use timbral_embed::EmbedOptions;
use timbral_core::error::{PolarsContext, panic_message};
use timbral_core::{Error, IngestError, Result, Table, Workdir, cols, errors_log, ids, progress};

pub use metadata::{MetadataOverrides, UNKNOWN_ARTIST};
pub use scan::{AUDIO_EXTENSIONS, AudioFile, find_audio_files};

use crate::tables::{EmbeddingRecord, IngestBatch, MergeSummary, SegmentRecord, TrackRecord, merge_into_workdir};

/// Tags kept per song in `embeddings.top_tags`.
const TOP_TAGS: usize = 3;
const _: () = assert!(timbral_embed::EMBEDDING_DIM == timbral_core::contract::EMBEDDING_DIMS);

/// `source` of tracks and errors written here.
pub const SOURCE: &str = "audio";
/// `stage` of the `ingest_errors` rows written here.
pub const STAGE: &str = "ingest";
/// Analysed songs merged into the tables at a time: bounds memory and keeps partial progress.
pub const MERGE_EVERY: usize = 128;

/// Parameters of [`ingest_audio`].
#[derive(Debug, Clone, Default)]
pub struct AudioIngestOptions {
    /// Directories scanned recursively.
    pub dirs: Vec<PathBuf>,
    /// CSV whose `path` column (relative to the DIR) keys overrides of artist, title, album, genre.
    pub metadata: Option<PathBuf>,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Re-analyse files whose content is already ingested.
    pub force: bool,
    pub analyzer: AnalyzerConfig,
    /// Embed every analysed song with musicnn (`None`: analysis only).
    pub embed: Option<EmbedOptions>,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioIngestSummary {
    /// Files with an audio extension found under the directories.
    pub found: usize,
    pub analysed: usize,
    /// Already ingested (same content), or the same content as an earlier file of this run.
    pub skipped: usize,
    /// Files (and unreadable directory entries) recorded in `ingest_errors`.
    pub failed: usize,
    /// Analysed songs that got [`UNKNOWN_ARTIST`].
    pub unknown_artist: usize,
    /// Segments written for the analysed songs.
    pub segments: usize,
    /// Table sizes after the last merge; `None` when nothing new was written.
    pub tables: Option<MergeSummary>,
    /// The failures of this run, in file order.
    pub errors: Vec<IngestError>,
}

/// One analysed song, ready to merge.
struct AnalysedSong {
    track: TrackRecord,
    segments: Vec<SegmentRecord>,
    embedding: Option<EmbeddingRecord>,
    unknown_artist: bool,
}

/// Finds, analyses and merges the audio files under `options.dirs` into `workdir`.
pub fn ingest_audio(workdir: &Workdir, options: &AudioIngestOptions) -> Result<AudioIngestSummary> {
    if options.dirs.is_empty() {
        return Err(Error::InvalidParameter {
            name: "dirs",
            why: "give at least one directory of audio files".into(),
        });
    }
    let overrides = options
        .metadata
        .as_deref()
        .map(MetadataOverrides::read)
        .transpose()?;
    let (files, mut errors) = find_all(&options.dirs)?;
    if let Some(overrides) = &overrides {
        warn_unmatched(overrides, &files);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .thread_name(|i| format!("timbral-audio-{i}"))
        .build()
        .map_err(|e| Error::Startup { what: format!("{} worker threads", options.jobs), why: e.to_string() })?;

    let known = if options.force {
        HashSet::new()
    } else {
        ingested_audio_ids(workdir, options.embed.is_some())?
    };
    let mut summary = AudioIngestSummary {
        found: files.len(),
        ..Default::default()
    };
    let (to_analyse, unreadable, skipped) = pool.install(|| files_to_analyse(&files, &known));
    errors.extend(unreadable);
    summary.skipped = skipped;
    tracing::info!(
        "{} audio files: {} to analyse, {} already ingested or duplicate",
        files.len(),
        to_analyse.len(),
        summary.skipped
    );

    let bar = progress::bar(to_analyse.len() as u64, "analysing");
    for chunk in to_analyse.chunks(MERGE_EVERY) {
        let analysed = pool.install(|| analyse_chunk(chunk, options, overrides.as_ref(), &bar));
        summary.analysed += analysed.batch.tracks.len();
        summary.segments += analysed.batch.segments.values().map(Vec::len).sum::<usize>();
        summary.unknown_artist += analysed.unknown_artist;
        errors.extend(analysed.errors);
        if !analysed.batch.is_empty() {
            summary.tables = Some(merge_into_workdir(workdir, &analysed.batch)?);
        }
    }
    bar.finish_and_clear();

    let retried: Vec<String> = files
        .iter()
        .map(AudioFile::error_location)
        .chain(errors.iter().map(|e| e.location.clone()))
        .collect();
    errors_log::record(workdir, STAGE, &retried, &errors)?;
    for error in &errors {
        tracing::warn!("{}: {}", error.location, error.error);
    }
    summary.failed = errors.len();
    summary.errors = errors;
    tracing::info!(
        "audio ingest: {} analysed, {} skipped, {} failed, {} with unknown artist",
        summary.analysed,
        summary.skipped,
        summary.failed,
        summary.unknown_artist
    );
    if summary.analysed == 0 && !to_analyse.is_empty() {
        let first = summary.errors.first().map(|e| format!(" (first: {}: {})", e.location, e.error));
        return Err(Error::NoUsableInput(format!(
            "none of the {} audio files needing analysis could be analysed{}; see the `ingest_errors` table",
            to_analyse.len(),
            first.unwrap_or_default()
        )));
    }
    Ok(summary)
}

/// What [`analyse_files`] made of a list of files.
#[derive(Debug, Default)]
pub struct AnalysedFiles {
    /// Tracks and segments of the files analysed, in file order.
    pub batch: IngestBatch,
    /// Files that could not be read or analysed, in file order.
    pub errors: Vec<IngestError>,
    /// Analysed songs that got [`UNKNOWN_ARTIST`].
    pub unknown_artist: usize,
}

/// Analyses `files` in the current rayon pool exactly as [`ingest_audio`] does (content ids,
/// metadata, isolation of a panicking decoder, embeddings), without a workdir: the entry point
/// of callers that schedule the files themselves, such as a Spark task. `options.dirs`,
/// `jobs` and `force` are not used.
pub fn analyse_files(
    files: &[AudioFile],
    options: &AudioIngestOptions,
    overrides: Option<&MetadataOverrides>,
) -> AnalysedFiles {
    let (to_analyse, mut errors, _) = files_to_analyse(files, &HashSet::new());
    let bar = progress::bar(to_analyse.len() as u64, "analysing");
    let mut analysed = analyse_chunk(&to_analyse, options, overrides, &bar);
    bar.finish_and_clear();
    errors.append(&mut analysed.errors);
    analysed.errors = errors;
    analysed
}

/// The files of `files` to analyse, with their content ids (hashed in the current rayon pool),
/// the errors of unreadable ones, and how many were skipped: already ingested (`known`) or
/// the same content as an earlier file.
fn files_to_analyse<'a>(
    files: &'a [AudioFile],
    known: &HashSet<String>,
) -> (Vec<(&'a AudioFile, String)>, Vec<IngestError>, usize) {
    let mut to_analyse = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = 0;
    let mut seen = HashSet::new();
    for (file, id) in files.iter().zip(content_ids(files)) {
        match id {
            Err(reason) => errors.push(file_error(file, reason)),
            Ok(id) if known.contains(&id) => skipped += 1,
            Ok(id) if !seen.insert(id.clone()) => {
                tracing::info!("{}: same content as an earlier file, skipped", file.relative);
                skipped += 1;
            }
            Ok(id) => to_analyse.push((file, id)),
        }
    }
    (to_analyse, errors, skipped)
}

/// Analyses `files` (with their content ids) in parallel into one batch.
fn analyse_chunk(
    files: &[(&AudioFile, String)],
    options: &AudioIngestOptions,
    overrides: Option<&MetadataOverrides>,
    bar: &indicatif::ProgressBar,
) -> AnalysedFiles {
    let outcomes: Vec<_> = files
        .par_iter()
        .map(|(file, id)| {
            let outcome = analyse_isolated(file, id, options, overrides);
            bar.inc(1);
            outcome
        })
        .collect();
    let mut analysed = AnalysedFiles::default();
    for ((file, _), outcome) in files.iter().zip(outcomes) {
        match outcome {
            Ok(song) => {
                analysed.unknown_artist += usize::from(song.unknown_artist);
                analysed.batch.segments.insert(song.track.track_id.clone(), song.segments);
                if let Some(embedding) = song.embedding {
                    analysed.batch.embeddings.insert(song.track.track_id.clone(), embedding);
                }
                analysed.batch.tracks.push(song.track);
            }
            Err(reason) => analysed.errors.push(file_error(file, reason)),
        }
    }
    analysed
}

/// Scans every directory; fails when a directory is missing or none holds an audio file.
fn find_all(dirs: &[PathBuf]) -> Result<(Vec<AudioFile>, Vec<IngestError>)> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let (found, walk_errors) = find_audio_files(dir)?;
        tracing::info!("{}: {} audio files", dir.display(), found.len());
        if found.is_empty() {
            tracing::warn!("{}: no audio files found", dir.display());
        }
        files.extend(found);
        errors.extend(walk_errors);
    }
    if files.is_empty() {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::NoUsableInput(format!(
            "no audio files ({}) found under {}",
            AUDIO_EXTENSIONS.join(", "),
            dirs.join(", ")
        )));
    }
    Ok((files, errors))
}

fn warn_unmatched(overrides: &MetadataOverrides, files: &[AudioFile]) {
    let found: HashSet<String> = files.iter().map(|f| f.relative.clone()).collect();
    let unmatched = overrides.unmatched(&found);
    if !unmatched.is_empty() {
        tracing::warn!(
            "{}: {} rows match no audio file found (first: {})",
            overrides.source.display(),
            unmatched.len(),
            unmatched[0]
        );
    }
}

/// The content id of every file, streamed from disk in parallel; an empty or unreadable file
/// gets the reason instead.
fn content_ids(files: &[AudioFile]) -> Vec<std::result::Result<String, String>> {
    let bar = progress::bar(files.len() as u64, "hashing");
    let ids = files
        .par_iter()
        .map(|file| {
            let id = content_id(file);
            bar.inc(1);
            id
        })
        .collect();
    bar.finish_and_clear();
    ids
}

fn content_id(file: &AudioFile) -> std::result::Result<String, String> {
    let handle = File::open(&file.path).map_err(|e| format!("cannot open: {e}"))?;
    let len = handle.metadata().map_err(|e| format!("cannot stat: {e}"))?.len();
    if len == 0 {
        return Err("empty file (0 bytes)".into());
    }
    ids::hash_id_reader("tr", std::io::BufReader::with_capacity(1 << 16, handle))
        .map_err(|e| format!("cannot read: {e}"))
}

/// Track ids already ingested from audio (and embedded, when `with_embedding`).
fn ingested_audio_ids(workdir: &Workdir, with_embedding: bool) -> Result<HashSet<String>> {
    let Some(tracks) = workdir.read_table_if_exists(Table::Tracks)? else {
        return Ok(HashSet::new());
    };
    let mut audio = tracks
        .lazy()
        .filter(col(cols::tracks::SOURCE).eq(lit(SOURCE)))
        .select([col(cols::tracks::TRACK_ID)]);
    if with_embedding {
        let embedded = match workdir.has_table(Table::Embeddings) {
            true => workdir.scan_table(Table::Embeddings)?.select([col(cols::embeddings::TRACK_ID)]),
            false => return Ok(HashSet::new()),
        };
        audio = audio.semi_join(embedded, col(cols::tracks::TRACK_ID), col(cols::embeddings::TRACK_ID));
    }
    let audio = audio.collect().ctx("reading audio track ids from `tracks`")?;
    Ok(audio
        .column(cols::tracks::TRACK_ID)
        .ctx("tracks")?
        .str()
        .ctx("tracks.track_id")?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

fn file_error(file: &AudioFile, reason: String) -> IngestError {
    IngestError::new(SOURCE, file.error_location(), STAGE, reason)
}

/// [`analyse`], with a panic inside a decoder or the analysis turned into this file's error, so
/// one broken file cannot end the ingest of a library.
fn analyse_isolated(
    file: &AudioFile,
    track_id: &str,
    options: &AudioIngestOptions,
    overrides: Option<&MetadataOverrides>,
) -> std::result::Result<AnalysedSong, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyse(file, track_id, options, overrides)))
        .unwrap_or_else(|payload| Err(format!("decoder panicked: {}", panic_message(payload.as_ref()))))
}

/// Decodes and analyses (and embeds) one file and resolves its metadata.
fn analyse(
    file: &AudioFile,
    track_id: &str,
    options: &AudioIngestOptions,
    overrides: Option<&MetadataOverrides>,
) -> std::result::Result<AnalysedSong, String> {
    let started = std::time::Instant::now();
    let decoded = timbral_audio::analyze_file_keeping_signal(&file.path, &options.analyzer).map_err(|e| e.to_string())?;
    let (tags, analysis) = (decoded.tags, decoded.analysis);
    check_analysis(&analysis)?;
    let embedding = options
        .embed
        .as_ref()
        .map(|embed| embed_signal(&decoded.signal, options.analyzer.sample_rate, embed))
        .transpose()?;
    let song = metadata::resolve(&tags, overrides.and_then(|o| o.get(&file.relative)), &file.stem());
    tracing::debug!(
        "{}: {:.1} s, {} segments, tempo {:.1}, in {:.2} s",
        file.relative,
        analysis.duration_s,
        analysis.segments.len(),
        analysis.tempo,
        started.elapsed().as_secs_f64()
    );
    let finite = |v: f64| Some(v).filter(|v| v.is_finite());
    let track = TrackRecord {
        track_id: track_id.to_string(),
        title: song.title,
        artist_name: song.artist_name,
        album: song.album,
        genres: song.genres,
        duration_s: analysis.duration_s,
        tempo: finite(analysis.tempo),
        tempo_confidence: finite(analysis.tempo_confidence),
        key: Some(analysis.key),
        key_confidence: finite(analysis.key_confidence),
        mode: Some(analysis.mode),
        mode_confidence: finite(analysis.mode_confidence),
        time_signature: Some(analysis.time_signature),
        time_signature_confidence: finite(analysis.time_signature_confidence),
        loudness: finite(analysis.loudness),
        source: SOURCE.to_string(),
        location: file.relative.clone(),
    };
    let segments = analysis
        .segments
        .into_iter()
        .map(|s| SegmentRecord {
            start: s.start,
            duration: s.duration,
            confidence: s.confidence,
            loudness_start: s.loudness_start,
            loudness_max: s.loudness_max,
            loudness_max_time: s.loudness_max_time,
            loudness_end: s.loudness_end,
            pitches: s.pitches,
            timbre: s.timbre,
        })
        .collect();
    Ok(AnalysedSong {
        track,
        segments,
        embedding,
        unknown_artist: song.unknown_artist,
    })
}

/// The musicnn embedding of a decoded signal, with its most probable tags.
pub fn embed_signal(signal: &[f32], sample_rate: u32, options: &EmbedOptions) -> std::result::Result<EmbeddingRecord, String> {
    let model = timbral_embed::default_model().map_err(|e| e.to_string())?;
    let embedding = timbral_embed::embed_signal(model, signal, sample_rate, options).map_err(|e| e.to_string())?;
    let mut order: Vec<usize> = (0..embedding.tags.len()).collect();
    order.sort_by(|a, b| embedding.tags[*b].total_cmp(&embedding.tags[*a]).then(a.cmp(b)));
    Ok(EmbeddingRecord {
        model: model.name().to_string(),
        patches: embedding.patches as u32,
        vector: embedding.vector,
        top_tags: order.into_iter().take(TOP_TAGS).map(|i| model.tag_names()[i].clone()).collect(),
    })
}

/// Rejects analyses that would put meaningless rows in the tables (the analyzer itself rejects
/// undecodable, truncated and silent audio).
fn check_analysis(analysis: &timbral_audio::TrackAnalysis) -> std::result::Result<(), String> {
    if !(analysis.duration_s.is_finite() && analysis.duration_s > 0.0) || analysis.segments.is_empty() {
        return Err(format!(
            "no audio to analyse (duration {:.3} s, {} segments)",
            analysis.duration_s,
            analysis.segments.len()
        ));
    }
    let finite = analysis.segments.iter().all(|s| {
        [s.start, s.duration, s.confidence, s.loudness_start, s.loudness_max, s.loudness_max_time, s.loudness_end]
            .iter()
            .all(|v| v.is_finite())
            && s.pitches.iter().chain(&s.timbre).all(|v| v.is_finite())
    });
    if !finite {
        return Err("the analysis produced non-finite segment values".into());
    }
    Ok(())
}
