//! `ingest msd`: Million Song Dataset per-track HDF5 files (`TR*.h5`). They hold the Echo Nest
//! analysis that Spotify's audio analysis descends from, so segments map one to one:
//!
//! - `duration` of a segment is the next segment's start (the track's duration for the last)
//!   minus its own start;
//! - `loudness_end` is the next segment's `loudness_start` (the MSD does not store it; Spotify
//!   defines it that way), and the last segment's own `loudness_start`;
//! - genres are the artist's `artist_terms` whose `artist_terms_weight` is at least
//!   [`MsdParams::term_weight_min`].
//!
//! Reading needs libhdf5, so the reader ([`read`]) is behind the cargo feature `msd`; without
//! it [`ingest_msd`] says how to rebuild.

use std::path::PathBuf;

use timbral_core::{Error, Result, Workdir};

use crate::tables::IngestSummary;

#[cfg(feature = "msd")]
pub mod read;

/// `source` value of rows and errors written by this module.
pub const SOURCE: &str = "msd";

/// Default minimum `artist_terms_weight` for a term to count as a genre. MSD weights are
/// relative to the artist's strongest term (1.0); half of it keeps the main styles only.
pub const DEFAULT_TERM_WEIGHT_MIN: f64 = 0.5;

/// What to ingest.
#[derive(Debug, Clone)]
pub struct MsdParams {
    /// Folder of per-track `.h5` files (searched recursively, as in the MSD's `A/B/C/` tree).
    pub dir: PathBuf,
    /// Minimum `artist_terms_weight` of a term kept as a genre.
    pub term_weight_min: f64,
}

/// Reads `params.dir` and merges the result into the workdir.
pub fn ingest_msd(workdir: &Workdir, params: &MsdParams) -> Result<IngestSummary> {
    if !(0.0..=1.0).contains(&params.term_weight_min) {
        return Err(Error::InvalidParameter {
            name: "term-weight-min",
            why: format!("is {}, expected a weight between 0 and 1", params.term_weight_min),
        });
    }
    #[cfg(feature = "msd")]
    return read::ingest(workdir, params);
    #[cfg(not(feature = "msd"))]
    {
        let _ = workdir;
        Err(Error::NotBuilt {
            capability: "Million Song Dataset support",
            how: "install libhdf5-dev and rebuild with `--features msd`",
        })
    }
}
