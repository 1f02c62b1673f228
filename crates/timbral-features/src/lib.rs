//! Feature engineering: one row per track of timbre features computed from `segments`,
//! written to the processed table `features`.
//!
//! - [`FeatureSet::Seed`]: the study's 90 features, the 12 timbre means and the 78 entries of
//!   the upper triangle of the sample covariance matrix (ddof = 1), computed by Polars lazy
//!   group-bys over ordered batches streamed from `segments` (module `batches`), so 10^8
//!   segment rows never sit in memory and the output is bit-for-bit reproducible.
//! - [`FeatureSet::Extended`]: the seed features plus "timbre over time" columns (first
//!   differences, pitch-class profile, loudness dynamics, segment rate, section statistics),
//!   documented in `docs/features.md`.
//!
//! - [`moments`]: the seed features as mergeable per-track pieces, for group-bys split across
//!   machines.
//!
//! Tracks with fewer than 2 segments, or with non-finite timbre values, have no covariance:
//! they are excluded, listed in [`FeatureSummary::excluded`] and recorded in `ingest_errors`
//! with stage `features`. Features stay unstandardised.

mod batches;
mod columns;
mod compute;
pub mod moments;
mod over_time;
mod sections;
mod seed;

pub use columns::{extended_feature_names, feature_names};
pub use compute::{
    ExcludedTrack, FeatureSummary, STAGE, compute_features, features_and_exclusions_of_complete_tracks, features_of_complete_tracks,
};
pub use timbral_core::FeatureSet;
