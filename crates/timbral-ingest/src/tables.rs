//! The one way every source writes interim tables: build an [`IngestBatch`] of records, then
//! [`merge_into_workdir`]. Merging replaces earlier rows of the same `track_id`, so re-ingesting
//! a song updates it and a library can grow batch by batch. Tables are written segments first
//! and `tracks` last (after `artists`): a run killed in between leaves tracks that a rerun sees
//! as not yet ingested, never a track without its segments or artist.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;
use timbral_core::contract::{AUDIO_FEATURE_COLUMNS, embedding_vector_names, pitch_columns, timbre_columns};
use timbral_core::error::PolarsContext;
use timbral_core::{IngestError, Result, Table, Workdir, cols, errors_log, ids};

/// `artist_name` of a song whose source names no artist.
pub const UNKNOWN_ARTIST: &str = "Unknown artist";

/// One song's metadata and track-level analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackRecord {
    pub track_id: String,
    pub title: String,
    pub artist_name: String,
    pub album: Option<String>,
    pub genres: Vec<String>,
    pub duration_s: f64,
    pub tempo: Option<f64>,
    pub tempo_confidence: Option<f64>,
    pub key: Option<i32>,
    pub key_confidence: Option<f64>,
    pub mode: Option<i32>,
    pub mode_confidence: Option<f64>,
    pub time_signature: Option<i32>,
    pub time_signature_confidence: Option<f64>,
    pub loudness: Option<f64>,
    /// audio / spotify / json / msd / csv / synthetic.
    pub source: String,
    /// Path or URI the song came from.
    pub location: String,
}

/// One segment, shaped like a Spotify audio-analysis segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentRecord {
    pub start: f64,
    pub duration: f64,
    pub confidence: f64,
    pub loudness_start: f64,
    pub loudness_max: f64,
    pub loudness_max_time: f64,
    pub loudness_end: f64,
    pub pitches: [f32; 12],
    pub timbre: [f32; 12],
}

/// One section of a Spotify audio analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectionRecord {
    pub start: f64,
    pub duration: f64,
    pub confidence: Option<f64>,
    pub loudness: Option<f64>,
    pub tempo: Option<f64>,
    pub key: Option<i32>,
    pub mode: Option<i32>,
    pub time_signature: Option<i32>,
}

/// Spotify's high-level features for one track, in [`AUDIO_FEATURE_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFeatureRecord {
    pub track_id: String,
    pub values: [Option<f64>; 9],
}

/// One song's embedding from a network run on its audio.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingRecord {
    pub model: String,
    pub patches: u32,
    /// [`timbral_core::contract::EMBEDDING_DIMS`] values.
    pub vector: Vec<f32>,
    /// The most probable tags, most probable first.
    pub top_tags: Vec<String>,
}

/// Everything one ingestion run produced. Segments and sections are keyed by track id.
#[derive(Debug, Default)]
pub struct IngestBatch {
    pub tracks: Vec<TrackRecord>,
    pub segments: BTreeMap<String, Vec<SegmentRecord>>,
    pub sections: BTreeMap<String, Vec<SectionRecord>>,
    pub audio_features: Vec<AudioFeatureRecord>,
    /// Embeddings of songs analysed from audio, keyed by track id.
    pub embeddings: BTreeMap<String, EmbeddingRecord>,
    /// Genres per artist name where the source knows them (Spotify artists, MSD terms).
    /// Otherwise an artist's genres are the union of its tracks' genres.
    pub artist_genres: BTreeMap<String, Vec<String>>,
}

/// Row counts of the interim tables after a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeSummary {
    pub tracks: usize,
    pub artists: usize,
    pub segments: usize,
    pub embeddings: usize,
}

impl IngestBatch {
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty() && self.audio_features.is_empty()
    }
}

/// What one ingestion run of a source did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestSummary {
    /// Tracks taken into the batch.
    pub ingested: usize,
    /// Rows this run wrote to `ingest_errors`.
    pub failed: usize,
    /// Table sizes after the merge; `None` when the batch was empty and nothing was merged.
    pub merged: Option<MergeSummary>,
}

impl std::fmt::Display for IngestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} track(s) ingested, {} error(s)", self.ingested, self.failed)?;
        if self.failed > 0 {
            f.write_str(" (see the `ingest_errors` table)")?;
        }
        if let Some(m) = self.merged {
            write!(f, "; library: {} tracks, {} artists, {} segments", m.tracks, m.artists, m.segments)?;
        }
        Ok(())
    }
}

