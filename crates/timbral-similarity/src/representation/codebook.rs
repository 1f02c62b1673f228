//! `codebook`: a vector-quantisation ("bag of frames") song model. K-Means ([`CODEWORDS`]
//! codewords, seeded) is fitted to the timbre vectors of a seeded sample of segments (each
//! coefficient standardised over the sample); every segment is assigned to its nearest
//! codeword, and a song is the histogram of its segments over the codewords (Aucouturier and
//! Pachet 2002; Seyerlehner et al. 2008). Songs are compared by the Hellinger distance
//! `H(p, q) = sqrt(sum (sqrt(p) - sqrt(q))^2) / sqrt(2)`: the coordinates are the square roots
//! of the histogram, so the euclidean distance between songs is `sqrt(2) H` and every vector
//! search of the pipeline applies unchanged.
//!
//! The fitted codebook is stored in `codebook_model` with the seed it was fitted with
//! ([`CodebookUse`]): a stage reuses it while the seed is the same, and `recommend` and
//! `artists` read the one the similarity stage used instead of fitting their own.
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
use timbral_core::contract::{CODEWORDS, codeword_names, timbre_columns};
use timbral_core::error::PolarsContext;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::scaler::Scaler;
use timbral_core::{Error, Result, Table, Workdir, cols};

use super::vectors::DIMS;

/// Segments the codebook is fitted to at most (drawn uniformly, seeded).
pub const SAMPLE_SEGMENTS: usize = 50_000;
/// K-Means restarts of the fit.
const RUNS: usize = 1;
/// The seed of a codebook fitted for a query of a workdir that has none stored (one from
/// before codebooks were stored): `--seed`'s default.
const QUERY_SEED: u64 = 42;
const BATCH_ROWS: usize = 1 << 20;

/// Which codebook the representation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodebookUse {
    /// A stage of `--seed`: the stored codebook when it was fitted with that seed, else one
    /// fitted now and stored.
    Stage(u64),
    /// A read-only query (`recommend`, `artists`): the stored codebook, which the similarity
    /// stage wrote; fitted in memory (not stored) when there is none.
    Query,
}

/// A fitted codebook: per-coefficient standardisation and the `CODEWORDS x 12` centres.
#[derive(Debug, Clone)]
pub struct Codebook {
    scaler: Scaler,
    kmeans: KMeansModel,
    seed: u64,
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
        Ok(Codebook { scaler, kmeans, seed })
    }

    /// The `codebook_model` rows.
    pub fn frame(&self) -> Result<DataFrame> {
        use cols::codebook_model as c;
        let mut columns = vec![
            Column::new(c::COEFFICIENT.into(), &self.scaler.features),
            Column::new(c::MEAN.into(), self.scaler.mean.to_vec()),
            Column::new(c::STD.into(), self.scaler.std.to_vec()),
            Column::new(c::SEED.into(), vec![self.seed; self.scaler.features.len()]),
        ];
        for (name, centre) in codeword_names().into_iter().zip(self.kmeans.centroids.rows()) {
            columns.push(Column::new(name.into(), centre.to_vec()));
        }
        DataFrame::new_infer_height(columns).ctx("building `codebook_model`")
    }

    /// The codebook stored in `workdir`, if any.
    pub fn read(workdir: &Workdir) -> Result<Option<Codebook>> {
        use cols::codebook_model as c;
        let Some(frame) = workdir.read_table_if_exists(Table::CodebookModel)? else {
            return Ok(None);
        };
        let table = Table::CodebookModel.name();
        let coefficients = strings(&frame, table, c::COEFFICIENT)?;
        if coefficients != timbre_columns() {
            return Err(Error::InvalidValue {
                table: table.into(),
                column: c::COEFFICIENT.into(),
                why: format!("expected the rows {:?}; rerun `timbral similarity`", timbre_columns()),
            });
        }
        let standardisation = to_matrix(&frame, table, &[c::MEAN.to_string(), c::STD.to_string()])?;
        let seed = frame
            .column(c::SEED)
            .ctx(table)?
            .u64()
            .ctx(table)?
            .get(0)
            .ok_or_else(|| Error::InvalidValue { table: table.into(), column: c::SEED.into(), why: "null".into() })?;
        let scaler = Scaler {
            features: coefficients,
            mean: standardisation.column(0).to_owned(),
            std: standardisation.column(1).to_owned(),
        };
        let centroids = to_matrix(&frame, table, &codeword_names())?.reversed_axes().as_standard_layout().to_owned();
        let kmeans = KMeansModel { centroids, labels: Vec::new(), inertia: f64::NAN, iterations: 0 };
        Ok(Some(Codebook { scaler, kmeans, seed }))
    }

    /// The nearest codeword of each row of `x` (raw timbre vectors).
    pub fn assign(&self, x: ArrayView2<f64>) -> Vec<usize> {
        self.kmeans.predict(&self.scaler.transform(x)).to_vec()
    }
}

/// The codebook `usage` calls for (see [`CodebookUse`]).
pub fn codebook(workdir: &Workdir, usage: CodebookUse) -> Result<Codebook> {
    let stored = Codebook::read(workdir)?;
    match (usage, stored) {
        (CodebookUse::Query, Some(book)) => Ok(book),
        (CodebookUse::Stage(seed), Some(book)) if book.seed == seed => Ok(book),
        (CodebookUse::Query, None) => {
            tracing::warn!("no `codebook_model` stored (run `timbral similarity`): fitting one in memory with seed {QUERY_SEED}");
            fit_to_segments(workdir, QUERY_SEED)
        }
        (CodebookUse::Stage(seed), _) => {
            let book = fit_to_segments(workdir, seed)?;
            workdir.write_table(Table::CodebookModel, &mut book.frame()?)?;
            Ok(book)
        }
    }
}

/// The segments' track ids and timbre columns, streamed.
fn timbre_scan(workdir: &Workdir) -> Result<LazyFrame> {
    let mut select: Vec<Expr> = vec![col(cols::segments::TRACK_ID)];
    select.extend(timbre_columns().iter().map(|c| col(c.as_str())));
    Ok(workdir.scan_table(Table::Segments)?.select(select))
}

/// Fits a codebook to a seeded sample of the segments.
fn fit_to_segments(workdir: &Workdir, seed: u64) -> Result<Codebook> {
    let scan = timbre_scan(workdir)?;
    let columns = timbre_columns();
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
    stream(scan, move |batch| {
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
    Codebook::fit(Array2::from_shape_vec((rows, DIMS), values).map_err(|e| Error::Internal(e.to_string()))?.view(), seed)
}

/// The square-root histograms of every song with segments over the codebook `usage` calls
/// for, as (track ids sorted, matrix).
pub fn histograms(workdir: &Workdir, usage: CodebookUse) -> Result<(Vec<String>, Array2<f64>)> {
    let book = codebook(workdir, usage)?;
    let scan = timbre_scan(workdir)?;
    let columns = timbre_columns();

    // Every segment to its codeword, counted per song.
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
