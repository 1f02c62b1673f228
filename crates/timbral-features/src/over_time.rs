//! "Timbre over time" statistics that depend on segment order: first differences of the timbre
//! vectors and the loudness dynamic range.
//!
//! They are computed in one ordered streaming pass over `segments`: each batch is extended by
//! the rows of the track cut at the end of the previous batch, every track completed in the
//! batch is summarised in memory (sorted by `seg`), and the last, possibly incomplete, track is
//! carried over. This needs each track's rows to be stored together, as every timbral writer
//! does (tables are sorted by track_id, seg). If a track turns up again after it was completed,
//! the pass stops and the statistics are recomputed in memory over the whole table.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use timbral_core::Result;
use timbral_core::contract::timbre_columns;
use timbral_core::error::PolarsContext;

/// Rows per batch handed to the callback.
const BATCH_ROWS: usize = 1 << 20;

/// One row per track with the order-dependent statistics.
pub(crate) fn aggregate(segments: LazyFrame) -> Result<DataFrame> {
    let projected = project(segments);

    let state = Arc::new(Mutex::new(Batches::new()));
    let sink_state = Arc::clone(&state);
    projected
        .clone()
        .sink_batches(
            PlanCallback::new(move |batch: DataFrame| {
                let mut state = sink_state
                    .lock()
                    .map_err(|_| PolarsError::ComputeError("feature batch state poisoned".into()))?;
                state.push(batch)
            }),
            true,
            NonZeroUsize::new(BATCH_ROWS),
        )
        .and_then(|plan| plan.collect_with_engine(Engine::Streaming))
        .ctx("streaming `segments` in order")?;

    let mut state = state
        .lock()
        .map_err(|_| timbral_core::Error::Other("feature batch state poisoned".into()))?;
    state.finish().ctx("summarising the last track of `segments`")?;
    if state.contiguous {
        let parts = std::mem::take(&mut state.parts);
        return concat_frames(parts);
    }
    tracing::warn!(
        "`segments` does not store each track's rows together; computing the over-time \
         features in memory (sort the table by track_id, seg to stream it)"
    );
    let all = projected.collect().ctx("reading `segments`")?;
    summarise(all).ctx("computing over-time features")
}

/// The columns the statistics need, timbre as f64 named `t0..t11`.
fn project(segments: LazyFrame) -> LazyFrame {
    let mut inputs = vec![col("track_id"), col("seg"), col("loudness_max")];
    inputs.extend(
        timbre_columns()
            .iter()
            .enumerate()
            .map(|(i, c)| col(c.as_str()).cast(DataType::Float64).alias(format!("t{i}"))),
    );
    segments.select(inputs)
}

struct Batches {
    /// Rows of the last track of the previous batch, which may continue in the next one.
    carry: Option<DataFrame>,
    completed: HashSet<String>,
    parts: Vec<DataFrame>,
    contiguous: bool,
}

impl Batches {
    fn new() -> Self {
        Batches {
            carry: None,
            completed: HashSet::new(),
            parts: Vec::new(),
            contiguous: true,
        }
    }

    /// Returns `true` to stop the stream (rows of a completed track turned up again).
    fn push(&mut self, batch: DataFrame) -> PolarsResult<bool> {
        let frame = match self.carry.take() {
            Some(mut carry) => {
                carry.vstack_mut_owned(batch)?;
                carry
            }
            None => batch,
        };
        if frame.height() == 0 {
            return Ok(false);
        }
        let Some(last) = frame.column("track_id")?.str()?.get(frame.height() - 1).map(str::to_string)
        else {
            return Ok(false);
        };
        let is_last = col("track_id").eq(lit(last));
        self.carry = Some(frame.clone().lazy().filter(is_last.clone()).collect()?);
        let complete = frame.lazy().filter(is_last.not()).collect()?;
        Ok(!self.summarise_completed(complete)?)
    }

    fn finish(&mut self) -> PolarsResult<()> {
        if let Some(carry) = self.carry.take()
            && self.contiguous
        {
            self.summarise_completed(carry)?;
        }
        Ok(())
    }

