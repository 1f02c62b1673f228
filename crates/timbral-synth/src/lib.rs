//! `timbral synth`: a synthetic catalogue shaped like Echo Nest / Spotify audio analysis, for
//! benchmarks and end-to-end runs at catalogue scale (13k to 1M songs). The generative model
//! (module `model`) mirrors the structure the study looks for: genres, artists blending them,
//! songs around their artist, segments drifting over time.
//!
//! Scales follow Spotify's: about 4 segments per second, lognormal song lengths around 210 s,
//! `timbre_0` in 0..60 and the other coefficients within roughly +-200 (clamped to +-300),
//! loudness in dB, pitch vectors normalised so that the strongest pitch class is 1.
//!
//! Songs are generated in parallel chunks, each song from its own ChaCha stream, so the output
//! is identical for a seed whatever the number of threads. Two levels:
//! - [`Level::Segments`] streams the `segments` table to Parquet, one row group per chunk;
//! - [`Level::Features`] reduces each chunk's segments in memory with the features crate's own
//!   arithmetic ([`timbral_features::features_of_complete_tracks`]) and streams the processed
//!   `features` table instead, so 10^6 songs (10^9 segments, ~140 GB as Parquet) need no
//!   segments table. The result equals `synth` followed by `timbral features`.
//!
//! Memory stays bounded by a few chunks whatever the catalogue size; the small tables
//! (tracks, sections, ...) are kept in memory. `synthesize` *replaces* the interim tables
//! `tracks`, `artists`, `segments` (removed at the features level), `sections` and
//! `audio_features`; `ingest_errors` is left as it is.

mod model;

use std::collections::BTreeMap;
use std::fmt;

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
pub use linfa::ParamGuard;
use timbral_core::{Error, Result, Table, TableSpec, Workdir, io, progress, timbral_ensure};
use timbral_features::{FeatureSet, features_of_complete_tracks};
use timbral_ingest::tables::{
    artists_frame, audio_features_frame, sections_frame, segments_frame, tracks_frame,
};

use crate::model::{Catalogue, SongPlan};

/// The `source` value of every synthetic track.
pub const SOURCE: &str = "synthetic";

/// Default number of genres.
pub const DEFAULT_GENRES: usize = 16;

/// Songs per generated chunk; a chunk (~200k segments) becomes one Parquet row group.
const CHUNK_SONGS: usize = 256;

/// What synth writes besides the small interim tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// The interim `segments` table (what ingestion writes).
    #[default]
    Segments,
    /// The processed `features` table of this set, and no segments table.
    Features(FeatureSet),
}

impl Level {
    /// The table streamed chunk by chunk.
    pub fn streamed_table(self) -> Table {
        match self {
            Level::Segments => Table::Segments,
            Level::Features(_) => Table::Features,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Segments => f.write_str("segments"),
            Level::Features(set) => write!(f, "features ({set})"),
        }
    }
}

/// Size, seed and level of a synthetic catalogue, checked by [`SynthParams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthValidParams {
    songs: usize,
    artists: usize,
    genres: usize,
    seed: u64,
    level: Level,
}

impl SynthValidParams {
    pub fn songs(&self) -> usize {
        self.songs
    }
    pub fn artists(&self) -> usize {
        self.artists
    }
}

/// A linfa [`ParamGuard`] builder of [`SynthValidParams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthParams(SynthValidParams);

impl Default for SynthParams {
    /// The study's catalogue: 13,000 songs by 9,000 artists.
    fn default() -> Self {
        SynthParams::new(13_000, 9_000)
    }
}

impl SynthParams {
    /// `songs` songs by `artists` artists, [`DEFAULT_GENRES`] genres, seed 42, segments level.
    pub fn new(songs: usize, artists: usize) -> Self {
        SynthParams(SynthValidParams { songs, artists, genres: DEFAULT_GENRES, seed: 42, level: Level::Segments })
    }

    /// The defaults, for the command line's help.
    pub fn defaults() -> SynthValidParams {
        SynthParams::default().0
    }
}

