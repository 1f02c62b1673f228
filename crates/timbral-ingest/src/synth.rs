//! `timbral synth`: synthetic interim tables shaped like Echo Nest / Spotify audio analysis,
//! for benchmarks and end-to-end runs at catalogue scale (13k to 1M songs).
//!
//! The generative model mirrors the structure the study looks for:
//! - each genre is a centre and a correlated spread in the 12-dimensional timbre space;
//! - each artist is a perturbation of one genre or a blend of two;
//! - each song scatters around its artist, and its segments follow an AR(1) process around the
//!   song centre, shifted per section, so timbre drifts over time like real music.
//!
//! Scales follow Spotify's: about 4 segments per second, lognormal song lengths around 210 s,
//! `timbre_0` in 0..60 and the other coefficients within roughly +-200 (clamped to +-300),
//! loudness in dB, pitch vectors normalised so that the strongest pitch class is 1.
//!
//! Every song draws from its own ChaCha stream (seed, song index), so the output is identical
//! for a seed whatever the number of threads. Segments are generated in parallel chunks and
//! streamed to Parquet one row group per chunk, so memory stays bounded by a few chunks
//! whatever the catalogue size; the small tables (tracks, sections, ...) are kept in memory.
//!
//! `synthesize` *replaces* the interim tables `tracks`, `artists`, `segments`, `sections` and
//! `audio_features`; `ingest_errors` is left as it is.

use std::collections::{BTreeMap, HashSet};
use std::f64::consts::PI;

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, Result, Table, Workdir, ids, io, progress};

use crate::tables::{
    AudioFeatureRecord, SectionRecord, SegmentRecord, TrackRecord, artists_frame,
    audio_features_frame, sections_frame, segments_frame, tracks_frame,
};

/// The `source` value of every synthetic track.
pub const SOURCE: &str = "synthetic";

/// Default number of genres.
pub const DEFAULT_GENRES: usize = 16;

/// Songs per generated chunk; a chunk (~200k segments) becomes one Parquet row group.
const CHUNK_SONGS: usize = 256;

/// Typical per-dimension timbre centre of a song (Spotify scale).
const BASE_CENTRE: [f64; 12] = [
    44.0, 5.0, 10.0, 0.0, -5.0, 0.0, -5.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];
/// Spread of genre centres around [`BASE_CENTRE`]; artists and songs use fractions of it.
const CENTRE_SPREAD: [f64; 12] = [4.0, 35.0, 28.0, 20.0, 14.0, 11.0, 9.0, 8.0, 7.0, 6.0, 5.0, 5.0];
/// Typical per-dimension standard deviation of segments around their song centre.
const SEGMENT_SD: [f64; 12] = [5.0, 45.0, 38.0, 28.0, 24.0, 20.0, 17.0, 15.0, 13.0, 12.0, 11.0, 10.0];
const ARTIST_SHARE: f64 = 0.4;
const SONG_SHARE: f64 = 0.3;
const SECTION_SHARE: f64 = 0.35;

const SONG_MEDIAN_S: f64 = 210.0;
const SONG_LOG_SD: f64 = 0.3;
const SEGMENT_MEDIAN_S: f64 = 0.22;
const SEGMENT_LOG_SD: f64 = 0.45;

