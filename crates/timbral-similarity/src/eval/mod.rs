//! `timbral eval`: quality metrics of the pipeline, checked against thresholds.
//!
//! Metrics (names as in the `eval` table and the checks file, `k` from [`EvalParams`]):
//! - `artist_precision_at_{k}` with `_baseline` (labels shuffled among songs, seeded) and
//!   `_lift` (precision / baseline); likewise `genre_precision_at_{k}`;
//! - `trustworthiness`: of the 2-D map against the standardised features, read from the
//!   cluster stage's `cluster_quality` when it wrote it, else computed here over a seeded
//!   sample of query songs (at most [`TRUST_DISTANCES`] query-song distances);
//! - `noise_share_dbscan`, `noise_share_hdbscan`: from `clusters`;
//! - `best_silhouette`: the highest K-Means silhouette in `model_selection`.

pub mod checks;
pub mod compare;
pub mod metrics;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::matrix::strings;
use timbral_core::{Error, Result, Table, Workdir, cols};

use crate::catalogue::Catalogue;
use crate::representation::{CodebookUse, coordinates};
use crate::hyperparams::{EvalParams, Labels, Space};
use crate::neighbors::{all_nearest, distance_rows, nearest_in_row, seeded_sample};
pub use checks::{Bound, Checks};

/// Query songs x songs whose distances a computed trustworthiness visits at most: all
/// `trust_queries` (2,000) queries up to 100,000 songs, 200 at a million.
pub const TRUST_DISTANCES: usize = 200_000_000;

/// The cluster stage's name for its trustworthiness in `cluster_quality`.
const CLUSTER_TRUSTWORTHINESS: &str = "trustworthiness_2d_k15";

/// One measured metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    /// `None` when it cannot be computed (say, no `clusters` table yet).
    pub value: Option<f64>,
    pub description: String,
}

/// A metric with its check, if the checks file has one.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMetric {
    pub metric: Metric,
    pub bound: Option<Bound>,
    pub passed: Option<bool>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub metrics: Vec<CheckedMetric>,
}

impl EvalReport {
    /// The metrics that missed their threshold.
    pub fn failed(&self) -> Vec<&CheckedMetric> {
        self.metrics.iter().filter(|m| m.passed == Some(false)).collect()
    }
}

/// Computes the metrics, checks them against `checks` (if any), writes the `eval` table and
/// returns the report. Failed checks are in the report, not an error: the caller decides.
pub fn run(workdir: &Workdir, params: &EvalParams, checks: Option<&Checks>) -> Result<EvalReport> {
    let metrics = evaluate(workdir, params)?;
    let report = apply_checks(metrics, checks)?;
    let mut frame = table(&report)?;
    workdir.write_table(Table::Eval, &mut frame)?;
    Ok(report)
}

/// Every metric of the module documentation, in that order.
pub fn evaluate(workdir: &Workdir, params: &EvalParams) -> Result<Vec<Metric>> {
    let params = &params.resolved(workdir);
    let catalogue = Catalogue::load(workdir, params.space(), CodebookUse::Stage(params.seed()), Labels::default())?;
    let mut out = retrieval_metrics(&catalogue, params)?;
    out.push(trustworthiness(workdir, &catalogue, params)?);
    let clusters = workdir.read_table_if_exists(Table::Clusters)?;
    for column in [cols::clusters::DBSCAN, cols::clusters::HDBSCAN] {
        let value = match &clusters {
            Some(frame) => metrics::noise_share(&labels(frame, column)?),
            None => None,
        };
        out.push(metric(
            &format!("noise_share_{column}"),
            value,
            &format!("share of songs {column} leaves as noise (-1)"),
        ));
    }
    out.push(metric("best_silhouette", best_silhouette(workdir)?, "highest K-Means silhouette over k"));
    Ok(out)
}