timbral_core::param_fields! {
    SynthParams, 0 => SynthValidParams {
        genres: usize,
        seed: u64,
        /// Which table the catalogue is streamed as.
        level: Level,
    }
}

// Every artist needs a song and a genre: `1 <= artists <= songs`, `1 <= genres <= artists`.
timbral_core::param_guard!(SynthParams, 0 => SynthValidParams, Error, |p| {
    timbral_ensure!(p.songs >= 1, InvalidParameter { name: "songs", why: "must be at least 1".into() });
    timbral_ensure!((1..=p.songs).contains(&p.artists), InvalidParameter {
        name: "artists",
        why: format!("must be between 1 and the number of songs ({}), got {}", p.songs, p.artists),
    });
    timbral_ensure!((1..=p.artists).contains(&p.genres), InvalidParameter {
        name: "genres",
        why: format!("must be between 1 and the number of artists ({}), got {}", p.artists, p.genres),
    });
});

/// What [`synthesize`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSummary {
    pub songs: usize,
    pub artists: usize,
    pub genres: usize,
    /// Segments generated (stored only at [`Level::Segments`]).
    pub segments: u64,
    pub sections: u64,
    /// Rows of `features` written at [`Level::Features`].
    pub features: Option<u64>,
}

/// Generates a catalogue and writes (replacing) the streamed table of its level (`segments` or
/// `features`), then `sections`, `audio_features`, `artists` and `tracks`, in that order. At
/// the features level an older `segments` table is removed, since it would not match.
pub fn synthesize(workdir: &Workdir, params: &SynthValidParams) -> Result<SynthSummary> {
    let catalogue = Catalogue::new(params);
    let bar = progress::bar(params.songs as u64, "synth");
    let chunks: Vec<&[SongPlan]> = catalogue.songs.chunks(CHUNK_SONGS).collect();
    let wave_len = 2 * rayon::current_num_threads().max(1);

    let table = params.level.streamed_table();
    let mut small = SmallTables::default();
    io::write_atomic(&workdir.table_path(table), |file| {
        let mut stream = Stream::new(file, table);
        let mut pending: Vec<Chunk> = Vec::new();
        for wave in chunks.chunks(wave_len) {
            // Write the previous wave while generating this one.
            let (written, generated) = rayon::join(
                || stream.write(std::mem::take(&mut pending)),
                || {
                    wave.par_iter()
                        .map(|songs| chunk(&catalogue, songs, params.level))
                        .collect::<Result<Vec<Chunk>>>()
                },
            );
            small.absorb(written?)?;
            pending = generated?;
            bar.inc(wave.iter().map(|c| c.len() as u64).sum());
        }
        small.absorb(stream.write(pending)?)?;
        stream.finish()
    })?;
    bar.finish_and_clear();

    let segments_path = workdir.table_path(Table::Segments);
    if table != Table::Segments && segments_path.exists() {
        std::fs::remove_file(&segments_path).map_err(|e| Error::io(&segments_path, e))?;
    }
    for frame in [&mut small.tracks, &mut small.sections, &mut small.audio_features] {
        frame.rechunk_mut();
    }
    let section_rows = small.sections.height() as u64;
    workdir.write_table(Table::Sections, &mut small.sections)?;
    workdir.write_table(Table::AudioFeatures, &mut small.audio_features)?;
    let mut artists = artists_frame(&small.tracks, &catalogue.artist_genres())?;
    workdir.write_table(Table::Artists, &mut artists)?;
    workdir.write_table(Table::Tracks, &mut small.tracks)?;
    let summary = SynthSummary {
        songs: params.songs,
        artists: artists.height(),
        genres: params.genres,
        segments: small.segment_rows,
        sections: section_rows,
        features: (table == Table::Features).then_some(small.streamed_rows),
    };
    tracing::info!(
        songs = summary.songs,
        artists = summary.artists,
        segments = summary.segments,
        level = %params.level,
        "synthetic catalogue written"
    );
    Ok(summary)
}

/// One generated chunk of songs in table form: the streamed table's rows and the small tables.
struct Chunk {
    streamed: DataFrame,
    small: SmallTables,
}