/// Krumhansl-Kessler key profiles, used to shape pitch vectors around a key.
const MAJOR_PROFILE: [f64; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR_PROFILE: [f64; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

const GENRE_NAMES: [&str; 24] = [
    "rock", "pop", "jazz", "classical", "hip hop", "electronic", "folk", "metal", "blues",
    "country", "soul", "reggae", "punk", "ambient", "latin", "funk", "techno", "indie",
    "gospel", "opera", "disco", "house", "bossa nova", "grunge",
];
const NAME_FIRST: [&str; 20] = [
    "Velvet", "Silver", "Midnight", "Electric", "Golden", "Crimson", "Hollow", "Paper",
    "Neon", "Wild", "Quiet", "Broken", "Lunar", "Static", "Amber", "Iron", "Glass", "Northern",
    "Saint", "Echo",
];
const NAME_SECOND: [&str; 20] = [
    "Owls", "Harbour", "Machines", "Rivers", "Tigers", "Lanterns", "Orchestra", "Parade",
    "Collective", "Foxes", "Satellites", "Ghosts", "Gardens", "Pilots", "Wolves", "Choir",
    "Engines", "Sisters", "Brothers", "Circus",
];
const TITLE_WORDS: [&str; 24] = [
    "Love", "Night", "Fire", "River", "Dream", "Light", "Heart", "Rain", "Summer", "Road",
    "Shadow", "Morning", "Ocean", "Home", "Stars", "Blue", "Dance", "Gold", "Winter", "City",
    "Storm", "Silence", "Song", "Time",
];

/// Size and seed of a synthetic catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthParams {
    songs: usize,
    artists: usize,
    genres: usize,
    seed: u64,
}

impl SynthParams {
    /// `songs` songs by `artists` artists, [`DEFAULT_GENRES`] genres, seed 42.
    pub fn new(songs: usize, artists: usize) -> Self {
        SynthParams {
            songs,
            artists,
            genres: DEFAULT_GENRES,
            seed: 42,
        }
    }

    pub fn genres(mut self, genres: usize) -> Self {
        self.genres = genres;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Every artist needs a song and a genre: `1 <= artists <= songs`, `1 <= genres <= artists`.
    pub fn validate(&self) -> Result<()> {
        if self.songs == 0 {
            return Err(Error::InvalidParameter {
                name: "songs",
                why: "must be at least 1".into(),
            });
        }
        if self.artists == 0 || self.artists > self.songs {
            return Err(Error::InvalidParameter {
                name: "artists",
                why: format!(
                    "must be between 1 and the number of songs ({}), got {}",
                    self.songs, self.artists
                ),
            });
        }
        if self.genres == 0 || self.genres > self.artists {
            return Err(Error::InvalidParameter {
                name: "genres",
                why: format!(
                    "must be between 1 and the number of artists ({}), got {}",
                    self.artists, self.genres
                ),
            });
        }
        Ok(())
    }
}

/// What [`synthesize`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSummary {
    pub songs: usize,
    pub artists: usize,
    pub genres: usize,
    pub segments: u64,
    pub sections: u64,
}

/// Generates a catalogue and writes (replacing) the interim tables `segments`, `sections`,
/// `audio_features`, `artists` and `tracks`, in that order.
pub fn synthesize(workdir: &Workdir, params: &SynthParams) -> Result<SynthSummary> {
    params.validate()?;
    let catalogue = Catalogue::new(params);
    let bar = progress::bar(params.songs as u64, "synth");
    let chunks: Vec<&[SongPlan]> = catalogue.songs.chunks(CHUNK_SONGS).collect();
    let wave_len = 2 * rayon::current_num_threads().max(1);

    let mut small = SmallTables::default();
    let mut segment_rows = 0u64;
    let segments_path = workdir.table_path(Table::Segments);
    let segments_spec = Table::Segments.spec();
    let schema = segments_spec.empty_frame().schema().clone();
    io::write_atomic(&segments_path, |file| {
        let mut writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(&schema)
            .ctx(format!("writing {}", segments_path.display()))?;
        let mut pending: Vec<Chunk> = Vec::new();
        for wave in chunks.chunks(wave_len) {
            // Write the previous wave while generating this one.
            let (written, generated) = rayon::join(
                || write_chunks(&mut writer, &segments_spec, std::mem::take(&mut pending)),
                || {
                    wave.par_iter()
                        .map(|songs| catalogue.chunk(songs))
                        .collect::<Result<Vec<Chunk>>>()
                },
            );
            let finished = written?;
            segment_rows += finished.segment_rows;
            small.absorb(finished)?;
            pending = generated?;
            bar.inc(wave.iter().map(|c| c.len() as u64).sum());
        }
        let finished = write_chunks(&mut writer, &segments_spec, pending)?;
        segment_rows += finished.segment_rows;
        small.absorb(finished)?;
        writer
            .finish()
            .ctx(format!("finishing {}", segments_path.display()))?;
        Ok(())
    })?;
    bar.finish_and_clear();

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
        segments: segment_rows,
        sections: section_rows,
    };
    tracing::info!(
        songs = summary.songs,
        artists = summary.artists,
        segments = summary.segments,
        "synthetic catalogue written"
    );
    Ok(summary)
}

