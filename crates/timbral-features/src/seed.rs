//! Order-independent per-track aggregates: timbre means and sample covariances (the seed set)
//! and, for the extended set, pitch, loudness and segment-rate aggregates. Covariances use
//! Polars' `cov` aggregation (centred co-moments, Welford-style), so they are numerically
//! stable: no `E[xy] - E[x]E[y]` cancellation.

use polars::prelude::*;
use timbral_core::cols;
use timbral_core::contract::{pitch_columns, timbre_columns, timbre_covariance_column, timbre_mean_column};

use timbral_core::FeatureSet;

/// Segments per track.
pub(crate) const SEGMENT_COUNT: &str = "segment_count";
/// Null or non-finite timbre values per track.
pub(crate) const BAD_VALUES: &str = "bad_timbre_values";
/// Start of the first and end of the last segment, for the segment rate.
pub(crate) const FIRST_START: &str = "first_start";
pub(crate) const LAST_END: &str = "last_end";

/// The columns the aggregates read: track_id, seg, timbre as f64 `t0..t11`, the count of bad
/// timbre values per row and, for the extended set, pitch, loudness and segment bounds.
pub(crate) fn inputs(set: FeatureSet) -> Vec<Expr> {
    let mut inputs = vec![col(cols::segments::TRACK_ID), col(cols::segments::SEG)];
    inputs.extend(
        timbre_columns()
            .iter()
            .enumerate()
            .map(|(i, c)| col(c.as_str()).cast(DataType::Float64).alias(timbre_mean_column(i))),
    );
    let bad = timbre_columns()
        .iter()
        .map(|c| {
            col(c.as_str())
                .is_finite()
                .not()
                .fill_null(lit(true))
                .cast(DataType::UInt32)
        })
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| lit(0u32));
    inputs.push(bad.alias(BAD_VALUES));
    if set == FeatureSet::Extended {
        inputs.extend(
            pitch_columns()
                .iter()
                .enumerate()
                .map(|(i, c)| col(c.as_str()).cast(DataType::Float64).alias(format!("pc{i}"))),
        );
        inputs.extend([
            col(cols::segments::LOUDNESS_MAX),
            col(cols::segments::START),
            (col(cols::segments::START) + col(cols::segments::DURATION)).alias("end"),
        ]);
    }
    inputs
}

/// Per-track aggregates that do not depend on segment order: count, bad values, the 12 means
/// and 78 sample covariances (ddof = 1) and, for the extended set, pitch means, loudness and
/// segment bounds.
pub(crate) fn aggregations(set: FeatureSet) -> Vec<Expr> {
    let mut aggs = vec![
        len().cast(DataType::UInt32).alias(SEGMENT_COUNT),
        col(BAD_VALUES).sum(),
    ];
    aggs.extend((0..12).map(|i| col(timbre_mean_column(i)).mean()));
    for j in 0..12 {
        for i in 0..=j {
            aggs.push(cov(col(timbre_mean_column(i)), col(timbre_mean_column(j)), 1).alias(timbre_covariance_column(i, j)));
        }
    }
    if set == FeatureSet::Extended {
        aggs.extend((0..12).map(|i| col(format!("pc{i}")).mean().alias(format!("pc{i}_mean"))));
        aggs.extend([
            col(cols::segments::LOUDNESS_MAX).mean().alias("loudness_max_mean"),
            col(cols::segments::LOUDNESS_MAX).std(0).alias("loudness_max_std"),
            col(cols::segments::START).min().alias(FIRST_START),
            col("end").max().alias(LAST_END),
        ]);
    }
    aggs
}

/// Shannon entropy (bits) of the mean pitch-class profile, normalised to sum to 1.
pub(crate) fn pitch_entropy() -> Expr {
    let total = (0..12)
        .map(|i| col(format!("pc{i}_mean")))
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| lit(1.0));
    (0..12)
        .map(|i| {
            let p = col(format!("pc{i}_mean")) / total.clone();
            when(p.clone().gt(lit(0.0)))
                .then(-(p.clone() * p.log(lit(2.0))))
                .otherwise(lit(0.0))
        })
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| lit(0.0))
        .alias("pc_entropy")
}

/// Segments per second of analysed audio; null when the segments span no time.
pub(crate) fn segment_rate() -> Expr {
    let span = col(LAST_END) - col(FIRST_START);
    when(span.clone().gt(lit(0.0)))
        .then(col(SEGMENT_COUNT).cast(DataType::Float64) / span)
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias("segment_rate")
}