/// The songs of `plans` as a [`Chunk`] of `level`.
fn chunk(catalogue: &Catalogue, plans: &[SongPlan], level: Level) -> Result<Chunk> {
    let mut tracks = Vec::with_capacity(plans.len());
    let mut segments = BTreeMap::new();
    let mut sections = BTreeMap::new();
    let mut audio_features = Vec::with_capacity(plans.len());
    for plan in plans {
        let song = catalogue.song(plan);
        segments.insert(plan.track_id.clone(), song.segments);
        sections.insert(plan.track_id.clone(), song.sections);
        audio_features.push(song.audio_features);
        tracks.push(song.track);
    }
    let segments = segments_frame(&segments)?;
    let sections = sections_frame(&sections)?;
    let segment_rows = segments.height() as u64;
    let mut streamed = match level {
        Level::Segments => segments,
        Level::Features(set) => {
            let song_sections = (set == FeatureSet::Extended).then(|| sections.clone());
            features_of_complete_tracks(segments, song_sections, set)?
        }
    };
    streamed.rechunk_mut();
    Ok(Chunk {
        small: SmallTables {
            tracks: tracks_frame(&tracks)?,
            sections,
            audio_features: audio_features_frame(&audio_features)?,
            segment_rows,
            streamed_rows: streamed.height() as u64,
        },
        streamed,
    })
}

/// The small tables of the chunks written so far, plus row counts.
#[derive(Default)]
struct SmallTables {
    tracks: DataFrame,
    sections: DataFrame,
    audio_features: DataFrame,
    segment_rows: u64,
    streamed_rows: u64,
}

impl SmallTables {
    fn absorb(&mut self, other: SmallTables) -> Result<()> {
        for (mine, theirs) in [
            (&mut self.tracks, other.tracks),
            (&mut self.sections, other.sections),
            (&mut self.audio_features, other.audio_features),
        ] {
            if mine.width() == 0 {
                *mine = theirs;
            } else if theirs.width() > 0 {
                mine.vstack_mut_owned(theirs).ctx("collecting synthetic tables")?;
            }
        }
        self.segment_rows += other.segment_rows;
        self.streamed_rows += other.streamed_rows;
        Ok(())
    }
}

/// The streamed table's Parquet writer, opened on the first chunk, whose schema it takes (the
/// feature sets have different columns).
struct Stream<'a> {
    file: Option<&'a mut std::fs::File>,
    writer: Option<BatchedWriter<&'a mut std::fs::File>>,
    spec: TableSpec,
}

impl<'a> Stream<'a> {
    fn new(file: &'a mut std::fs::File, table: Table) -> Self {
        Stream { file: Some(file), writer: None, spec: table.spec() }
    }

    /// Appends the chunks' rows, one row group each, and returns their small tables.
    fn write(&mut self, chunks: Vec<Chunk>) -> Result<SmallTables> {
        let mut small = SmallTables::default();
        for chunk in chunks {
            self.spec.validate(&chunk.streamed)?;
            let context = || format!("writing synthetic `{}`", self.spec.table.name());
            let writer = match (&mut self.writer, self.file.take()) {
                (Some(writer), _) => writer,
                (None, file) => {
                    let file = file.ok_or_else(|| Error::Internal("synthetic stream lost its file".into()))?;
                    let writer = ParquetWriter::new(file)
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(chunk.streamed.schema())
                        .ctx(context())?;
                    self.writer.insert(writer)
                }
            };
            writer.write_batch(&chunk.streamed).ctx(context())?;
            small.absorb(chunk.small)?;
        }
        Ok(small)
    }