/// One generated chunk of songs, already in table form.
struct Chunk {
    segments: DataFrame,
    tracks: DataFrame,
    sections: DataFrame,
    audio_features: DataFrame,
}

/// The small tables of the chunks written so far, plus the segment count.
#[derive(Default)]
struct SmallTables {
    tracks: DataFrame,
    sections: DataFrame,
    audio_features: DataFrame,
    segment_rows: u64,
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
        Ok(())
    }
}

/// Appends the chunks' segments to the Parquet stream and returns their small tables.
fn write_chunks(
    writer: &mut BatchedWriter<&mut std::fs::File>,
    spec: &timbral_core::TableSpec,
    chunks: Vec<Chunk>,
) -> Result<SmallTables> {
    let mut small = SmallTables::default();
    for chunk in chunks {
        spec.validate(&chunk.segments)?;
        writer
            .write_batch(&chunk.segments)
            .ctx("writing synthetic segments")?;
        small.segment_rows += chunk.segments.height() as u64;
        small.absorb(SmallTables {
            tracks: chunk.tracks,
            sections: chunk.sections,
            audio_features: chunk.audio_features,
            segment_rows: 0,
        })?;
    }
    Ok(small)
}

/// A genre: a centre in timbre space and a correlated spread around it.
struct Genre {
    name: String,
    centre: [f64; 12],
    spread: [f64; 12],
    /// Rows normalised to unit length, so `mixing * z` has unit variance per dimension.
    mixing: [[f64; 12]; 12],
}

struct Artist {
    name: String,
    genres: Vec<usize>,
    centre: [f64; 12],
    spread: [f64; 12],
    loudness: f64,
}

/// What is fixed before the parallel generation: which artist sings which song.
struct SongPlan {
    index: usize,
    track_id: String,
    artist: usize,
    /// This song's position among its artist's songs (for album names).
    ordinal: usize,
}

struct Catalogue {
    seed: u64,
    genres: Vec<Genre>,
    artists: Vec<Artist>,
    /// Sorted by track id, so the segments table comes out sorted by (track_id, seg) like
    /// every ingested one.
    songs: Vec<SongPlan>,
}

impl Catalogue {
    fn new(params: &SynthParams) -> Self {
        let mut rng = song_rng(params.seed, None);
        let genres: Vec<Genre> = (0..params.genres).map(|g| Genre::new(g, &mut rng)).collect();
        let genre_weights: Vec<f64> = (0..genres.len()).map(|g| (g as f64 + 1.0).powf(-0.7)).collect();
        let mut used_names = HashSet::new();
        let artists: Vec<Artist> = (0..params.artists)
            .map(|a| {
                let name = artist_name(a, &mut rng, &mut used_names);
                Artist::new(name, &genres, &genre_weights, &mut rng)
            })
            .collect();
        // Every artist gets one song; the rest go by a heavy-tailed popularity.
        let popularity: Vec<f64> = (0..artists.len())
            .map(|_| normal(&mut rng, 0.0, 1.0).exp())
            .collect();
        let mut per_artist = vec![0usize; artists.len()];
        let mut songs: Vec<SongPlan> = (0..params.songs)
            .map(|index| {
                let artist = if index < artists.len() {
                    index
                } else {
                    weighted_index(&popularity, &mut rng)
                };
                let ordinal = per_artist[artist];
                per_artist[artist] += 1;
                SongPlan {
                    index,
                    track_id: ids::hash_id("tr", format!("{SOURCE}:{}:{index}", params.seed).as_bytes()),
                    artist,
                    ordinal,
                }
            })
            .collect();
        songs.sort_by(|a, b| a.track_id.cmp(&b.track_id));
        Catalogue {
            seed: params.seed,
            genres,
            artists,
            songs,
        }
    }

    fn artist_genres(&self) -> BTreeMap<String, Vec<String>> {
        self.artists
            .iter()
            .map(|a| (a.name.clone(), self.genre_names(a)))
            .collect()
    }

    fn genre_names(&self, artist: &Artist) -> Vec<String> {
        artist.genres.iter().map(|&g| self.genres[g].name.clone()).collect()
    }

