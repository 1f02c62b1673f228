//! `codebook`: a vector-quantisation ("bag of frames") song model. K-Means ([`CODEWORDS`]
//! codewords, seeded) is fitted to the timbre vectors of a seeded sample of segments (each
//! coefficient standardised over the sample); every segment is assigned to its nearest
//! codeword, and a song is the histogram of its segments over the codewords (Aucouturier and
//! Pachet 2002; Seyerlehner et al. 2008). Songs are compared by the Hellinger distance
//! `H(p, q) = sqrt(sum (sqrt(p) - sqrt(q))^2) / sqrt(2)`: the coordinates are the square roots
//! of the histogram, so the euclidean distance between songs is `sqrt(2) H` and every vector
//! search of the pipeline applies unchanged.
//!
//! Linear in segments: one count of the rows, one streamed pass to draw the sample (at most
//! [`SAMPLE_SEGMENTS`], independent of the library's size), the fit on the sample, and one
//! streamed pass assigning every segment (batches of 2^20 rows; memory: the sample, the
//! codewords and one histogram per song).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use linfa::DatasetBase;
use linfa::prelude::*;
use ndarray::{Array2, ArrayView2};
use polars::prelude::*;
use timbral_cluster::kmeans::{KMeansModel, KMeansParams};
use timbral_core::contract::timbre_columns;
use timbral_core::error::PolarsContext;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::scaler::Scaler;
use timbral_core::{Error, Result, Table, Workdir, cols};

use super::vectors::DIMS;

/// Codewords of the codebook.
pub const CODEWORDS: usize = 64;
/// Segments the codebook is fitted to at most (drawn uniformly, seeded).
pub const SAMPLE_SEGMENTS: usize = 50_000;
/// K-Means restarts of the fit.
const RUNS: usize = 1;
/// The codebook's seed. Fixed (not `--seed`) so that `recommend` and `artists`, which rebuild
/// the representation the similarity stage used, find the same codebook.
pub const SEED: u64 = 42;
const BATCH_ROWS: usize = 1 << 20;

/// A fitted codebook: per-coefficient standardisation and the `CODEWORDS x 12` centres.
#[derive(Debug, Clone)]
pub struct Codebook {
    scaler: Scaler,
    kmeans: KMeansModel,
}

impl Codebook {
    /// Fits the codebook to `sample` (rows of 12 timbre coefficients).
    pub fn fit(sample: ArrayView2<f64>, seed: u64) -> Result<Codebook> {
        let n = sample.nrows();
        if n < CODEWORDS {
            return Err(Error::TooFewRows {
                table: Table::Segments.name().into(),
                rows: n,
                why: format!("the codebook needs at least {CODEWORDS} segments"),
            });
        }
        let scaler = Scaler::fit(timbre_columns(), sample);
        let standard = scaler.transform(sample);
        let kmeans = KMeansParams::new(CODEWORDS).runs(RUNS).seed(seed).fit(&DatasetBase::from(standard.view()))?;
        Ok(Codebook { scaler, kmeans })
    }

    /// The nearest codeword of each row of `x` (raw timbre vectors).
    pub fn assign(&self, x: ArrayView2<f64>) -> Vec<usize> {
        self.kmeans.predict(&self.scaler.transform(x)).to_vec()
    }
}