/// Merges `batch` (unless it is empty) and records this run's `errors` in `ingest_errors`,
/// first dropping earlier rows of the `attempted` locations.
pub fn commit(
    workdir: &Workdir,
    batch: &IngestBatch,
    attempted: &[String],
    errors: &[IngestError],
) -> Result<IngestSummary> {
    let merged = if batch.is_empty() {
        None
    } else {
        Some(merge_into_workdir(workdir, batch)?)
    };
    errors_log::record(workdir, "ingest", attempted, errors)?;
    Ok(IngestSummary { ingested: batch.tracks.len(), failed: errors.len(), merged })
}

/// Merges `batch` into the workdir's interim tables, replacing rows of re-ingested tracks.
pub fn merge_into_workdir(workdir: &Workdir, batch: &IngestBatch) -> Result<MergeSummary> {
    let new_ids: Vec<&str> = batch
        .tracks
        .iter()
        .map(|t| t.track_id.as_str())
        .chain(batch.audio_features.iter().map(|a| a.track_id.as_str()))
        .collect();
    let replaced = Series::new("replaced".into(), &new_ids);

    let segments = merge_table(workdir, Table::Segments, segments_frame(&batch.segments)?, &replaced)?;
    if !batch.sections.is_empty() || workdir.has_table(Table::Sections) {
        merge_table(workdir, Table::Sections, sections_frame(&batch.sections)?, &replaced)?;
    }
    if !batch.audio_features.is_empty() || workdir.has_table(Table::AudioFeatures) {
        merge_table(
            workdir,
            Table::AudioFeatures,
            audio_features_frame(&batch.audio_features)?,
            &replaced,
        )?;
    }
    // A song re-ingested from a source without audio loses its embedding with its old rows.
    let embeddings = if !batch.embeddings.is_empty() || workdir.has_table(Table::Embeddings) {
        merge_table(workdir, Table::Embeddings, embeddings_frame(&batch.embeddings)?, &replaced)?.height()
    } else {
        0
    };
    let mut tracks = merged(workdir, Table::Tracks, tracks_frame(&batch.tracks)?, &replaced)?;
    let mut artists = artists_frame(&tracks, &batch.artist_genres)?;
    // Artists before tracks: a run killed after the tracks were written would otherwise keep
    // stale artists, as its rerun finds nothing new to merge.
    workdir.write_table(Table::Artists, &mut artists)?;
    workdir.write_table(Table::Tracks, &mut tracks)?;
    Ok(MergeSummary {
        tracks: tracks.height(),
        artists: artists.height(),
        segments: segments.height(),
        embeddings,
    })
}

/// Writes [`merged`] rows and returns them.
fn merge_table(workdir: &Workdir, table: Table, new: DataFrame, replaced: &Series) -> Result<DataFrame> {
    let mut rows = merged(workdir, table, new, replaced)?;
    workdir.write_table(table, &mut rows)?;
    Ok(rows)
}

/// Existing rows whose track_id is not in `replaced`, followed by `new`, sorted by track id
/// so that the result does not depend on the order batches arrived in.
fn merged(workdir: &Workdir, table: Table, new: DataFrame, replaced: &Series) -> Result<DataFrame> {
    let combined = match workdir.read_table_if_exists(table)? {
        Some(old) => old
            .lazy()
            .filter(
                col(cols::sections::TRACK_ID)
                    .is_in(lit(replaced.clone()).implode(false), false)
                    .not(),
            )
            .collect()
            .ctx(format!("merging `{}`", table.name()))?
            .vstack(&new.select(old_column_order(table)).ctx("aligning columns")?)
            .ctx(format!("merging `{}`", table.name()))?,
        None => new,
    };
    let mut sort_by = vec![cols::tracks::TRACK_ID];
    match table {
        Table::Segments => sort_by.push(cols::segments::SEG),
        Table::Sections => sort_by.push(cols::sections::SECTION),
        _ => {}
    }
    let mut sorted = combined
        .sort(sort_by, SortMultipleOptions::default().with_maintain_order(true))
        .ctx(format!("sorting `{}`", table.name()))?;
    sorted.rechunk_mut();
    Ok(sorted)
}

