//! Transforms of the 90 raw seed features (12 timbre means, then the upper triangle of the
//! 12x12 covariance, `t{i}_t{j}` for `i <= j`, in [`seed_feature_names`] order) into vector
//! spaces compared by euclidean distance.
//!
//! [`seed_feature_names`]: timbral_core::contract::seed_feature_names

use ndarray::{Array2, ArrayView2, Axis};

/// Timbre coefficients per segment.
pub const DIMS: usize = 12;

/// The position of covariance entry `(i, j)`, `i <= j`, among the 90 seed features.
pub fn covariance_index(i: usize, j: usize) -> usize {
    let (i, j) = (i.min(j), i.max(j));
    DIMS + j * (j + 1) / 2 + i
}

/// Each column to mean 0 and (population) standard deviation 1; a constant column becomes 0.
pub fn zscore(x: &Array2<f64>) -> Array2<f64> {
    let mut out = x.clone();
    for mut column in out.axis_iter_mut(Axis(1)) {
        let n = column.len() as f64;
        let mean = column.sum() / n;
        let sd = (column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        column.mapv_inplace(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 });
    }
    out
}

/// `signed-root`: the covariance entries through `sign(x) sqrt(|x|)`, means unchanged, then
/// z-scored. The root compresses the heavy tails of the covariance entries (a few loud,
/// varied songs otherwise dominate the distance), the power normalisation of Perronnin et al.
/// (2010) for second-order descriptors.
pub fn signed_root(raw: ArrayView2<f64>) -> Array2<f64> {
    let mut out = raw.to_owned();
    out.slice_mut(ndarray::s![.., DIMS..])
        .mapv_inplace(|v| v.signum() * v.abs().sqrt());
    zscore(&out)
}

/// `corr-logvar`: the 12 means, the 12 log-variances and the 66 correlations
/// `cov_ij / sqrt(var_i var_j)` (`i < j`), z-scored: scale (log-variance) separated from
/// shape (correlation), each bounded or log-compressed. Variances are floored at 1e-12.
pub fn corr_logvar(raw: ArrayView2<f64>) -> Array2<f64> {
    let n = raw.nrows();
    let mut out = Array2::zeros((n, DIMS + DIMS + DIMS * (DIMS - 1) / 2));
    for (r, row) in raw.axis_iter(Axis(0)).enumerate() {
        let var: Vec<f64> = (0..DIMS).map(|i| row[covariance_index(i, i)].max(1e-12)).collect();
        let mut c = 0;
        for i in 0..DIMS {
            out[[r, c]] = row[i];
            out[[r, DIMS + i]] = var[i].ln();
            c += 1;
        }
        c += DIMS;
        for j in 0..DIMS {
            for i in 0..j {
                out[[r, c]] = (row[covariance_index(i, j)] / (var[i] * var[j]).sqrt()).clamp(-1.0, 1.0);
                c += 1;
            }
        }
    }
    zscore(&out)
}

/// `rank`: each column replaced by its quantile among the songs, `(rank - 1) / (n - 1)` with
/// tied values given their average rank (scipy's `rankdata(method="average")`), so every
/// column is uniform on [0, 1] whatever its tails. 0.5 for a single song.
pub fn rank_scale(x: ArrayView2<f64>) -> Array2<f64> {
    let n = x.nrows();
    let mut out = Array2::zeros(x.raw_dim());
    for (c, column) in x.axis_iter(Axis(1)).enumerate() {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| column[a].total_cmp(&column[b]));
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && column[order[end]] == column[order[start]] {
                end += 1;
            }
            // Ranks start..end (0-based) share their mean.
            let rank = (start + end - 1) as f64 / 2.0;
            for &i in &order[start..end] {
                out[[i, c]] = if n > 1 { rank / (n - 1) as f64 } else { 0.5 };
            }
            start = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbral_core::contract::{seed_feature_names, timbre_covariance_column};

    #[test]
    fn covariance_index_follows_the_seed_feature_order() {
        let names = seed_feature_names();
        for j in 0..DIMS {
            for i in 0..=j {
                assert_eq!(names[covariance_index(i, j)], timbre_covariance_column(i, j));
                assert_eq!(covariance_index(j, i), covariance_index(i, j));
            }
        }
    }

    #[test]
    fn ranks_average_ties() {
        let x = ndarray::array![[3.0], [1.0], [3.0], [2.0]];
        assert_eq!(rank_scale(x.view()).column(0).to_vec(), vec![2.5 / 3.0, 0.0, 2.5 / 3.0, 1.0 / 3.0]);
    }
}
