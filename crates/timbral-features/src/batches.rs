//! The one ordered streaming pass over `segments` that computes every per-track aggregate.
//!
//! The segments are streamed in file order in batches of about 10^6 rows; each batch is
//! extended by the rows of the track cut at the end of the previous batch, every track complete
//! in the batch is summarised with an in-memory Polars lazy group-by, and the last, possibly
//! incomplete, track is carried over. Each track is therefore aggregated once, over all its
//! rows in `seg` order, which makes the result exact and bit-for-bit reproducible (the
//! streaming engine's own group-by merges partial states in a thread-dependent order, so its
//! covariances can differ in the last bit between runs).
//!
//! This needs each track's rows to be stored together, as every timbral writer does (interim
//! tables are sorted by track_id, seg). If a track turns up again after it was completed, the
//! pass stops and the aggregates are computed in memory over the whole table instead.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use timbral_core::Result;
use timbral_core::error::PolarsContext;
use timbral_core::cols;

use timbral_core::FeatureSet;
use crate::{over_time, seed};

/// Rows per batch handed to the callback.
const BATCH_ROWS: usize = 1 << 20;

/// One row per track present in `segments` with every aggregate of `set`.
pub(crate) fn aggregate(segments: LazyFrame, set: FeatureSet) -> Result<DataFrame> {
    let projected = segments.select(seed::inputs(set));

    let state = Arc::new(Mutex::new(Batches::new(set)));
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
        .map_err(|_| timbral_core::Error::Internal("feature batch state poisoned".into()))?;
    state.finish().ctx("summarising the last track of `segments`")?;
    if state.contiguous {
        let parts = std::mem::take(&mut state.parts);
        return concat_frames(parts);
    }
    tracing::warn!(
        "`segments` does not store each track's rows together; computing the features in \
         memory (sort the table by track_id, seg to stream it)"
    );
    let all = projected.collect().ctx("reading `segments`")?;
    summarise(all, set).ctx("aggregating `segments` per track")
}

struct Batches {
    set: FeatureSet,
    /// Rows of the last track of the previous batch, which may continue in the next one.
    carry: Option<DataFrame>,
    completed: HashSet<String>,
    parts: Vec<DataFrame>,
    contiguous: bool,
}

impl Batches {
    fn new(set: FeatureSet) -> Self {
        Batches {
            set,
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
        let Some(last) = frame.column(cols::segments::TRACK_ID)?.str()?.get(frame.height() - 1).map(str::to_string)
        else {
            return Ok(false);
        };
        let is_last = col(cols::segments::TRACK_ID).eq(lit(last));
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
        let stats = summarise(frame, self.set)?;
        for id in stats.column(cols::segments::TRACK_ID)?.str()?.iter().flatten() {
            if !self.completed.insert(id.to_string()) {
                self.contiguous = false;
                return Ok(false);
            }
        }
        self.parts.push(stats);
        Ok(true)
    }
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

/// Every aggregate of `set` for the tracks in `frame`, all of whose rows `frame` holds.
pub(crate) fn summarise(frame: DataFrame, set: FeatureSet) -> PolarsResult<DataFrame> {
    let mut aggs = seed::aggregations(set);
    let mut sorted = frame.lazy();
    if set == FeatureSet::Extended {
        sorted = over_time::with_differences(
            sorted.sort([cols::segments::TRACK_ID, cols::segments::SEG], SortMultipleOptions::default()),
        );
        aggs.extend(over_time::aggregations());
    }
    sorted.group_by([col(cols::segments::TRACK_ID)]).agg(aggs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_rows() -> DataFrame {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/segments.parquet");
        let segments = timbral_core::io::read_parquet(&path).unwrap();
        segments.lazy().select(seed::inputs(FeatureSet::Extended)).collect().unwrap()
    }

    fn by_track(frame: DataFrame) -> DataFrame {
        frame.sort(["track_id"], SortMultipleOptions::default()).unwrap()
    }

    /// Same tracks and values up to float rounding (batches change how columns are chunked).
    fn assert_close(got: &DataFrame, want: &DataFrame, size: usize) {
        assert_eq!(got.get_column_names(), want.get_column_names());
        assert!(got.column("track_id").unwrap().equals(want.column("track_id").unwrap()));
        for name in want.get_column_names().into_iter().skip(1) {
            let as_f64 = |f: &DataFrame| f.column(name).unwrap().cast(&DataType::Float64).unwrap();
            let (g, w) = (as_f64(got), as_f64(want));
            let (g, w) = (g.f64().unwrap(), w.f64().unwrap());
            for pair in g.iter().zip(w.iter()) {
                let (Some(a), Some(b)) = pair else {
                    assert_eq!(pair.0, pair.1, "{name} with batches of {size} rows");
                    continue;
                };
                assert!(
                    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs(),
                    "{name}: {a} vs {b} with batches of {size} rows"
                );
            }
        }
    }

    #[test]
    fn batches_cut_anywhere_give_the_statistics_of_the_whole_table() {
        let all = fixture_rows();
        let whole = by_track(summarise(all.clone(), FeatureSet::Extended).unwrap());
        for size in [7usize, 97, 450, 5000] {
            let mut batches = Batches::new(FeatureSet::Extended);
            for offset in (0..all.height()).step_by(size) {
                let stop = batches.push(all.slice(offset as i64, size)).unwrap();
                assert!(!stop, "contiguous tracks never stop the stream");
            }
            batches.finish().unwrap();
            assert!(batches.contiguous);
            let streamed = by_track(concat_frames(std::mem::take(&mut batches.parts)).unwrap());
            assert_close(&streamed, &whole, size);
        }
    }

    #[test]
    fn a_track_seen_again_after_completion_stops_the_stream() {
        let all = fixture_rows();
        let track = |id: &str| all.clone().lazy().filter(col("track_id").eq(lit(id))).collect().unwrap();
        let mut batches = Batches::new(FeatureSet::Extended);
        assert!(!batches.push(track("trA_long")).unwrap());
        assert!(!batches.push(track("trB_two")).unwrap(), "trA_long is completed here");
        assert!(!batches.push(track("trA_long").slice(0, 5)).unwrap(), "trA_long is carried");
        assert!(batches.push(track("trD_three")).unwrap(), "trA_long completed twice");
        assert!(!batches.contiguous);
    }
}
