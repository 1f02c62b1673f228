//! The HDF5 reader (feature `msd`).

use std::collections::HashMap;
use std::path::Path;

use hdf5::types::FixedAscii;
use hdf5::{File, H5Type};
use rayon::prelude::*;
use timbral_core::{IngestError, Result, Workdir, progress};

use super::{MsdParams, SOURCE};
use crate::tables::{self, IngestBatch, IngestSummary, SectionRecord, SegmentRecord, TrackRecord};

/// The widest string the MSD stores (PyTables `StringCol(1024)`); longer is truncated.
type MsdString = FixedAscii<1024>;

/// The fields read from `/analysis/songs` (HDF5 matches compound members by name).
#[derive(H5Type, Clone, Copy)]
#[repr(C)]
struct AnalysisSong {
    track_id: MsdString,
    duration: f64,
    tempo: f64,
    key: i32,
    key_confidence: f64,
    mode: i32,
    mode_confidence: f64,
    time_signature: i32,
    time_signature_confidence: f64,
    loudness: f64,
}

/// The fields read from `/metadata/songs`.
#[derive(H5Type, Clone, Copy)]
#[repr(C)]
struct MetadataSong {
    artist_name: MsdString,
    title: MsdString,
    release: MsdString,
}

/// One file's song, ready for the batch.
struct MsdSong {
    track: TrackRecord,
    segments: Vec<SegmentRecord>,
    sections: Vec<SectionRecord>,
}

/// Reads every file of `params.dir` and merges the songs into the workdir.
pub fn ingest(workdir: &Workdir, params: &MsdParams) -> Result<IngestSummary> {
    let files = crate::files::list_by_extension(&params.dir, "h5", "Million Song Dataset files")?;
    let bar = progress::bar(files.len() as u64, "msd");
    let read: Vec<std::result::Result<MsdSong, String>> = files
        .par_iter()
        .map(|path| {
            let result = read_song(path, &params.dir, params.term_weight_min);
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();

    let mut batch = IngestBatch::default();
    let mut attempted = Vec::new();
    let mut errors = Vec::new();
    let mut first_file: HashMap<String, String> = HashMap::new();
    for (path, result) in files.iter().zip(read) {
        let location = path.display().to_string();
        attempted.push(location.clone());
        match result {
            Ok(song) => {
                let id = song.track.track_id.clone();
                if let Some(first) = first_file.get(&id) {
                    let why = format!("duplicate track id `{id}`, already read from {first}");
                    errors.push(IngestError::new(SOURCE, location, "ingest", why));
                    continue;
                }
                first_file.insert(id.clone(), location);
                // An artist's genres are the union over its files (a file may lack the terms).
                let genres = batch.artist_genres.entry(song.track.artist_name.clone()).or_default();
                for genre in &song.track.genres {
                    if !genres.contains(genre) {
                        genres.push(genre.clone());
                    }
                }
                if !song.sections.is_empty() {
                    batch.sections.insert(id.clone(), song.sections);
                }
                batch.segments.insert(id, song.segments);
                batch.tracks.push(song.track);
            }
            Err(why) => errors.push(IngestError::new(SOURCE, location, "ingest", why)),
        }
    }
    tracing::info!(files = files.len(), tracks = batch.tracks.len(), errors = errors.len(), "read MSD files");
    tables::commit(workdir, &batch, &attempted, &errors)
}

/// One per-track file; the error names the file's dataset or field at fault.
fn read_song(path: &Path, root: &Path, term_weight_min: f64) -> std::result::Result<MsdSong, String> {
    let file = File::open(path).map_err(|e| format!("not a readable HDF5 file: {e}"))?;
    let analysis: AnalysisSong = single_row(&file, "analysis/songs")?;
    let metadata: MetadataSong = single_row(&file, "metadata/songs")?;

    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let track_id = Some(text(&analysis.track_id)).filter(|id| !id.is_empty()).unwrap_or(stem);
    let duration = analysis.duration;
    if !(duration.is_finite() && duration > 0.0) {
        return Err(format!("`analysis/songs.duration` is {duration}, expected a positive number"));
    }
    let segments = read_segments(&file, duration)?;
    let sections = read_sections(&file, duration)?;
    let genres = read_genres(&file, term_weight_min)?;
    let release = text(&metadata.release);
    let artist = text(&metadata.artist_name);
    let title = text(&metadata.title);
    let track = TrackRecord {
        title: if title.is_empty() { track_id.clone() } else { title },
        artist_name: if artist.is_empty() { tables::UNKNOWN_ARTIST.to_string() } else { artist },
        album: Some(release).filter(|r| !r.is_empty()),
        genres,
        duration_s: duration,
        tempo: Some(analysis.tempo),
        tempo_confidence: None,
        key: Some(analysis.key),
        key_confidence: Some(analysis.key_confidence),
        mode: Some(analysis.mode),
        mode_confidence: Some(analysis.mode_confidence),
        time_signature: Some(analysis.time_signature),
        time_signature_confidence: Some(analysis.time_signature_confidence),
        loudness: Some(analysis.loudness),
        source: SOURCE.to_string(),
        location: path.strip_prefix(root).unwrap_or(path).display().to_string(),
        track_id,
    };
    Ok(MsdSong { track, segments, sections })
}

/// The one row of a per-track compound table (aggregate files hold many songs).
fn single_row<T: H5Type + Copy>(file: &File, name: &str) -> std::result::Result<T, String> {
    let rows: Vec<T> = file
        .dataset(name)
        .and_then(|d| d.read_raw())
        .map_err(|e| format!("cannot read `{name}`: {e}"))?;
    match rows.as_slice() {
        [row] => Ok(*row),
        _ => Err(format!("`{name}` has {} rows; only per-track files (one song) are supported", rows.len())),
    }
}

/// A dataset of `width` columns (1 for a vector) as row-major values, with its row count.
fn read_matrix(file: &File, name: &str, width: usize) -> std::result::Result<(Vec<f64>, usize), String> {
    let dataset = file.dataset(name).map_err(|e| format!("missing dataset `{name}`: {e}"))?;
    let shape = dataset.shape();
    let rows = shape.first().copied().unwrap_or(0);
    let shape_ok = match width {
        1 => shape.len() == 1,
        _ => shape.len() == 2 && shape[1] == width,
    };
    if !shape_ok {
        let want = if width == 1 { "[n]".to_string() } else { format!("[n, {width}]") };
        return Err(format!("`{name}` has shape {shape:?}, expected {want}"));
    }
    let values: Vec<f64> = dataset.read_raw().map_err(|e| format!("cannot read `{name}`: {e}"))?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("`{name}` has a non-finite value at row {}", i / width));
    }
    Ok((values, rows))
}