fn old_column_order(table: Table) -> Vec<String> {
    table.spec().columns.into_iter().map(|c| c.name).collect()
}

/// The `tracks` rows of `tracks` (the merge and timbral-synth build every table with these).
pub fn tracks_frame(tracks: &[TrackRecord]) -> Result<DataFrame> {
    let genres: Vec<Series> = tracks
        .iter()
        .map(|t| Series::new("".into(), &t.genres))
        .collect();
    let mut genres = Series::new(cols::tracks::GENRES.into(), genres);
    if tracks.is_empty() {
        genres = genres
            .cast(&DataType::List(Box::new(DataType::String)))
            .ctx("typing genres")?;
    }
    let get = |f: fn(&TrackRecord) -> Option<f64>| tracks.iter().map(f).collect::<Vec<_>>();
    let geti = |f: fn(&TrackRecord) -> Option<i32>| tracks.iter().map(f).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        Column::new(cols::tracks::TRACK_ID.into(), tracks.iter().map(|t| t.track_id.as_str()).collect::<Vec<_>>()),
        Column::new(cols::tracks::TITLE.into(), tracks.iter().map(|t| t.title.as_str()).collect::<Vec<_>>()),
        Column::new(
            cols::tracks::ARTIST_ID.into(),
            tracks.iter().map(|t| ids::artist_id(&t.artist_name)).collect::<Vec<_>>(),
        ),
        Column::new(cols::tracks::ARTIST_NAME.into(), tracks.iter().map(|t| t.artist_name.as_str()).collect::<Vec<_>>()),
        Column::new(cols::tracks::ALBUM.into(), tracks.iter().map(|t| t.album.as_deref()).collect::<Vec<_>>()),
        genres.into(),
        Column::new(cols::tracks::DURATION_S.into(), tracks.iter().map(|t| t.duration_s).collect::<Vec<_>>()),
        Column::new(cols::sections::TEMPO.into(), get(|t| t.tempo)),
        Column::new(cols::tracks::TEMPO_CONFIDENCE.into(), get(|t| t.tempo_confidence)),
        Column::new(cols::sections::KEY.into(), geti(|t| t.key)),
        Column::new(cols::tracks::KEY_CONFIDENCE.into(), get(|t| t.key_confidence)),
        Column::new(cols::sections::MODE.into(), geti(|t| t.mode)),
        Column::new(cols::tracks::MODE_CONFIDENCE.into(), get(|t| t.mode_confidence)),
        Column::new(cols::sections::TIME_SIGNATURE.into(), geti(|t| t.time_signature)),
        Column::new(cols::tracks::TIME_SIGNATURE_CONFIDENCE.into(), get(|t| t.time_signature_confidence)),
        Column::new(cols::sections::LOUDNESS.into(), get(|t| t.loudness)),
        Column::new(cols::tracks::SOURCE.into(), tracks.iter().map(|t| t.source.as_str()).collect::<Vec<_>>()),
        Column::new(cols::tracks::LOCATION.into(), tracks.iter().map(|t| t.location.as_str()).collect::<Vec<_>>()),
    ])
    .ctx("building `tracks`")
}

pub fn segments_frame(segments: &BTreeMap<String, Vec<SegmentRecord>>) -> Result<DataFrame> {
    let rows = segments.values().map(Vec::len).sum();
    let mut track_id = Vec::with_capacity(rows);
    let mut seg = Vec::with_capacity(rows);
    let mut scalars: [Vec<f64>; 7] = std::array::from_fn(|_| Vec::with_capacity(rows));
    let mut pitches: [Vec<f32>; 12] = std::array::from_fn(|_| Vec::with_capacity(rows));
    let mut timbre: [Vec<f32>; 12] = std::array::from_fn(|_| Vec::with_capacity(rows));
    for (id, list) in segments {
        for (i, s) in list.iter().enumerate() {
            track_id.push(id.as_str());
            seg.push(i as u32);
            let values = [
                s.start,
                s.duration,
                s.confidence,
                s.loudness_start,
                s.loudness_max,
                s.loudness_max_time,
                s.loudness_end,
            ];
            for (column, v) in scalars.iter_mut().zip(values) {
                column.push(v);
            }
            for b in 0..12 {
                pitches[b].push(s.pitches[b]);
                timbre[b].push(s.timbre[b]);
            }
        }
    }
    let scalar_names = [
        cols::segments::START,
        cols::segments::DURATION,
        cols::segments::CONFIDENCE,
        cols::segments::LOUDNESS_START,
        cols::segments::LOUDNESS_MAX,
        cols::segments::LOUDNESS_MAX_TIME,
        cols::segments::LOUDNESS_END,
    ];
    let mut columns = vec![
        Column::new(cols::segments::TRACK_ID.into(), track_id),
        Column::new(cols::segments::SEG.into(), seg),
    ];
    columns.extend(
        scalar_names
            .iter()
            .zip(scalars)
            .map(|(name, values)| Column::new((*name).into(), values)),
    );
    columns.extend(
        pitch_columns()
            .into_iter()
            .chain(timbre_columns())
            .zip(pitches.into_iter().chain(timbre))
            .map(|(name, values)| Column::new(name.into(), values)),
    );
    DataFrame::new_infer_height(columns).ctx("building `segments`")
}