/// Artist and genre precision@k, their shuffled baselines and lifts, over every song's `k`
/// neighbours found by `--knn` (NN-descent above 20,000 songs by default).
pub fn retrieval_metrics(catalogue: &Catalogue, params: &EvalParams) -> Result<Vec<Metric>> {
    let k = params.k();
    let (method, neighbours) = all_nearest(catalogue.points.view(), k, params.knn(), params.seed())?;
    let artist = dense_ids(&catalogue.artist_ids);
    let genres = genre_ids(&catalogue.genres);
    let seed = params.seed();
    let space = params.space().name();
    let mut out = Vec::new();
    let mut add = |label: &str, value: Option<f64>, baseline: Option<f64>, what: &str| {
        let name = format!("{label}_precision_at_{k}");
        let found = method.name();
        out.push(metric(&name, value, &format!("share of a song's {k} nearest songs ({space}, {found}) {what}")));
        out.push(metric(
            &format!("{name}_baseline"),
            baseline,
            &format!("{name} with labels shuffled among songs, mean of {} seeded shuffles", params.shuffles()),
        ));
        let lift = match (value, baseline) {
            (Some(v), Some(b)) if b > 0.0 => Some(v / b),
            _ => None,
        };
        out.push(metric(&format!("{name}_lift"), lift, &format!("{name} / baseline")));
    };
    add(
        "artist",
        metrics::artist_precision(&neighbours, &artist),
        metrics::shuffled_baseline(&artist, params.shuffles(), seed, |l| {
            metrics::artist_precision(&neighbours, l)
        }),
        "by the same artist (artists with 2+ songs)",
    );
    add(
        "genre",
        metrics::genre_precision(&neighbours, &genres),
        metrics::shuffled_baseline(&genres, params.shuffles(), seed.wrapping_add(1), |l| {
            metrics::genre_precision(&neighbours, l)
        }),
        "sharing a genre (songs with a genre)",
    );
    Ok(out)
}

fn trustworthiness(workdir: &Workdir, catalogue: &Catalogue, params: &EvalParams) -> Result<Metric> {
    if let Some(frame) = workdir.read_table_if_exists(Table::ClusterQuality)? {
        let names = strings(&frame, "cluster_quality", cols::cluster_quality::METRIC)?;
        if let Some(row) = names.iter().position(|n| n == CLUSTER_TRUSTWORTHINESS) {
            let value = frame
                .column(cols::cluster_quality::VALUE)
                .ctx("table `cluster_quality`")?
                .f64()
                .ctx("table `cluster_quality` column `value`")?
                .get(row);
            return Ok(metric(
                "trustworthiness",
                value,
                "trustworthiness of the 2-D map at k=15, from cluster_quality",
            ));
        }
    }
    let k = params.trust_k();
    let high = aligned_features(workdir, catalogue)?;
    let n = catalogue.len();
    let budget = (TRUST_DISTANCES / n.max(1)).max(1);
    let queries = seeded_sample(n, params.trust_queries().min(budget), params.seed());
    // The 2-D neighbours of the query songs only, by exact scan.
    let picked = catalogue.map.select(ndarray::Axis(0), &queries);
    let embedded = distance_rows(picked.view(), catalogue.map.view(), |q, row| nearest_in_row(row, k, Some(queries[q])));
    let value = metrics::trustworthiness(&high, &queries, &embedded, k);
    Ok(metric(
        "trustworthiness",
        value,
        &format!("trustworthiness of the 2-D map at k={k} over {} query songs", queries.len()),
    ))
}

/// The standardised features in catalogue row order.
fn aligned_features(workdir: &Workdir, catalogue: &Catalogue) -> Result<ndarray::Array2<f64>> {
    let (ids, matrix) = coordinates(workdir, Space::Study, CodebookUse::Query, None)?;
    align_rows(catalogue, &ids, &matrix, "features")
}

/// The rows of `matrix` (one per id of `ids`, from `table`) in catalogue row order.
pub(crate) fn align_rows(
    catalogue: &Catalogue,
    ids: &[String],
    matrix: &ndarray::Array2<f64>,
    table: &str,
) -> Result<ndarray::Array2<f64>> {
    let row: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut out = ndarray::Array2::zeros((catalogue.len(), matrix.ncols()));
    for (i, id) in catalogue.track_ids.iter().enumerate() {
        let &r = row.get(id.as_str()).ok_or_else(|| Error::InvalidValue {
            table: table.into(),
            column: cols::clusters::TRACK_ID.into(),
            why: format!("no row for track `{id}` of the embedding"),
        })?;
        out.row_mut(i).assign(&matrix.row(r));
    }
    Ok(out)
}