    fn finish(self) -> Result<()> {
        let context = format!("finishing synthetic `{}`", self.spec.table.name());
        match self.writer {
            Some(writer) => writer.finish().map(|_| ()).ctx(context),
            None => Err(Error::Internal(format!("{context}: no rows were generated"))),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(seed: u64) -> SynthValidParams {
        SynthParams::new(40, 12).genres(4).seed(seed).check().unwrap()
    }

    #[test]
    fn same_seed_gives_identical_tables_and_files() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (wa, wb) = (Workdir::new(a.path()), Workdir::new(b.path()));
        let sa = synthesize(&wa, &tiny(7)).unwrap();
        let sb = synthesize(&wb, &tiny(7)).unwrap();
        assert_eq!(sa, sb);
        for table in [Table::Tracks, Table::Artists, Table::Segments, Table::Sections, Table::AudioFeatures] {
            let fa = std::fs::read(wa.table_path(table)).unwrap();
            let fb = std::fs::read(wb.table_path(table)).unwrap();
            assert!(fa == fb, "{} differs between runs with the same seed", table.name());
        }
        let c = tempfile::tempdir().unwrap();
        let wc = Workdir::new(c.path());
        synthesize(&wc, &tiny(8)).unwrap();
        let segments = |w: &Workdir| w.read_table(Table::Segments).unwrap();
        assert!(!segments(&wa).equals(&segments(&wc)), "another seed gives other data");
    }

    #[test]
    fn tables_have_echo_nest_shape() {
        let dir = tempfile::tempdir().unwrap();
        let wd = Workdir::new(dir.path());
        let params = SynthParams::new(60, 20).genres(5).seed(3).check().unwrap();
        let summary = synthesize(&wd, &params).unwrap();
        let tracks = wd.read_table(Table::Tracks).unwrap();
        let artists = wd.read_table(Table::Artists).unwrap();
        let segments = wd.read_table(Table::Segments).unwrap();
        assert_eq!(tracks.height(), 60);
        assert_eq!(artists.height(), 20);
        assert_eq!(summary.segments, segments.height() as u64);
        assert_eq!(wd.read_table(Table::AudioFeatures).unwrap().height(), 60);

        let total_s: f64 = tracks.column("duration_s").unwrap().f64().unwrap().sum().unwrap();
        let rate = segments.height() as f64 / total_s;
        assert!((3.0..5.5).contains(&rate), "{rate} segments per second");
        let mean_s = total_s / 60.0;
        assert!((150.0..300.0).contains(&mean_s), "mean song length {mean_s} s");

        let stats = segments
            .clone()
            .lazy()
            .select([
                col("timbre_0").min().cast(DataType::Float64).alias("t0_min"),
                col("timbre_0").max().cast(DataType::Float64).alias("t0_max"),
                col("timbre_1").std(1).cast(DataType::Float64).alias("t1_sd"),
                col("timbre_11").abs().max().cast(DataType::Float64).alias("t11_absmax"),
                col("pitch_0").max().cast(DataType::Float64).alias("pitch_max"),
                col("loudness_max").max().alias("loud_max"),
            ])
            .collect()
            .unwrap();
        let get = |name: &str| stats.column(name).unwrap().f64().unwrap().get(0).unwrap();
        assert!(get("t0_min") >= 0.0 && get("t0_max") <= 60.0);
        assert!(get("t0_max") > 40.0, "timbre_0 reaches Spotify's loud range");
        assert!((20.0..120.0).contains(&get("t1_sd")), "timbre_1 sd {}", get("t1_sd"));
        assert!(get("t11_absmax") <= 300.0);
        assert!(get("pitch_max") <= 1.0 && get("loud_max") <= 0.0);

        // Segments are sorted by (track_id, seg) and start at 0 in every track.
        let sorted = segments
            .sort(["track_id", "seg"], SortMultipleOptions::default())
            .unwrap();
        assert!(sorted.equals(&wd.read_table(Table::Segments).unwrap()));
        let sources = tracks.column("source").unwrap().str().unwrap();
        assert!(sources.iter().all(|s| s == Some(SOURCE)));
    }

    #[test]
    fn songs_cluster_by_artist() {
        // Songs of the same artist are closer in mean timbre than songs of different artists.
        let dir = tempfile::tempdir().unwrap();
        let wd = Workdir::new(dir.path());
        synthesize(&wd, &SynthParams::new(80, 8).genres(4).seed(11).check().unwrap()).unwrap();
        let means = wd
            .scan_table(Table::Segments)
            .unwrap()
            .group_by([col("track_id")])
            .agg((1..4).map(|d| col(format!("timbre_{d}")).mean()).collect::<Vec<_>>())
            .join(
                wd.scan_table(Table::Tracks).unwrap().select([col("track_id"), col("artist_id")]),
                [col("track_id")],
                [col("track_id")],
                JoinArgs::new(JoinType::Inner),
            )
            .sort(["track_id"], SortMultipleOptions::default())
            .collect()
            .unwrap();
        let artist = timbral_core::matrix::strings(&means, "m", "artist_id").unwrap();
        let x = timbral_core::matrix::to_matrix(
            &means,
            "m",
            &(1..4).map(|d| format!("timbre_{d}")).collect::<Vec<_>>(),
        )
        .unwrap();
        let (mut within, mut between) = ((0.0, 0), (0.0, 0));
        for i in 0..x.nrows() {
            for j in i + 1..x.nrows() {
                let d = (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum().sqrt();
                let acc = if artist[i] == artist[j] { &mut within } else { &mut between };
                acc.0 += d;
                acc.1 += 1;
            }
        }
        let (within, between) = (within.0 / within.1 as f64, between.0 / between.1 as f64);
        assert!(within < 0.8 * between, "within {within} vs between {between}");
    }

    /// Same track ids and columns, values within a relative 1e-9, nulls in the same places.
    fn assert_same_features(got: &DataFrame, want: &DataFrame) {
        assert_eq!(got.get_column_names(), want.get_column_names());
        assert!(got.column("track_id").unwrap().equals(want.column("track_id").unwrap()));
        for name in want.get_column_names().into_iter().skip(1) {
            let as_f64 = |f: &DataFrame| f.column(name).unwrap().cast(&DataType::Float64).unwrap();
            let (g, w) = (as_f64(got), as_f64(want));
            for (row, pair) in g.f64().unwrap().iter().zip(w.f64().unwrap().iter()).enumerate() {
                let (Some(a), Some(b)) = pair else {
                    assert_eq!(pair.0, pair.1, "{name} row {row}");
                    continue;
                };
                assert!((a - b).abs() <= 1e-9 * b.abs(), "{name} row {row}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn features_level_equals_segments_then_the_features_stage() {
        // 600 songs: three chunks, so chunk boundaries are crossed.
        let params = SynthParams::new(600, 150).genres(6).seed(5);
        let checked = params.clone().check().unwrap();
        let staged_dir = tempfile::tempdir().unwrap();
        let staged = Workdir::new(staged_dir.path());
        synthesize(&staged, &checked).unwrap();
        for set in FeatureSet::ALL {
            timbral_features::compute_features(&staged, set).unwrap();
            let direct_dir = tempfile::tempdir().unwrap();
            let direct = Workdir::new(direct_dir.path());
            synthesize(&direct, &tiny(9)).unwrap();
            let summary = synthesize(&direct, &params.clone().level(Level::Features(set)).check().unwrap()).unwrap();
            assert!(!direct.has_table(Table::Segments), "the older segments table is removed");
            assert_eq!(summary.features, Some(600));
            for table in [Table::Tracks, Table::Artists, Table::Sections, Table::AudioFeatures] {
                let bytes = |w: &Workdir| std::fs::read(w.table_path(table)).unwrap();
                assert!(bytes(&staged) == bytes(&direct), "{} differs between levels", table.name());
            }
            assert_same_features(
                &direct.read_table(Table::Features).unwrap(),
                &staged.read_table(Table::Features).unwrap(),
            );
        }
    }

    #[test]
    fn invalid_sizes_are_rejected_with_the_parameter_name() {
        let rejected = |params: SynthParams| params.check().unwrap_err().parameter();
        assert_eq!(rejected(SynthParams::new(5, 10)), Some("artists"));
        assert_eq!(rejected(SynthParams::new(0, 0)), Some("songs"));
        assert_eq!(rejected(SynthParams::new(10, 3).genres(4)), Some("genres"));
    }
}
