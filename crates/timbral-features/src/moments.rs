//! Mergeable pieces of the seed features, for a group-by whose segment rows are split across
//! machines (a Spark job over a stored `segments` table): [`track_moments`] summarises any
//! subset of a track's segments as its count, means and centred co-moment sums, and
//! [`merge_moments`] combines the pieces of each track with the pairwise update of Chan, Golub
//! and LeVeque (1979), which is as stable as the two-pass covariance the `features` stage
//! computes, then divides by `n - 1` (ddof = 1).
//!
//! Pieces are merged in a fixed order (by track, then by the first segment index each holds),
//! so the result does not depend on how the rows were split or in which order parts arrive.

use std::collections::BTreeMap;

use polars::prelude::*;
use timbral_core::contract::{seed_feature_names, timbre_covariance_column, timbre_mean_column};
use timbral_core::error::PolarsContext;
use timbral_core::{Error, FeatureSet, Result, cols, matrix};

use crate::seed;

/// Segments in the piece.
pub const COUNT: &str = "count";
/// Smallest `seg` in the piece: the merge order.
pub const FIRST_SEG: &str = "first_seg";
/// Null or non-finite timbre values in the piece; a track with any gets no features.
pub const BAD_VALUES: &str = "bad_values";

/// `mean_t{i}`: the piece's mean of timbre coefficient `i`.
pub fn mean_column(i: usize) -> String {
    format!("mean_{}", timbre_mean_column(i))
}

/// `comoment_t{i}_t{j}`: the piece's sum of centred products of coefficients `i` and `j`.
pub fn comoment_column(i: usize, j: usize) -> String {
    format!("comoment_{}", timbre_covariance_column(i, j))
}

/// Upper-triangle pairs `(i, j)`, `i <= j`, in feature order.
fn pairs() -> impl Iterator<Item = (usize, usize)> {
    (0..12).flat_map(|j| (0..=j).map(move |i| (i, j)))
}

/// One row per track of `segments` (track_id, seg and timbre_0..11 are read): the piece's
/// count, first seg, bad values, 12 means and 78 co-moment sums. Counts are int64 so that
/// engines without unsigned integers can carry the table.
pub fn track_moments(segments: DataFrame) -> Result<DataFrame> {
    let inputs = segments
        .lazy()
        .select(seed::inputs(FeatureSet::Seed))
        .collect()
        .ctx("reading timbre from `segments`")?;
    let t = |i: usize| col(timbre_mean_column(i));
    let mut aggs = vec![
        len().cast(DataType::Int64).alias(COUNT),
        col(cols::segments::SEG).min().cast(DataType::Int64).alias(FIRST_SEG),
        col(seed::BAD_VALUES).sum().cast(DataType::Int64).alias(BAD_VALUES),
    ];
    aggs.extend((0..12).map(|i| t(i).mean().alias(mean_column(i))));
    aggs.extend(pairs().map(|(i, j)| ((t(i) - t(i).mean()) * (t(j) - t(j).mean())).sum().alias(comoment_column(i, j))));
    inputs
        .lazy()
        .group_by([col(cols::segments::TRACK_ID)])
        .agg(aggs)
        .sort([cols::segments::TRACK_ID, FIRST_SEG], SortMultipleOptions::default())
        .collect()
        .ctx("summarising segments per track")
}

/// A running summary of some of a track's segments.
#[derive(Debug, Clone)]
struct Piece {
    first_seg: i64,
    count: f64,
    bad: i64,
    mean: [f64; 12],
    comoment: Vec<f64>,
}

impl Piece {
    /// Chan et al.'s combination of two disjoint pieces.
    fn merge(&mut self, other: &Piece) {
        let n = self.count + other.count;
        let delta: Vec<f64> = (0..12).map(|i| other.mean[i] - self.mean[i]).collect();
        let weight = self.count * other.count / n;
        for (c, (i, j)) in pairs().enumerate() {
            self.comoment[c] += other.comoment[c] + delta[i] * delta[j] * weight;
        }
        for (i, d) in delta.iter().enumerate() {
            self.mean[i] += d * other.count / n;
        }
        self.count = n;
        self.bad += other.bad;
    }
}

