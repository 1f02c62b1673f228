//! The input kinds of the campaign, each with its seed files and the real entry point that
//! consumes it: `timbral_audio::analyze_file` for audio, and timbral-ingest's own `ingest json`,
//! `ingest features-csv`, metadata readers, Spotify cache batcher and `ingest msd` for the rest.

use std::path::{Path, PathBuf};

use timbral_audio::{AnalyzerConfig, analyze_file};
use timbral_core::Workdir;
use timbral_ingest::audio::MetadataOverrides;
use timbral_ingest::features_csv::ingest_features_csv;
use timbral_ingest::json::metadata::read_metadata;
use timbral_ingest::json::{JsonParams, ingest_json};
use timbral_ingest::spotify::RawCache;
use timbral_ingest::spotify::batch::batch_from_cache;
use timbral_ingest::tables::{IngestSummary, commit};

use crate::mutate::Format;

/// One kind of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ogg,
    Mp3,
    Flac,
    Wav,
    M4a,
    Opus,
    /// A saved Spotify audio-analysis document (`ingest json`).
    AnalysisJson,
    /// The audio-features file of `ingest json --audio-features` (JSON array or CSV).
    AudioFeatures,
    /// The `--metadata` CSVs of `ingest audio` (key `path`) and `ingest json` (key `track_id`).
    MetadataCsv,
    /// `ingest features-csv`.
    FeaturesCsv,
    /// Spotify API bodies as the raw cache holds them, built into a batch.
    Spotify,
    /// A Million Song Dataset HDF5 file (`ingest msd`).
    #[cfg(feature = "msd")]
    Msd,
}

/// One seed input; `name` is its path relative to the seed folder it came from.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How one input ended when it did not panic.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Accepted,
    /// Refused with this error (or recorded in `ingest_errors` with it).
    Rejected(String),
}

impl Kind {
    pub fn all() -> Vec<Kind> {
        #[cfg_attr(not(feature = "msd"), allow(unused_mut))]
        let mut kinds = vec![
            Kind::Ogg,
            Kind::Mp3,
            Kind::Flac,
            Kind::Wav,
            Kind::M4a,
            Kind::Opus,
            Kind::AnalysisJson,
            Kind::AudioFeatures,
            Kind::MetadataCsv,
            Kind::FeaturesCsv,
            Kind::Spotify,
        ];
        #[cfg(feature = "msd")]
        kinds.push(Kind::Msd);
        kinds
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Ogg => "ogg",
            Kind::Mp3 => "mp3",
            Kind::Flac => "flac",
            Kind::Wav => "wav",
            Kind::M4a => "m4a",
            Kind::Opus => "opus",
            Kind::AnalysisJson => "analysis-json",
            Kind::AudioFeatures => "audio-features",
            Kind::MetadataCsv => "metadata-csv",
            Kind::FeaturesCsv => "features-csv",
            Kind::Spotify => "spotify",
            #[cfg(feature = "msd")]
            Kind::Msd => "msd",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::all().into_iter().find(|k| k.name() == name)
    }

    pub fn format(self) -> Format {
        match self {
            Kind::AnalysisJson | Kind::Spotify => Format::Json,
            Kind::MetadataCsv | Kind::FeaturesCsv => Format::Csv,
            Kind::AudioFeatures => Format::Json,
            _ => Format::Binary,
        }
    }

    /// The seed files: `(folder, file names)` under the workspace's crates.
    fn seed_files(self) -> Vec<(PathBuf, Vec<String>)> {
        let fuzz = crate_dir().join("seeds");
        let audio_fixtures = crate_dir().join("../timbral-audio/tests/fixtures");
        let ingest = crate_dir().join("../timbral-ingest/tests/fixtures");
        let audio = |ext: &'static str, chord: Option<&'static str>| {
            let mut sets = vec![(fuzz.join("audio"), vec![ext])];
            sets.extend(chord.map(|c| (audio_fixtures.clone(), vec![c])));
            sets
        };
        let sets = match self {
            Kind::Ogg => audio("seed.ogg", Some("chord.ogg")),
            Kind::Mp3 => audio("seed.mp3", Some("chord.mp3")),
            Kind::Flac => audio("seed.flac", Some("chord.flac")),
            Kind::Wav => audio("seed.wav", None),
            Kind::M4a => audio("seed.m4a", None),
            Kind::Opus => audio("seed.opus", None),
            Kind::AnalysisJson => vec![(
                ingest.join("json/docs"),
                vec!["4uLU6hMCjMI75M1A2tKUQC.json", "0VjIjW4GlUZAMYd2vXMi3b.json", "5noconfidence.json"],
            )],
            Kind::AudioFeatures => {
                vec![(ingest.join("json"), vec!["audio_features.json", "audio_features.csv"])]
            }
            Kind::MetadataCsv => vec![
                (ingest.join("json"), vec!["metadata.csv"]),
                (fuzz.join("csv"), vec!["audio_metadata.csv"]),
            ],
            Kind::FeaturesCsv => vec![(
                ingest.join("csv"),
                vec!["SpotifyFeatures.csv", "spotify_songs.csv", "tracks_features.csv"],
            )],
            Kind::Spotify => return vec![(fuzz.join("spotify"), spotify_seed_names(&fuzz.join("spotify")))],
            #[cfg(feature = "msd")]
            Kind::Msd => vec![(ingest.join("msd/files"), vec!["TRMSDFX0001.h5", "TRMSDFX0003.h5"])],
        };
        sets.into_iter().map(|(dir, names)| (dir, names.into_iter().map(str::to_string).collect())).collect()
    }

