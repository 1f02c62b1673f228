//! The streaming per-track aggregation over `segments`: timbre means and sample covariances
//! (the seed set) and, for the extended set, the aggregates that do not depend on segment
//! order. Covariances use Polars' `cov` reduction, which merges Welford-style partial states
//! (count, means, co-moment), so it is numerically stable and runs on the streaming engine
//! without materialising the segments.

use polars::prelude::*;
use timbral_core::Result;
use timbral_core::contract::{pitch_columns, timbre_columns};
use timbral_core::error::PolarsContext;

use crate::set::FeatureSet;

/// Segments per track.
pub(crate) const SEGMENT_COUNT: &str = "segment_count";
/// Null or non-finite timbre values per track.
pub(crate) const BAD_VALUES: &str = "bad_timbre_values";
/// Start of the first and end of the last segment, for the segment rate.
pub(crate) const FIRST_START: &str = "first_start";
pub(crate) const LAST_END: &str = "last_end";

/// One row per track id present in `segments`, in no particular order.
pub(crate) fn aggregate(segments: LazyFrame, set: FeatureSet) -> Result<DataFrame> {
    let timbre: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
    let mut inputs = vec![col("track_id")];
    inputs.extend(
        timbre_columns()
            .iter()
            .zip(&timbre)
            .map(|(source, name)| col(source.as_str()).cast(DataType::Float64).alias(name.as_str())),
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

    let mut aggs = vec![
        len().cast(DataType::UInt32).alias(SEGMENT_COUNT),
        col(BAD_VALUES).sum(),
    ];
    aggs.extend(timbre.iter().map(|t| col(t.as_str()).mean()));
    for j in 0..12 {
        for i in 0..=j {
            aggs.push(cov(col(timbre[i].as_str()), col(timbre[j].as_str()), 1).alias(format!("t{i}_t{j}")));
        }
    }

    if set == FeatureSet::Extended {
        for (i, source) in pitch_columns().iter().enumerate() {
            let name = format!("pc{i}");
            inputs.push(col(source.as_str()).cast(DataType::Float64).alias(name.as_str()));
            aggs.push(col(name.as_str()).mean().alias(format!("pc{i}_mean")));
        }
        inputs.extend([
            col("loudness_max"),
            col("start"),
            (col("start") + col("duration")).alias("end"),
        ]);
        aggs.extend([
            col("loudness_max").mean().alias("loudness_max_mean"),
            col("loudness_max").std(0).alias("loudness_max_std"),
            col("start").min().alias(FIRST_START),
            col("end").max().alias(LAST_END),
        ]);
    }

    Ok(segments
        .select(inputs)
        .group_by([col("track_id")])
        .agg(aggs)
        .collect_with_engine(Engine::Streaming)
        .ctx("aggregating `segments` per track")?
        .unwrap_single())
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
