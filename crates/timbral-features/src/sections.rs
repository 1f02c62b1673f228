//! Per-track statistics over the `sections` table (small: about ten rows per track, so it is
//! aggregated in memory). Tracks without sections, or no sections table, get nulls.

use polars::prelude::*;
use timbral_core::Result;
use timbral_core::error::PolarsContext;
use timbral_core::cols;

use crate::columns::SECTION_COLUMNS;

/// Adds the section columns to `features` (keyed by `track_id`); `None`: no sections table.
pub(crate) fn join_section_stats(features: LazyFrame, sections: Option<LazyFrame>) -> Result<LazyFrame> {
    let Some(sections) = sections else {
        let [count, rest @ ..] = SECTION_COLUMNS;
        let mut nulls = vec![lit(NULL).cast(DataType::UInt32).alias(count)];
        nulls.extend(rest.iter().map(|c| lit(NULL).cast(DataType::Float64).alias(*c)));
        return Ok(features.with_columns(nulls));
    };
    let stats = sections
        .group_by([col(cols::sections::TRACK_ID)])
        .agg([
            len().cast(DataType::UInt32).alias(SECTION_COLUMNS[0]),
            col(cols::sections::DURATION).mean().alias(SECTION_COLUMNS[1]),
            col(cols::sections::DURATION).std(0).alias(SECTION_COLUMNS[2]),
            (col(cols::sections::LOUDNESS).cast(DataType::Float64).max() - col(cols::sections::LOUDNESS).cast(DataType::Float64).min()).alias(SECTION_COLUMNS[3]),
            col(cols::sections::TEMPO).cast(DataType::Float64).std(0).alias(SECTION_COLUMNS[4]),
        ])
        .collect()
        .ctx("aggregating `sections` per track")?;
    Ok(features.join(
        stats.lazy(),
        [col(cols::sections::TRACK_ID)],
        [col(cols::sections::TRACK_ID)],
        JoinArgs::new(JoinType::Left),
    ))
}