fn labels(frame: &DataFrame, column: &str) -> Result<Vec<i32>> {
    let values = frame
        .column(column)
        .ctx("table `clusters`")?
        .i32()
        .ctx(format!("table `clusters` column `{column}`"))?;
    Ok(values.iter().flatten().collect())
}

fn best_silhouette(workdir: &Workdir) -> Result<Option<f64>> {
    let Some(frame) = workdir.read_table_if_exists(Table::ModelSelection)? else {
        return Ok(None);
    };
    let values = frame
        .column(cols::model_selection::SILHOUETTE)
        .ctx("table `model_selection`")?
        .f64()
        .ctx("table `model_selection` column `silhouette`")?;
    Ok(values.iter().flatten().filter(|v| v.is_finite()).reduce(f64::max))
}

/// Small integer ids in order of first appearance.
fn dense_ids(values: &[String]) -> Vec<usize> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    values
        .iter()
        .map(|v| {
            let next = ids.len();
            *ids.entry(v.as_str()).or_insert(next)
        })
        .collect()
}

fn genre_ids(genres: &[Vec<String>]) -> Vec<Vec<u32>> {
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    genres
        .iter()
        .map(|list| {
            let mut out: Vec<u32> = list
                .iter()
                .map(|g| {
                    let next = ids.len() as u32;
                    *ids.entry(g.as_str()).or_insert(next)
                })
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect()
}

fn metric(name: &str, value: Option<f64>, description: &str) -> Metric {
    Metric {
        name: name.to_string(),
        value: value.filter(|v| v.is_finite()),
        description: description.to_string(),
    }
}

/// Pairs metrics with their bounds. A bound on a metric that does not exist is an error (a
/// typo in the checks file must not pass silently).
pub fn apply_checks(metrics: Vec<Metric>, checks: Option<&Checks>) -> Result<EvalReport> {
    let bounds = checks.map(|c| c.metrics.clone()).unwrap_or_default();
    if let Some(unknown) = bounds.keys().find(|name| !metrics.iter().any(|m| &m.name == *name)) {
        let known: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        return Err(Error::NotFound {
            kind: "metric in the checks file",
            value: unknown.clone(),
            hint: format!("; known metrics: {}", known.join(", ")),
        });
    }
    let metrics = metrics
        .into_iter()
        .map(|metric| {
            let bound = bounds.get(&metric.name).copied();
            let passed = bound.map(|b| b.passes(metric.value));
            CheckedMetric { metric, bound, passed }
        })
        .collect();
    Ok(EvalReport { metrics })
}

/// The `eval` table.
pub fn table(report: &EvalReport) -> Result<DataFrame> {
    let m = &report.metrics;
    df!(
        cols::cluster_quality::METRIC => m.iter().map(|c| c.metric.name.as_str()).collect::<Vec<_>>(),
        cols::cluster_quality::VALUE => m.iter().map(|c| c.metric.value).collect::<Vec<_>>(),
        cols::eval::THRESHOLD_MIN => m.iter().map(|c| c.bound.and_then(|b| b.min)).collect::<Vec<_>>(),
        cols::eval::THRESHOLD_MAX => m.iter().map(|c| c.bound.and_then(|b| b.max)).collect::<Vec<_>>(),
        cols::eval::PASSED => m.iter().map(|c| c.passed).collect::<Vec<_>>(),
        cols::eval::DESCRIPTION => m.iter().map(|c| c.metric.description.as_str()).collect::<Vec<_>>(),
    )
    .ctx("building eval")
}

/// Reads the checks file, if given, before any work, so a bad file fails fast.
pub fn load_checks(path: Option<&Path>) -> Result<Option<Checks>> {
    path.map(Checks::load).transpose()
}