    /// The seeds, read from disk.
    pub fn seeds(self) -> std::io::Result<Vec<Seed>> {
        let mut seeds = Vec::new();
        for (dir, names) in self.seed_files() {
            for name in names {
                let path = dir.join(&name);
                let bytes =
                    std::fs::read(&path).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                seeds.push(Seed { name, bytes });
            }
        }
        Ok(seeds)
    }

    /// Feeds `input` (a mutation of `seeds[seed]`) to the kind's entry point, in `scratch`
    /// (an empty folder). Returns the error of a rejected input; panics propagate.
    pub fn run(self, input: &[u8], seeds: &[Seed], seed: usize, scratch: &Path, limits: &AnalyzerConfig) -> Outcome {
        let result = match self {
            Kind::Ogg | Kind::Mp3 | Kind::Flac | Kind::Wav | Kind::M4a | Kind::Opus => {
                let path = write(scratch, &format!("input.{}", self.name()), input);
                analyze_file(&path, limits).map(drop).map_err(|e| e.to_string())
            }
            Kind::AnalysisJson => {
                let dir = scratch.join("docs");
                write(&dir, "4uLU6hMCjMI75M1A2tKUQC.json", input);
                let params = JsonParams { dir, ..JsonParams::default() };
                summarise(ingest_json(&workdir(scratch), &params))
            }
            Kind::AudioFeatures => {
                let dir = scratch.join("docs");
                write(&dir, "4uLU6hMCjMI75M1A2tKUQC.json", &Kind::AnalysisJson.seeds().map(|s| s[0].bytes.clone()).unwrap_or_default());
                let ext = if seeds[seed].name.ends_with(".csv") { "csv" } else { "json" };
                let features = write(scratch, &format!("features.{ext}"), input);
                let params = JsonParams { dir, audio_features: Some(features), ..JsonParams::default() };
                summarise(ingest_json(&workdir(scratch), &params))
            }
            Kind::MetadataCsv => {
                let path = write(scratch, "metadata.csv", input);
                // The same bytes through both readers, keyed by `path` and by `track_id`; a seed
                // has one key, so the input is accepted when either reader takes it.
                let by_path = MetadataOverrides::read(&path).map(drop).map_err(|e| e.to_string());
                let by_id = read_metadata(&path).map(drop).map_err(|e| e.to_string());
                by_path.or(by_id)
            }
            Kind::FeaturesCsv => {
                let path = write(scratch, "features.csv", input);
                summarise(ingest_features_csv(&workdir(scratch), &path))
            }
            Kind::Spotify => {
                let cache = RawCache::new(scratch.join("spotify"));
                for (i, s) in seeds.iter().enumerate() {
                    write(cache.root(), &s.name, if i == seed { input } else { &s.bytes });
                }
                let (batch, errors) = batch_from_cache(&cache, &spotify_track_ids(seeds));
                let attempted: Vec<String> = errors.iter().map(|e| e.location.clone()).collect();
                summarise(commit(&workdir(scratch), &batch, &attempted, &errors))
            }
            #[cfg(feature = "msd")]
            Kind::Msd => {
                let dir = scratch.join("msd");
                write(&dir, &seeds[seed].name, input);
                let params = timbral_ingest::msd::MsdParams { dir, term_weight_min: timbral_ingest::msd::DEFAULT_TERM_WEIGHT_MIN };
                summarise(timbral_ingest::msd::ingest_msd(&workdir(scratch), &params))
            }
        };
        match result {
            Ok(()) => Outcome::Accepted,
            Err(why) => Outcome::Rejected(why),
        }
    }

    /// What a clear error about this input names: the file (or for Spotify, the track).
    pub fn names_its_input(self, error: &str) -> bool {
        match self {
            Kind::Spotify => error.contains("spotify:track:") || error.contains("ingest_errors"),
            Kind::AnalysisJson | Kind::AudioFeatures | Kind::FeaturesCsv => {
                error.contains(".json") || error.contains(".csv") || error.contains("ingest_errors")
            }
            #[cfg(feature = "msd")]
            Kind::Msd => error.contains(".h5") || error.contains("ingest_errors"),
            Kind::MetadataCsv => error.contains("metadata.csv"),
            _ => error.contains("input."),
        }
    }
}

/// The Spotify raw-cache files of the seed folder, as `<kind>/<id>.json`, sorted.
fn spotify_seed_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|kind| {
            let kind_name = kind.file_name().to_string_lossy().to_string();
            std::fs::read_dir(kind.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(move |file| format!("{kind_name}/{}", file.file_name().to_string_lossy()))
        })
        .collect();
    names.sort();
    names
}

/// The track ids whose track objects the Spotify seeds hold.
fn spotify_track_ids(seeds: &[Seed]) -> Vec<String> {
    seeds
        .iter()
        .filter_map(|s| s.name.strip_prefix("tracks/")?.strip_suffix(".json"))
        .map(str::to_string)
        .collect()
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workdir(scratch: &Path) -> Workdir {
    Workdir::new(scratch.join("workdir"))
}

/// Writes `bytes` to `dir/name` (creating folders) and returns the path.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("scratch folder {}: {e}", parent.display()));
    }
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("scratch file {}: {e}", path.display()));
    path
}

/// An ingest that recorded errors rejected its input (with the `ingest_errors` rows as the
/// clear error); one that failed outright rejected it with its message.
fn summarise(result: timbral_core::Result<IngestSummary>) -> Result<(), String> {
    match result {
        Ok(summary) if summary.failed > 0 => Err(format!("{summary}")),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