/// The square-root histograms of every song with segments, as (track ids sorted, matrix).
pub fn histograms(workdir: &Workdir, seed: u64) -> Result<(Vec<String>, Array2<f64>)> {
    let scan = workdir.scan_table(Table::Segments)?;
    let columns = timbre_columns();
    let mut select: Vec<Expr> = vec![col(cols::segments::TRACK_ID)];
    select.extend(columns.iter().map(|c| col(c.as_str())));
    let scan = scan.select(select);
    let total = scan
        .clone()
        .select([len()])
        .collect()
        .ctx("counting `segments`")?
        .column("len")
        .ctx("counting `segments`")?
        .u32()
        .ctx("counting `segments`")?
        .get(0)
        .unwrap_or(0) as u64;
    let keep = (SAMPLE_SEGMENTS as f64 / total.max(1) as f64).min(1.0);

    // Pass 1: a Bernoulli sample, row r kept when its seeded hash falls below `keep`.
    let sample = Arc::new(Mutex::new((0u64, Vec::<f64>::new())));
    let state = Arc::clone(&sample);
    let names = columns.clone();
    stream(scan.clone(), move |batch| {
        let matrix = to_matrix(&batch, "segments", &names).map_err(to_polars)?;
        let mut guard = state.lock().map_err(|_| poisoned())?;
        let (row, values) = &mut *guard;
        for r in matrix.outer_iter() {
            if unit_hash(seed, *row) < keep {
                values.extend(r.iter());
            }
            *row += 1;
        }
        Ok(false)
    })?;
    let values = std::mem::take(&mut sample.lock().map_err(|_| Error::Internal("codebook sample poisoned".into()))?.1);
    let rows = values.len() / DIMS;
    let book = Codebook::fit(Array2::from_shape_vec((rows, DIMS), values).map_err(|e| Error::Internal(e.to_string()))?.view(), seed)?;

    // Pass 2: every segment to its codeword, counted per song.
    let counts = Arc::new(Mutex::new(HashMap::<String, Vec<u32>>::new()));
    let state = Arc::clone(&counts);
    let names = columns.clone();
    let shared = Arc::new(book);
    stream(scan, move |batch| {
        let ids = strings(&batch, "segments", cols::segments::TRACK_ID).map_err(to_polars)?;
        let matrix = to_matrix(&batch, "segments", &names).map_err(to_polars)?;
        let words = shared.assign(matrix.view());
        let mut guard = state.lock().map_err(|_| poisoned())?;
        for (id, w) in ids.into_iter().zip(words) {
            guard.entry(id).or_insert_with(|| vec![0; CODEWORDS])[w] += 1;
        }
        Ok(false)
    })?;
    let counts = std::mem::take(&mut *counts.lock().map_err(|_| Error::Internal("codebook counts poisoned".into()))?);
    let mut ids: Vec<String> = counts.keys().cloned().collect();
    ids.sort();
    let mut out = Array2::zeros((ids.len(), CODEWORDS));
    for (i, id) in ids.iter().enumerate() {
        let h = &counts[id];
        let n: u32 = h.iter().sum();
        for (c, &v) in h.iter().enumerate() {
            out[[i, c]] = (v as f64 / n as f64).sqrt();
        }
    }
    Ok((ids, out))
}

/// The Hellinger distance between two histograms (each normalised to sum 1 here).
pub fn hellinger(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let total: f64 = p.iter().zip(q).map(|(a, b)| ((a / sp).sqrt() - (b / sq).sqrt()).powi(2)).sum();
    (total / 2.0).sqrt()
}

/// A uniform number in [0, 1) from `seed` and a row number (SplitMix64).
fn unit_hash(seed: u64, row: u64) -> f64 {
    let mut z = seed ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Streams `scan` in file order, batches of [`BATCH_ROWS`], through `f` (true stops).
fn stream(scan: LazyFrame, f: impl FnMut(DataFrame) -> PolarsResult<bool> + Send + 'static) -> Result<()> {
    let f = Mutex::new(f);
    scan.sink_batches(
        PlanCallback::new(move |batch: DataFrame| (f.lock().map_err(|_| poisoned())?)(batch)),
        true,
        NonZeroUsize::new(BATCH_ROWS),
    )
    .and_then(|plan| plan.collect_with_engine(Engine::Streaming))
    .ctx("streaming `segments` for the codebook")?;
    Ok(())
}

fn to_polars(e: Error) -> PolarsError {
    PolarsError::ComputeError(e.to_string().into())
}

fn poisoned() -> PolarsError {
    PolarsError::ComputeError("codebook state poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellinger_of_identical_and_disjoint_histograms() {
        assert_eq!(hellinger(&[1.0, 3.0], &[2.0, 6.0]), 0.0);
        assert!((hellinger(&[1.0, 0.0], &[0.0, 5.0]) - 1.0).abs() < 1e-12);
    }
}