/// The seed `features` rows of every track in `parts` (rows of [`track_moments`], from any
/// number of pieces per track, in any order), sorted by track id. Tracks with fewer than two
/// segments or a bad timbre value are left out, as the `features` stage leaves them out.
pub fn merge_moments(parts: DataFrame) -> Result<DataFrame> {
    let table = "moments";
    let ids = matrix::strings(&parts, table, cols::segments::TRACK_ID)?;
    let int = |name: &str| -> Result<Vec<i64>> {
        let column = parts
            .column(name)
            .map_err(|_| Error::MissingColumn { table: table.into(), column: name.into() })?
            .cast(&DataType::Int64)
            .ctx(format!("table `{table}` column `{name}`"))?;
        let values = column.i64().ctx(format!("table `{table}` column `{name}`"))?;
        values
            .iter()
            .map(|v| v.ok_or_else(|| Error::InvalidValue { table: table.into(), column: name.into(), why: "null value".into() }))
            .collect()
    };
    let (count, first_seg, bad) = (int(COUNT)?, int(FIRST_SEG)?, int(BAD_VALUES)?);
    let means = matrix::to_matrix(&parts, table, &(0..12).map(mean_column).collect::<Vec<_>>())?;
    let comoments = matrix::to_matrix(&parts, table, &pairs().map(|(i, j)| comoment_column(i, j)).collect::<Vec<_>>())?;

    let mut tracks: BTreeMap<&str, Vec<Piece>> = BTreeMap::new();
    for (row, id) in ids.iter().enumerate() {
        if count[row] <= 0 {
            return Err(Error::InvalidValue {
                table: table.into(),
                column: COUNT.into(),
                why: format!("{} segments for track `{id}`", count[row]),
            });
        }
        tracks.entry(id.as_str()).or_default().push(Piece {
            first_seg: first_seg[row],
            count: count[row] as f64,
            bad: bad[row],
            mean: std::array::from_fn(|i| means[[row, i]]),
            comoment: comoments.row(row).to_vec(),
        });
    }
    let names = seed_feature_names();
    let mut kept_ids = Vec::new();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for (id, mut pieces) in tracks {
        pieces.sort_by_key(|p| p.first_seg);
        let mut total = pieces[0].clone();
        for piece in &pieces[1..] {
            total.merge(piece);
        }
        if total.count < 2.0 || total.bad > 0 {
            continue;
        }
        kept_ids.push(id);
        for (column, mean) in values.iter_mut().zip(total.mean) {
            column.push(mean);
        }
        for (column, comoment) in values[12..].iter_mut().zip(&total.comoment) {
            column.push(comoment / (total.count - 1.0));
        }
    }
    let mut columns = vec![Column::new(cols::features::TRACK_ID.into(), kept_ids)];
    columns.extend(names.iter().zip(values).map(|(name, v)| Column::new(name.as_str().into(), v)));
    DataFrame::new_infer_height(columns).ctx("assembling `features` from moments")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features_of_complete_tracks;

    fn fixture_segments() -> DataFrame {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/segments.parquet");
        timbral_core::io::read_parquet(&path).unwrap()
    }

    fn assert_close(got: &DataFrame, want: &DataFrame) {
        assert_eq!(got.get_column_names(), want.get_column_names());
        assert!(got.column(cols::features::TRACK_ID).unwrap().equals(want.column(cols::features::TRACK_ID).unwrap()));
        for name in seed_feature_names() {
            let (g, w) = (got.column(&name).unwrap().f64().unwrap(), want.column(&name).unwrap().f64().unwrap());
            for (a, b) in g.iter().zip(w.iter()) {
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{name}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn moments_of_any_split_merge_to_the_features() {
        let segments = fixture_segments();
        let want = features_of_complete_tracks(segments.clone(), None, FeatureSet::Seed).unwrap();
        assert_close(&merge_moments(track_moments(segments.clone()).unwrap()).unwrap(), &want);

        // Three interleaved slices of the rows, their pieces concatenated in reverse order.
        let n = segments.height();
        let slice = |r: usize| {
            let rows: Vec<IdxSize> = (0..n).filter(|i| i % 3 == r).map(|i| i as IdxSize).collect();
            segments.take(&IdxCa::from_vec("rows".into(), rows)).unwrap()
        };
        let mut parts = track_moments(slice(2)).unwrap();
        for r in [1, 0] {
            parts.vstack_mut_owned(track_moments(slice(r)).unwrap()).unwrap();
        }
        assert_close(&merge_moments(parts).unwrap(), &want);
    }

    #[test]
    fn a_missing_column_or_empty_piece_is_named() {
        let parts = track_moments(fixture_segments()).unwrap().drop(&mean_column(3)).unwrap();
        let err = merge_moments(parts).unwrap_err().to_string();
        assert!(err.contains("mean_t3"), "{err}");
        let mut parts = track_moments(fixture_segments()).unwrap();
        parts.with_column(Column::new(COUNT.into(), vec![0i64; parts.height()])).unwrap();
        let err = merge_moments(parts).unwrap_err().to_string();
        assert!(err.contains("count"), "{err}");
    }
}
