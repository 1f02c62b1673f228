//! Ingestion: every source (audio files, Spotify Web API, saved JSON, Million Song Dataset,
//! audio-features CSV) is turned into the same interim tables
//! (`tracks`, `artists`, `segments`, `sections`, `audio_features`, `ingest_errors`).
//! Sources build an [`tables::IngestBatch`] and merge it with [`tables::merge_into_workdir`].

pub mod audio;
pub mod features_csv;
mod files;
pub mod json;
pub mod msd;
pub mod spotify;
pub mod tables;
