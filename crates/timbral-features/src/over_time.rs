//! "Timbre over time" aggregates that depend on segment order: first differences of the
//! timbre vectors and the loudness dynamic range. They apply to frames sorted by
//! (track_id, seg) that hold every row of their tracks (see `batches`).

use polars::prelude::*;
use timbral_core::cols;
use timbral_core::contract::timbre_mean_column;

/// Adds the first differences `d0..d11` (null on a track's first segment) and their norm.
pub(crate) fn with_differences(sorted: LazyFrame) -> LazyFrame {
    let same_track = col(cols::segments::TRACK_ID).eq(col(cols::segments::TRACK_ID).shift(lit(1)));
    let diffs: Vec<Expr> = (0..12)
        .map(|i| {
            let t = col(timbre_mean_column(i));
            when(same_track.clone())
                .then(t.clone() - t.shift(lit(1)))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(format!("d{i}"))
        })
        .collect();
    let norm = (0..12)
        .map(|i| col(format!("d{i}")).pow(2))
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| lit(0.0))
        .sqrt()
        .alias("d_norm");
    sorted.with_columns(diffs).with_column(norm)
}

/// Per-track aggregates of the differences and of `loudness_max` percentiles.
pub(crate) fn aggregations() -> Vec<Expr> {
    let mut aggs: Vec<Expr> = (0..12)
        .map(|i| col(format!("d{i}")).abs().mean().alias(format!("dt{i}_abs_mean")))
        .collect();
    aggs.extend((0..12).map(|i| col(format!("d{i}")).std(0).alias(format!("dt{i}_std"))));
    aggs.extend([
        col("d_norm").mean().alias("dt_norm_mean"),
        col("d_norm").std(0).alias("dt_norm_std"),
        (col(cols::segments::LOUDNESS_MAX).quantile(lit(0.95), QuantileMethod::Linear)
            - col(cols::segments::LOUDNESS_MAX).quantile(lit(0.05), QuantileMethod::Linear))
        .alias("dynamic_range"),
    ]);
    aggs
}
