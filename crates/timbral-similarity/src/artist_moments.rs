//! Per-artist sums that add up across partitions: the inputs of the centroid identity
//! `E|x - y|^2 = |mu_a - mu_b|^2 + tr S_a + tr S_b` that shortlists artist pairs (see
//! [`crate::artist_similarity`]). A distributed job sums [`artist_sums`] of each partition by
//! artist and turns the totals into [`Moments`] with [`moments_of_sums`].

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, Result, Table, cols};

use crate::distance::Moments;

/// Songs summed.
pub const SONGS: &str = "songs";
/// Sum of the songs' squared norms.
pub const SUM_SQ: &str = "sum_sq";

/// `sum_<column>`: the sum of `column` over the artist's songs.
pub fn sum_column(column: &str) -> String {
    format!("sum_{column}")
}

/// One row per artist of the songs in `values` (a frame with `track_id` and the vector
/// `columns`: features or embedding coordinates) that `tracks` names: `artist_id`, `songs`
/// (int64), `sum_<column>` per column and `sum_sq`, sorted by artist id. Songs missing from
/// `tracks` are an error naming the first.
pub fn artist_sums(values: &DataFrame, tracks: &DataFrame, columns: &[String]) -> Result<DataFrame> {
    for (frame, table, name) in [
        (values, "values", cols::tracks::TRACK_ID),
        (tracks, Table::Tracks.name(), cols::tracks::TRACK_ID),
        (tracks, Table::Tracks.name(), cols::tracks::ARTIST_ID),
    ]
    .into_iter()
    .chain(columns.iter().map(|c| (values, "values", c.as_str())))
    {
        if frame.column(name).is_err() {
            return Err(Error::MissingColumn { table: table.into(), column: name.into() });
        }
    }
    let artists = tracks.select([cols::tracks::TRACK_ID, cols::tracks::ARTIST_ID]).ctx("reading artists of `tracks`")?;
    let joined = values
        .clone()
        .lazy()
        .join(
            artists.lazy(),
            [col(cols::tracks::TRACK_ID)],
            [col(cols::tracks::TRACK_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .collect()
        .ctx("joining songs to their artists")?;
    let artist = joined.column(cols::tracks::ARTIST_ID).ctx("joined songs")?;
    if artist.null_count() > 0 {
        let missing = joined
            .filter(&artist.is_null())
            .ctx("finding songs without an artist")?
            .column(cols::tracks::TRACK_ID)
            .ctx("joined songs")?
            .str()
            .ctx("track_id")?
            .get(0)
            .unwrap_or_default()
            .to_string();
        return Err(Error::MissingRow {
            table: Table::Tracks.name().into(),
            key: missing,
            why: "the song has values but no row in `tracks`".into(),
        });
    }
    let as_f64 = |c: &String| col(c.as_str()).cast(DataType::Float64);
    let squares = columns.iter().map(|c| as_f64(c) * as_f64(c)).reduce(|a, b| a + b).unwrap_or_else(|| lit(0.0));
    let mut aggs = vec![len().cast(DataType::Int64).alias(SONGS)];
    aggs.extend(columns.iter().map(|c| as_f64(c).sum().alias(sum_column(c))));
    aggs.push(squares.sum().alias(SUM_SQ));
    joined
        .lazy()
        .group_by([col(cols::tracks::ARTIST_ID)])
        .agg(aggs)
        .sort([cols::tracks::ARTIST_ID], SortMultipleOptions::default())
        .collect()
        .ctx("summing songs per artist")
}

/// The mean and covariance trace of an artist from its summed row: `mu = sum / n` and
/// `tr S = sum_sq / n - |mu|^2` (clamped at 0 against rounding).
pub fn moments_of_sums(songs: i64, sums: &[f64], sum_sq: f64) -> Moments {
    let n = songs as f64;
    let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
    let trace = (sum_sq / n - mean.iter().map(|m| m * m).sum::<f64>()).max(0.0);
    Moments { mean, trace }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sums_of_parts_give_each_artists_moments() {
        let points = array![[0.0, 1.0], [2.0, 3.0], [4.0, -1.0], [10.0, 10.0]];
        let values = df!(
            cols::tracks::TRACK_ID => ["a", "b", "c", "d"],
            "x" => points.column(0).to_vec(),
            "y" => points.column(1).to_vec(),
        )
        .unwrap();
        let tracks = df!(
            cols::tracks::TRACK_ID => ["d", "c", "b", "a"],
            cols::tracks::ARTIST_ID => ["ar2", "ar1", "ar1", "ar1"],
        )
        .unwrap();
        let columns = ["x".to_string(), "y".to_string()];
        // Two partitions, summed by artist the way a Spark group-by would.
        let mut parts = artist_sums(&values.slice(0, 2), &tracks, &columns).unwrap();
        parts.vstack_mut_owned(artist_sums(&values.slice(2, 2), &tracks, &columns).unwrap()).unwrap();
        let total = parts
            .lazy()
            .group_by([col(cols::tracks::ARTIST_ID)])
            .agg([col(SONGS).sum(), col("sum_x").sum(), col("sum_y").sum(), col(SUM_SQ).sum()])
            .sort([cols::tracks::ARTIST_ID], SortMultipleOptions::default())
            .collect()
            .unwrap();
        let f = |name: &str, row: usize| total.column(name).unwrap().f64().unwrap().get(row).unwrap();
        let songs = total.column(SONGS).unwrap().i64().unwrap().get(0).unwrap();
        let got = moments_of_sums(songs, &[f("sum_x", 0), f("sum_y", 0)], f(SUM_SQ, 0));
        let want = Moments::of(&points, &[0, 1, 2]);
        assert_eq!(songs, 3);
        assert!(got.mean.iter().zip(&want.mean).all(|(a, b)| (a - b).abs() < 1e-12));
        assert!((got.trace - want.trace).abs() < 1e-12, "{} vs {}", got.trace, want.trace);
    }

    #[test]
    fn a_song_without_an_artist_or_a_missing_column_is_named() {
        let values = df!(cols::tracks::TRACK_ID => ["a", "zz"], "x" => [1.0, 2.0]).unwrap();
        let tracks = df!(cols::tracks::TRACK_ID => ["a"], cols::tracks::ARTIST_ID => ["ar"]).unwrap();
        let err = artist_sums(&values, &tracks, &["x".to_string()]).unwrap_err().to_string();
        assert!(err.contains("zz"), "{err}");
        let err = artist_sums(&values, &tracks, &["nope".to_string()]).unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