    fn chunk(&self, plans: &[SongPlan]) -> Result<Chunk> {
        let mut tracks = Vec::with_capacity(plans.len());
        let mut segments = BTreeMap::new();
        let mut sections = BTreeMap::new();
        let mut audio_features = Vec::with_capacity(plans.len());
        for plan in plans {
            let song = self.song(plan);
            segments.insert(plan.track_id.clone(), song.segments);
            sections.insert(plan.track_id.clone(), song.sections);
            audio_features.push(song.audio_features);
            tracks.push(song.track);
        }
        let mut segments = segments_frame(&segments)?;
        segments.rechunk_mut();
        Ok(Chunk {
            segments,
            tracks: tracks_frame(&tracks)?,
            sections: sections_frame(&sections)?,
            audio_features: audio_features_frame(&audio_features)?,
        })
    }

    fn song(&self, plan: &SongPlan) -> Song {
        let mut rng = song_rng(self.seed, Some(plan.index));
        let artist = &self.artists[plan.artist];
        let genre = &self.genres[artist.genres[0]];
        let duration = lognormal(&mut rng, SONG_MEDIAN_S, SONG_LOG_SD).clamp(30.0, 900.0);
        let key = rng.random_range(0..12);
        let mode = i32::from(rng.random_bool(0.7));
        let tempo = normal(&mut rng, 118.0, 25.0).clamp(55.0, 210.0);
        let time_signature = *pick(&[4, 4, 4, 4, 4, 4, 4, 4, 3, 5, 7], &mut rng);
        let loudness = (artist.loudness + normal(&mut rng, 0.0, 1.5)).clamp(-35.0, -1.0);
        let mut centre = [0.0; 12];
        let mut spread = [0.0; 12];
        for d in 0..12 {
            centre[d] = artist.centre[d] + normal(&mut rng, 0.0, SONG_SHARE * CENTRE_SPREAD[d]);
            spread[d] = artist.spread[d] * rng.random_range(0.85..1.15);
        }
        let rho: f64 = rng.random_range(0.3..0.75);
        let innovation = (1.0 - rho * rho).sqrt();

        let sections = song_sections(&mut rng, duration, loudness, tempo, key, mode, time_signature);
        let section_offsets: Vec<[f64; 12]> = sections
            .iter()
            .map(|_| std::array::from_fn(|d| normal(&mut rng, 0.0, SECTION_SHARE * spread[d])))
            .collect();

        let mut segments = Vec::with_capacity((duration * 4.5) as usize);
        let mut state = [0.0f64; 12];
        let mut start = 0.0;
        let mut section = 0;
        while start < duration - 0.01 {
            let length = lognormal(&mut rng, SEGMENT_MEDIAN_S, SEGMENT_LOG_SD)
                .clamp(0.05, 2.0)
                .min(duration - start);
            while section + 1 < sections.len() && start >= sections[section + 1].start {
                section += 1;
            }
            let z: [f64; 12] = std::array::from_fn(|_| normal(&mut rng, 0.0, 1.0));
            let mut timbre = [0.0f32; 12];
            for d in 0..12 {
                let mixed: f64 = genre.mixing[d].iter().zip(&z).map(|(m, z)| m * z).sum();
                state[d] = rho * state[d] + innovation * mixed;
                let value = centre[d] + section_offsets[section][d] + spread[d] * state[d];
                let clamped = if d == 0 {
                    value.clamp(0.0, 60.0)
                } else {
                    value.clamp(-300.0, 300.0)
                };
                timbre[d] = clamped as f32;
            }
            let section_loudness = sections[section].loudness.unwrap_or(loudness);
            let loudness_max = (section_loudness
                + 0.8 * (f64::from(timbre[0]) - centre[0])
                + normal(&mut rng, 0.0, 1.5))
            .clamp(-60.0, 0.0);
            let section_key = sections[section].key.unwrap_or(key);
            let section_mode = sections[section].mode.unwrap_or(mode);
            segments.push(SegmentRecord {
                start,
                duration: length,
                confidence: rng.random::<f64>(),
                loudness_start: (loudness_max - 1.0 - normal(&mut rng, 0.0, 5.0).abs()).max(-60.0),
                loudness_max,
                loudness_max_time: length * rng.random_range(0.0..0.6),
                loudness_end: (loudness_max - 1.0 - normal(&mut rng, 0.0, 5.0).abs()).max(-60.0),
                pitches: pitch_vector(&mut rng, section_key, section_mode),
                timbre,
            });
            start += length;
        }

        let title = format!(
            "{} {}",
            pick(&TITLE_WORDS, &mut rng),
            pick(&TITLE_WORDS, &mut rng)
        );
        let brightness = centre[1] / CENTRE_SPREAD[1];
        let energy = logistic((loudness + 9.0) / 3.0 + 0.5 * brightness + normal(&mut rng, 0.0, 0.3));
        let audio_values = [
            (1.0 - energy + normal(&mut rng, 0.0, 0.12)).clamp(0.0, 1.0),
            (0.55 + 0.2 * ((tempo - 120.0) / 40.0).cos() + normal(&mut rng, 0.0, 0.12)).clamp(0.0, 1.0),
            energy,
            rng.random::<f64>().powf(2.5),
            0.05 + 0.6 * rng.random::<f64>().powi(3),
            loudness,
            0.02 + 0.3 * rng.random::<f64>().powi(4),
            (0.35 + 0.15 * f64::from(mode) + normal(&mut rng, 0.0, 0.2)).clamp(0.0, 1.0),
            tempo,
        ];
        Song {
            track: TrackRecord {
                track_id: plan.track_id.clone(),
                title,
                artist_name: artist.name.clone(),
                album: Some(format!("{} Vol. {}", artist.name, 1 + plan.ordinal / 12)),
                genres: self.genre_names(artist),
                duration_s: duration,
                tempo: Some(tempo),
                tempo_confidence: Some(rng.random()),
                key: Some(key),
                key_confidence: Some(rng.random()),
                mode: Some(mode),
                mode_confidence: Some(rng.random()),
                time_signature: Some(time_signature),
                time_signature_confidence: Some(rng.random()),
                loudness: Some(loudness),
                source: SOURCE.into(),
                location: format!("{SOURCE}://{}/{}", self.seed, plan.index),
            },
            segments,
            sections,
            audio_features: AudioFeatureRecord {
                track_id: plan.track_id.clone(),
                values: audio_values.map(Some),
            },
        }
    }
}

