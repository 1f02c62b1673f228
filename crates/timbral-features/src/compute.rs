//! `compute_features`: segments -> the processed `features` table, with the exclusions
//! reported and logged.

use std::path::PathBuf;

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, IngestError, Result, Table, Workdir, cols, errors_log};

use crate::columns::feature_names;
use crate::seed::{BAD_VALUES, SEGMENT_COUNT};
use timbral_core::FeatureSet;
use crate::{batches, sections, seed};

/// The `stage` of the `ingest_errors` rows this crate writes.
pub const STAGE: &str = "features";

/// A track that got no features, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedTrack {
    pub track_id: String,
    /// Its rows in `segments` (0 for a track of `tracks` without any).
    pub segments: u32,
    pub reason: String,
}

impl ExcludedTrack {
    /// Its `ingest_errors` row (stage [`STAGE`], located by track id).
    pub fn error(&self) -> IngestError {
        IngestError::new(STAGE, self.track_id.as_str(), STAGE, self.reason.as_str())
    }
}

/// What [`compute_features`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSummary {
    pub set: FeatureSet,
    /// Rows written to `features`.
    pub tracks: usize,
    /// Feature columns written (without `track_id`).
    pub columns: usize,
    /// Segment rows read.
    pub segments: u64,
    /// Tracks left out, sorted by track id.
    pub excluded: Vec<ExcludedTrack>,
    pub path: PathBuf,
}

/// Computes `set` for every track of `segments` and writes the processed table `features`
/// (sorted by track id). Tracks with fewer than 2 segments or non-finite timbre are excluded
/// and recorded in `ingest_errors` with stage [`STAGE`]; so are tracks of `tracks` that have
/// no segments at all. Fails on a missing or empty `segments` table, a missing or mistyped
/// column, or when no track can be kept.
pub fn compute_features(workdir: &Workdir, set: FeatureSet) -> Result<FeatureSummary> {
    let segments = workdir.scan_table(Table::Segments)?;
    let per_track = batches::aggregate(segments, set)?;
    if per_track.height() == 0 {
        return Err(Error::EmptyTable {
            table: Table::Segments.name().into(),
            why: "no segment rows; run `timbral ingest` or `timbral synth` first".into(),
        });
    }
    let segment_rows = column_sum(&per_track, SEGMENT_COUNT)?;
    let excluded = excluded_tracks(workdir, &per_track)?;
    record_exclusions(workdir, &per_track, &excluded)?;

    let sections = if workdir.has_table(Table::Sections) {
        Some(workdir.scan_table(Table::Sections)?)
    } else {
        None
    };
    let mut features = feature_rows(per_track, sections, set)?;
    if features.height() == 0 {
        return Err(Error::EmptyTable {
            table: Table::Segments.name().into(),
            why: format!(
                "none of its {} track(s) has at least 2 segments with finite timbre",
                excluded.len()
            ),
        });
    }
    let path = workdir.write_table(Table::Features, &mut features)?;
    let summary = FeatureSummary {
        set,
        tracks: features.height(),
        columns: feature_names(set).len(),
        segments: segment_rows,
        excluded,
        path,
    };
    tracing::info!(
        set = %set,
        tracks = summary.tracks,
        segments = summary.segments,
        excluded = summary.excluded.len(),
        "features written"
    );
    Ok(summary)
}

/// The `features` rows of `segments`, a frame in memory that holds every segment row of each
/// of its tracks (a generator's batch, say), sorted by track id; `sections` (of the same
/// tracks) feed the extended set's section columns. Tracks that [`compute_features`] would
/// exclude are left out. Same arithmetic as [`compute_features`], which streams the table.
pub fn features_of_complete_tracks(
    segments: DataFrame,
    sections: Option<DataFrame>,
    set: FeatureSet,
) -> Result<DataFrame> {
    Ok(features_and_exclusions_of_complete_tracks(segments, sections, set)?.0)
}

/// [`features_of_complete_tracks`], with the tracks it leaves out and why, as
/// [`compute_features`] records them.
pub fn features_and_exclusions_of_complete_tracks(
    segments: DataFrame,
    sections: Option<DataFrame>,
    set: FeatureSet,
) -> Result<(DataFrame, Vec<ExcludedTrack>)> {
    let projected = segments
        .lazy()
        .select(seed::inputs(set))
        .collect()
        .ctx("reading segments in memory")?;
    let per_track = batches::summarise(projected, set).ctx("aggregating segments per track")?;
    let mut excluded = rejected_tracks(&per_track)?;
    excluded.sort_by(|a, b| a.track_id.cmp(&b.track_id));
    Ok((feature_rows(per_track, sections.map(IntoLazy::lazy), set)?, excluded))
}