    /// Summarises tracks whose rows are all in `frame`; `false` if one was completed before.
    fn summarise_completed(&mut self, frame: DataFrame) -> PolarsResult<bool> {
        if frame.height() == 0 {
            return Ok(true);
        }
        let stats = summarise(frame)?;
        for id in stats.column("track_id")?.str()?.iter().flatten() {
            if !self.completed.insert(id.to_string()) {
                self.contiguous = false;
                return Ok(false);
            }
        }
        self.parts.push(stats);
        Ok(true)
    }
}

/// The statistics of every track in `frame`, all of whose rows `frame` holds.
fn summarise(frame: DataFrame) -> PolarsResult<DataFrame> {
    let same_track = col("track_id").eq(col("track_id").shift(lit(1)));
    let diffs: Vec<Expr> = (0..12)
        .map(|i| {
            let t = col(format!("t{i}"));
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
    let mut aggs: Vec<Expr> = (0..12)
        .map(|i| col(format!("d{i}")).abs().mean().alias(format!("dt{i}_abs_mean")))
        .collect();
    aggs.extend((0..12).map(|i| col(format!("d{i}")).std(0).alias(format!("dt{i}_std"))));
    aggs.extend([
        col("d_norm").mean().alias("dt_norm_mean"),
        col("d_norm").std(0).alias("dt_norm_std"),
        (col("loudness_max").quantile(lit(0.95), QuantileMethod::Linear)
            - col("loudness_max").quantile(lit(0.05), QuantileMethod::Linear))
        .alias("dynamic_range"),
    ]);
    frame
        .lazy()
        .sort(["track_id", "seg"], SortMultipleOptions::default())
        .with_columns(diffs)
        .with_column(norm)
        .group_by([col("track_id")])
        .agg(aggs)
        .collect()
}

fn concat_frames(parts: Vec<DataFrame>) -> Result<DataFrame> {
    let mut parts = parts.into_iter();
    let Some(mut all) = parts.next() else {
        return Ok(DataFrame::empty());
    };
    for part in parts {
        all.vstack_mut_owned(part).ctx("collecting over-time features")?;
    }
    all.rechunk_mut();
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_rows() -> DataFrame {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/segments.parquet");
        let segments = timbral_core::io::read_parquet(&path).unwrap();
        project(segments.lazy()).collect().unwrap()
    }

    fn by_track(frame: DataFrame) -> DataFrame {
        frame.sort(["track_id"], SortMultipleOptions::default()).unwrap()
    }

    #[test]
    fn batches_cut_anywhere_give_the_statistics_of_the_whole_table() {
        let all = fixture_rows();
        let whole = by_track(summarise(all.clone()).unwrap());
        for size in [1usize, 97, 450, 1000, 5000] {
            let mut batches = Batches::new();
            for offset in (0..all.height()).step_by(size) {
                let stop = batches.push(all.slice(offset as i64, size)).unwrap();
                assert!(!stop, "contiguous tracks never stop the stream");
            }
            batches.finish().unwrap();
            assert!(batches.contiguous);
            let streamed = by_track(concat_frames(std::mem::take(&mut batches.parts)).unwrap());
            assert!(streamed.equals_missing(&whole), "batches of {size} rows");
        }
    }

    #[test]
    fn a_track_seen_again_after_completion_stops_the_stream() {
        let all = fixture_rows();
        let track = |id: &str| all.clone().lazy().filter(col("track_id").eq(lit(id))).collect().unwrap();
        let mut batches = Batches::new();
        assert!(!batches.push(track("trA_long")).unwrap());
        assert!(!batches.push(track("trB_two")).unwrap(), "trA_long is completed here");
        assert!(!batches.push(track("trA_long").slice(0, 5)).unwrap(), "trA_long is carried");
        assert!(batches.push(track("trD_three")).unwrap(), "trA_long completed twice");
        assert!(!batches.contiguous);
    }
}