pub fn sections_frame(sections: &BTreeMap<String, Vec<SectionRecord>>) -> Result<DataFrame> {
    let rows: Vec<(&str, u32, &SectionRecord)> = sections
        .iter()
        .flat_map(|(id, list)| list.iter().enumerate().map(move |(i, s)| (id.as_str(), i as u32, s)))
        .collect();
    let f = |g: fn(&SectionRecord) -> Option<f64>| rows.iter().map(|r| g(r.2)).collect::<Vec<_>>();
    let i = |g: fn(&SectionRecord) -> Option<i32>| rows.iter().map(|r| g(r.2)).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        Column::new(cols::sections::TRACK_ID.into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new(cols::sections::SECTION.into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new(cols::sections::START.into(), rows.iter().map(|r| r.2.start).collect::<Vec<_>>()),
        Column::new(cols::sections::DURATION.into(), rows.iter().map(|r| r.2.duration).collect::<Vec<_>>()),
        Column::new(cols::sections::CONFIDENCE.into(), f(|s| s.confidence)),
        Column::new(cols::sections::LOUDNESS.into(), f(|s| s.loudness)),
        Column::new(cols::sections::TEMPO.into(), f(|s| s.tempo)),
        Column::new(cols::sections::KEY.into(), i(|s| s.key)),
        Column::new(cols::sections::MODE.into(), i(|s| s.mode)),
        Column::new(cols::sections::TIME_SIGNATURE.into(), i(|s| s.time_signature)),
    ])
    .ctx("building `sections`")
}

pub fn embeddings_frame(embeddings: &BTreeMap<String, EmbeddingRecord>) -> Result<DataFrame> {
    let records: Vec<(&String, &EmbeddingRecord)> = embeddings.iter().collect();
    let top_tags: Vec<Series> = records.iter().map(|(_, r)| Series::new("".into(), &r.top_tags)).collect();
    let top_tags = Series::new(cols::embeddings::TOP_TAGS.into(), top_tags)
        .cast(&DataType::List(Box::new(DataType::String)))
        .ctx("typing top_tags")?;
    let mut columns = vec![
        Column::new(cols::embeddings::TRACK_ID.into(), records.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>()),
        Column::new(cols::embeddings::MODEL.into(), records.iter().map(|(_, r)| r.model.as_str()).collect::<Vec<_>>()),
        Column::new(cols::embeddings::PATCHES.into(), records.iter().map(|(_, r)| r.patches).collect::<Vec<_>>()),
        top_tags.into(),
    ];
    for (i, name) in embedding_vector_names().into_iter().enumerate() {
        let values: Vec<f32> = records.iter().map(|(_, r)| r.vector[i]).collect();
        columns.push(Column::new(name.into(), values));
    }
    DataFrame::new_infer_height(columns).ctx("building `embeddings`")
}

pub fn audio_features_frame(records: &[AudioFeatureRecord]) -> Result<DataFrame> {
    let mut columns = vec![Column::new(
        cols::audio_features::TRACK_ID.into(),
        records.iter().map(|r| r.track_id.as_str()).collect::<Vec<_>>(),
    )];
    columns.extend(AUDIO_FEATURE_COLUMNS.iter().enumerate().map(|(i, name)| {
        Column::new((*name).into(), records.iter().map(|r| r.values[i]).collect::<Vec<_>>())
    }));
    DataFrame::new_infer_height(columns).ctx("building `audio_features`")
}