/// The kept rows of `per_track` with the columns of `set`, sorted by track id.
fn feature_rows(per_track: DataFrame, sections: Option<LazyFrame>, set: FeatureSet) -> Result<DataFrame> {
    let keep = col(SEGMENT_COUNT).gt_eq(lit(2u32)).and(col(BAD_VALUES).eq(lit(0u32)));
    let mut features = per_track.lazy().filter(keep);
    if set == FeatureSet::Extended {
        features = features.with_columns([seed::pitch_entropy(), seed::segment_rate()]);
        features = sections::join_section_stats(features, sections)?;
    }
    let mut selection = vec![col(cols::segments::TRACK_ID)];
    selection.extend(feature_names(set).iter().map(|n| col(n.as_str())));
    features
        .select(selection)
        .sort([cols::segments::TRACK_ID], SortMultipleOptions::default())
        .collect()
        .ctx("assembling `features`")
}

/// Tracks of `per_track` that cannot be kept, plus tracks of `tracks` without segments.
fn excluded_tracks(workdir: &Workdir, per_track: &DataFrame) -> Result<Vec<ExcludedTrack>> {
    let mut excluded = rejected_tracks(per_track)?;
    if workdir.has_table(Table::Tracks) {
        let without = workdir
            .scan_table(Table::Tracks)?
            .select([col(cols::segments::TRACK_ID)])
            .join(
                per_track.clone().lazy().select([col(cols::segments::TRACK_ID)]),
                [col(cols::segments::TRACK_ID)],
                [col(cols::segments::TRACK_ID)],
                JoinArgs::new(JoinType::Anti),
            )
            .collect()
            .ctx("finding tracks without segments")?;
        let ids = without.column(cols::segments::TRACK_ID).ctx(cols::segments::TRACK_ID)?.str().ctx(cols::segments::TRACK_ID)?;
        excluded.extend(ids.iter().flatten().map(|id| ExcludedTrack {
            track_id: id.to_string(),
            segments: 0,
            reason: "no segments; the covariance needs at least 2".into(),
        }));
    }
    excluded.sort_by(|a, b| a.track_id.cmp(&b.track_id));
    Ok(excluded)
}

/// Tracks of `per_track` with fewer than 2 segments or a bad timbre value, and why.
fn rejected_tracks(per_track: &DataFrame) -> Result<Vec<ExcludedTrack>> {
    let rejected = per_track
        .clone()
        .lazy()
        .filter(col(SEGMENT_COUNT).lt(lit(2u32)).or(col(BAD_VALUES).gt(lit(0u32))))
        .select([col(cols::segments::TRACK_ID), col(SEGMENT_COUNT), col(BAD_VALUES)])
        .collect()
        .ctx("finding tracks without features")?;
    let mut excluded = Vec::new();
    let ids = rejected.column(cols::segments::TRACK_ID).ctx(cols::segments::TRACK_ID)?.str().ctx(cols::segments::TRACK_ID)?;
    let counts = rejected.column(SEGMENT_COUNT).ctx(SEGMENT_COUNT)?.u32().ctx(SEGMENT_COUNT)?;
    let bad = rejected.column(BAD_VALUES).ctx(BAD_VALUES)?.u32().ctx(BAD_VALUES)?;
    for ((id, n), bad) in ids.iter().zip(counts.iter()).zip(bad.iter()) {
        let (Some(id), Some(n), Some(bad)) = (id, n, bad) else { continue };
        let reason = if n < 2 {
            format!("{n} segment(s); the covariance needs at least 2")
        } else {
            format!("{bad} null or non-finite timbre value(s)")
        };
        excluded.push(ExcludedTrack {
            track_id: id.to_string(),
            segments: n,
            reason,
        });
    }
    Ok(excluded)
}

/// Replaces the previous `features` rows of `ingest_errors` for every track seen.
fn record_exclusions(
    workdir: &Workdir,
    per_track: &DataFrame,
    excluded: &[ExcludedTrack],
) -> Result<()> {
    let ids = per_track.column(cols::segments::TRACK_ID).ctx(cols::segments::TRACK_ID)?.str().ctx(cols::segments::TRACK_ID)?;
    let mut retried: Vec<String> = ids.iter().flatten().map(str::to_string).collect();
    retried.extend(excluded.iter().map(|e| e.track_id.clone()));
    let errors: Vec<IngestError> = excluded.iter().map(ExcludedTrack::error).collect();
    errors_log::record(workdir, STAGE, &retried, &errors)
}

fn column_sum(frame: &DataFrame, name: &str) -> Result<u64> {
    let values = frame.column(name).ctx(name.to_string())?.u32().ctx(name.to_string())?;
    Ok(values.iter().flatten().map(u64::from).sum())
}