struct Song {
    track: TrackRecord,
    segments: Vec<SegmentRecord>,
    sections: Vec<SectionRecord>,
    audio_features: AudioFeatureRecord,
}

impl Genre {
    fn new(index: usize, rng: &mut ChaCha8Rng) -> Self {
        let base = GENRE_NAMES[index % GENRE_NAMES.len()];
        let name = match index / GENRE_NAMES.len() {
            0 => base.to_string(),
            round => format!("{base} {}", round + 1),
        };
        let centre = std::array::from_fn(|d| {
            if d == 0 {
                rng.random_range(36.0..50.0)
            } else {
                BASE_CENTRE[d] + normal(rng, 0.0, CENTRE_SPREAD[d])
            }
        });
        let spread = std::array::from_fn(|d| SEGMENT_SD[d] * rng.random_range(0.75..1.3));
        let mut mixing = [[0.0; 12]; 12];
        for (i, row) in mixing.iter_mut().enumerate() {
            for (j, m) in row.iter_mut().enumerate() {
                *m = if i == j { 1.0 } else { normal(rng, 0.0, 0.3) };
            }
            let norm = row.iter().map(|m| m * m).sum::<f64>().sqrt();
            row.iter_mut().for_each(|m| *m /= norm);
        }
        Genre {
            name,
            centre,
            spread,
            mixing,
        }
    }
}

impl Artist {
    fn new(name: String, genres: &[Genre], weights: &[f64], rng: &mut ChaCha8Rng) -> Self {
        let primary = weighted_index(weights, rng);
        let mut chosen = vec![primary];
        if genres.len() > 1 && rng.random_bool(0.3) {
            let secondary = loop {
                let g = weighted_index(weights, rng);
                if g != primary {
                    break g;
                }
            };
            chosen.push(secondary);
        }
        let blend = if chosen.len() == 2 { rng.random_range(0.5..0.9) } else { 1.0 };
        let first = &genres[chosen[0]];
        let second = &genres[*chosen.last().unwrap_or(&primary)];
        let centre = std::array::from_fn(|d| {
            blend * first.centre[d]
                + (1.0 - blend) * second.centre[d]
                + normal(rng, 0.0, ARTIST_SHARE * CENTRE_SPREAD[d])
        });
        let spread = std::array::from_fn(|d| first.spread[d] * rng.random_range(0.85..1.15));
        Artist {
            name,
            genres: chosen,
            centre,
            spread,
            loudness: normal(rng, -9.0, 2.5),
        }
    }
}

