//! The generative model: genres, artists, songs, and each song's sections and segments.
//!
//! - each genre is a centre and a correlated spread in the 12-dimensional timbre space;
//! - each artist is a perturbation of one genre or a blend of two;
//! - each song scatters around its artist, and its segments follow an AR(1) process around the
//!   song centre, shifted per section, so timbre drifts over time like real music.
//!
//! Every song draws from its own ChaCha stream (seed, song index), so a song is the same
//! whatever the number of threads or the level written.

use std::collections::{BTreeMap, HashSet};
use std::f64::consts::PI;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timbral_core::ids;
use timbral_ingest::tables::{AudioFeatureRecord, SectionRecord, SegmentRecord, TrackRecord};

use crate::{SOURCE, SynthValidParams};


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
pub(crate) struct SongPlan {
    index: usize,
    pub(crate) track_id: String,
    artist: usize,
    /// This song's position among its artist's songs (for album names).
    ordinal: usize,
}

pub(crate) struct Catalogue {
    seed: u64,
    genres: Vec<Genre>,
    artists: Vec<Artist>,
    /// Sorted by track id, so the segments table comes out sorted by (track_id, seg) like
    /// every ingested one.
    pub(crate) songs: Vec<SongPlan>,
}

impl Catalogue {
    pub(crate) fn new(params: &SynthValidParams) -> Self {
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

    pub(crate) fn artist_genres(&self) -> BTreeMap<String, Vec<String>> {
        self.artists
            .iter()
            .map(|a| (a.name.clone(), self.genre_names(a)))
            .collect()
    }

    fn genre_names(&self, artist: &Artist) -> Vec<String> {
        artist.genres.iter().map(|&g| self.genres[g].name.clone()).collect()
    }

    pub(crate) fn song(&self, plan: &SongPlan) -> Song {
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

/// One song's records, as an ingested song has them.
pub(crate) struct Song {
    pub(crate) track: TrackRecord,
    pub(crate) segments: Vec<SegmentRecord>,
    pub(crate) sections: Vec<SectionRecord>,
    pub(crate) audio_features: AudioFeatureRecord,
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