fn read_segments(file: &File, duration: f64) -> std::result::Result<Vec<SegmentRecord>, String> {
    let (start, n) = read_matrix(file, "analysis/segments_start", 1)?;
    if n == 0 {
        return Err("`analysis/segments_start` is empty: the file has no segments".to_string());
    }
    if let Some(i) = start.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!("`analysis/segments_start` decreases at row {}", i + 1));
    }
    let same_length = |name: &str, width: usize| {
        let (values, rows) = read_matrix(file, name, width)?;
        if rows != n {
            return Err(format!("`{name}` has {rows} rows, `analysis/segments_start` has {n}"));
        }
        Ok(values)
    };
    let confidence = same_length("analysis/segments_confidence", 1)?;
    let loudness_start = same_length("analysis/segments_loudness_start", 1)?;
    let loudness_max = same_length("analysis/segments_loudness_max", 1)?;
    let loudness_max_time = same_length("analysis/segments_loudness_max_time", 1)?;
    let pitches = same_length("analysis/segments_pitches", 12)?;
    let timbre = same_length("analysis/segments_timbre", 12)?;
    let row12 = |values: &[f64], i: usize| std::array::from_fn(|j| values[i * 12 + j] as f32);
    Ok((0..n)
        .map(|i| {
            SegmentRecord {
                start: start[i],
                duration: span(&start, i, duration),
                confidence: confidence[i],
                loudness_start: loudness_start[i],
                loudness_max: loudness_max[i],
                loudness_max_time: loudness_max_time[i],
                loudness_end: loudness_start.get(i + 1).copied().unwrap_or(loudness_start[i]),
                pitches: row12(&pitches, i),
                timbre: row12(&timbre, i),
            }
        })
        .collect())
}

/// From `starts[i]` to the next start, or to the track's end for the last.
fn span(starts: &[f64], i: usize, track_duration: f64) -> f64 {
    starts.get(i + 1).copied().unwrap_or(track_duration.max(starts[i])) - starts[i]
}

/// Sections where the file has them; their duration runs to the next section's start.
fn read_sections(file: &File, duration: f64) -> std::result::Result<Vec<SectionRecord>, String> {
    if file.dataset("analysis/sections_start").is_err() {
        return Ok(Vec::new());
    }
    let (start, n) = read_matrix(file, "analysis/sections_start", 1)?;
    let confidence = match file.dataset("analysis/sections_confidence") {
        Ok(_) => Some(read_matrix(file, "analysis/sections_confidence", 1)?.0).filter(|c| c.len() == n),
        Err(_) => None,
    };
    Ok((0..n)
        .map(|i| SectionRecord {
            start: start[i],
            duration: span(&start, i, duration),
            confidence: confidence.as_ref().map(|c| c[i]),
            ..SectionRecord::default()
        })
        .collect())
}

/// `artist_terms` at or above the weight threshold, in the file's order.
fn read_genres(file: &File, term_weight_min: f64) -> std::result::Result<Vec<String>, String> {
    let Ok(terms) = file.dataset("metadata/artist_terms") else {
        return Ok(Vec::new());
    };
    let terms: Vec<MsdString> =
        terms.read_raw().map_err(|e| format!("cannot read `metadata/artist_terms`: {e}"))?;
    let (weights, n) = read_matrix(file, "metadata/artist_terms_weight", 1)?;
    if n != terms.len() {
        return Err(format!(
            "`metadata/artist_terms_weight` has {n} rows, `metadata/artist_terms` has {}",
            terms.len()
        ));
    }
    Ok(terms
        .iter()
        .zip(&weights)
        .filter(|(_, w)| **w >= term_weight_min)
        .map(|(t, _)| text(t))
        .filter(|t| !t.is_empty())
        .collect())
}

/// MSD strings are UTF-8 bytes in fixed-width ASCII fields.
fn text(value: &MsdString) -> String {
    String::from_utf8_lossy(value.as_bytes()).trim().to_string()
}