/// Sections of 15 to 40 s covering the song, each with its own loudness and sometimes key.
fn song_sections(
    rng: &mut ChaCha8Rng,
    duration: f64,
    loudness: f64,
    tempo: f64,
    key: i32,
    mode: i32,
    time_signature: i32,
) -> Vec<SectionRecord> {
    let mut sections = Vec::new();
    let mut start = 0.0;
    while start < duration {
        let mut length = rng.random_range(15.0..40.0);
        if duration - (start + length) < 10.0 {
            length = duration - start;
        }
        let modulates = rng.random_bool(0.1);
        sections.push(SectionRecord {
            start,
            duration: length,
            confidence: Some(rng.random()),
            loudness: Some((loudness + normal(rng, 0.0, 2.0)).min(0.0)),
            tempo: Some(tempo + normal(rng, 0.0, 1.0)),
            key: Some(if modulates { (key + 7) % 12 } else { key }),
            mode: Some(mode),
            time_signature: Some(time_signature),
        });
        start += length;
    }
    sections
}

/// A chroma vector around the key's profile, normalised so that its maximum is 1.
fn pitch_vector(rng: &mut ChaCha8Rng, key: i32, mode: i32) -> [f32; 12] {
    let profile = if mode == 1 { &MAJOR_PROFILE } else { &MINOR_PROFILE };
    let mut raw = [0.0f64; 12];
    for (pc, value) in raw.iter_mut().enumerate() {
        let degree = (pc as i32 - key).rem_euclid(12) as usize;
        let emphasis = rng.random::<f64>();
        *value = (profile[degree] / 6.35) * emphasis * emphasis + 0.1 * rng.random::<f64>();
    }
    let max = raw.iter().cloned().fold(f64::MIN_POSITIVE, f64::max);
    raw.map(|v| (v / max) as f32)
}

fn artist_name(index: usize, rng: &mut ChaCha8Rng, used: &mut HashSet<String>) -> String {
    let base = format!(
        "The {} {}",
        pick(&NAME_FIRST, rng),
        pick(&NAME_SECOND, rng)
    );
    let name = if used.contains(&ids::normalise_name(&base)) {
        format!("{base} {index}")
    } else {
        base
    };
    used.insert(ids::normalise_name(&name));
    name
}

/// The RNG of one song (`Some(index)`) or of the catalogue structure (`None`).
fn song_rng(seed: u64, song: Option<usize>) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(song.map_or(0, |i| i as u64 + 1));
    rng
}

/// Box-Muller; one draw per call keeps the stream simple and reproducible.
fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

fn lognormal(rng: &mut ChaCha8Rng, median: f64, log_sd: f64) -> f64 {
    (median.ln() + normal(rng, 0.0, log_sd)).exp()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn pick<'a, T>(items: &'a [T], rng: &mut ChaCha8Rng) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted_index(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        target -= w;
        if target < 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(seed: u64) -> SynthParams {
        SynthParams::new(40, 12).genres(4).seed(seed)
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
        let params = SynthParams::new(60, 20).genres(5).seed(3);
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
        synthesize(&wd, &SynthParams::new(80, 8).genres(4).seed(11)).unwrap();
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

    #[test]
    fn invalid_sizes_are_rejected_with_the_parameter_name() {
        let err = SynthParams::new(5, 10).validate().unwrap_err().to_string();
        assert!(err.contains("artists"), "{err}");
        let err = SynthParams::new(0, 0).validate().unwrap_err().to_string();
        assert!(err.contains("songs"), "{err}");
        let err = SynthParams::new(10, 3).genres(4).validate().unwrap_err().to_string();
        assert!(err.contains("genres"), "{err}");
    }
}