/// One row per artist of `tracks`: known genres where the source gave them, else the sorted
/// union of the artist's track genres.
pub fn artists_frame(
    tracks: &DataFrame,
    known_genres: &BTreeMap<String, Vec<String>>,
) -> Result<DataFrame> {
    let ids = tracks.column(cols::tracks::ARTIST_ID).ctx("tracks")?.str().ctx("tracks.artist_id")?;
    let names = tracks.column(cols::tracks::ARTIST_NAME).ctx("tracks")?.str().ctx("tracks.artist_name")?;
    let genres = tracks.column(cols::tracks::GENRES).ctx("tracks")?.list().ctx("tracks.genres")?;
    let mut artists: BTreeMap<&str, (&str, BTreeSet<String>)> = BTreeMap::new();
    for (row, (id, name)) in ids.iter().zip(names.iter()).enumerate() {
        let (Some(id), Some(name)) = (id, name) else { continue };
        let entry = artists.entry(id).or_insert_with(|| (name, BTreeSet::new()));
        if let Some(list) = genres.get_as_series(row) {
            let list = list.str().ctx("tracks.genres")?.clone();
            entry.1.extend(list.iter().flatten().map(str::to_string));
        }
    }
    let mut id_col = Vec::with_capacity(artists.len());
    let mut name_col = Vec::with_capacity(artists.len());
    let mut genre_col = Vec::with_capacity(artists.len());
    for (id, (name, from_tracks)) in artists {
        id_col.push(id);
        name_col.push(name);
        let genres: Vec<String> = match known_genres.get(name) {
            Some(known) => known.clone(),
            None => from_tracks.into_iter().collect(),
        };
        genre_col.push(Series::new("".into(), genres));
    }
    let genres = Series::new(cols::tracks::GENRES.into(), genre_col)
        .cast(&DataType::List(Box::new(DataType::String)))
        .ctx("typing artist genres")?;
    DataFrame::new_infer_height(vec![
        Column::new(cols::tracks::ARTIST_ID.into(), id_col),
        Column::new(cols::tracks::ARTIST_NAME.into(), name_col),
        genres.into(),
    ])
    .ctx("building `artists`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(id: &str, artist: &str, genres: &[&str]) -> TrackRecord {
        TrackRecord {
            track_id: id.into(),
            title: format!("song {id}"),
            artist_name: artist.into(),
            genres: genres.iter().map(|g| g.to_string()).collect(),
            duration_s: 1.0,
            source: "synthetic".into(),
            location: format!("/x/{id}"),
            ..Default::default()
        }
    }

    fn batch(tracks: Vec<TrackRecord>) -> IngestBatch {
        let segments = tracks
            .iter()
            .map(|t| (t.track_id.clone(), vec![SegmentRecord::default(); 2]))
            .collect();
        IngestBatch {
            tracks,
            segments,
            ..Default::default()
        }
    }

    #[test]
    fn merge_replaces_reingested_tracks_and_grows_the_library() {
        let dir = tempfile::tempdir().unwrap();
        let wd = Workdir::new(dir.path());
        merge_into_workdir(&wd, &batch(vec![track("a", "Bach", &["baroque"]), track("b", "Chopin", &[])]))
            .unwrap();
        let summary = merge_into_workdir(
            &wd,
            &batch(vec![track("b", "Chopin", &["romantic"]), track("c", "bach", &["organ"])]),
        )
        .unwrap();
        assert_eq!(summary, MergeSummary { tracks: 3, artists: 2, segments: 6, embeddings: 0 });
        let artists = wd.read_table(Table::Artists).unwrap();
        let bach = artists
            .lazy()
            .filter(col("artist_id").eq(lit(ids::artist_id("Bach"))))
            .collect()
            .unwrap();
        let genres = bach.column("genres").unwrap().list().unwrap().get_as_series(0).unwrap();
        let genres: Vec<_> = genres.str().unwrap().iter().flatten().collect();
        assert_eq!(genres, ["baroque", "organ"]);
    }

    #[test]
    fn merging_the_same_batch_twice_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let wd = Workdir::new(dir.path());
        let b = batch(vec![track("a", "Bach", &["baroque"])]);
        merge_into_workdir(&wd, &b).unwrap();
        let first = wd.read_table(Table::Segments).unwrap();
        merge_into_workdir(&wd, &b).unwrap();
        assert!(first.equals(&wd.read_table(Table::Segments).unwrap()));
    }
}
