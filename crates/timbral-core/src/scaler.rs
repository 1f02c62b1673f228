//! Z-score standardisation (scikit-learn's `StandardScaler`: population standard deviation,
//! and a scale of 1 for a constant column so it becomes all zeros rather than NaN), fitted by
//! the cluster stage and stored in the `scaler` table, which placement and the feature-space
//! similarity read back through [`Scaler::read`].

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::matrix::{strings, to_matrix};
use crate::{Error, Result, Table, Workdir, cols};

/// Per-feature mean and scale, as stored in the `scaler` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    pub features: Vec<String>,
    pub mean: Array1<f64>,
    /// Population standard deviation, or 1 where it is zero.
    pub std: Array1<f64>,
}

impl Scaler {
    /// Learns mean and scale of each column of `data` (rows are songs).
    pub fn fit(features: Vec<String>, data: ArrayView2<f64>) -> Scaler {
        let n = data.nrows().max(1) as f64;
        let mean = data.sum_axis(Axis(0)) / n;
        let mut std = Array1::zeros(data.ncols());
        for (j, column) in data.axis_iter(Axis(1)).enumerate() {
            let m = mean[j];
            let var = column.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
            std[j] = if var > 0.0 { var.sqrt() } else { 1.0 };
        }
        Scaler { features, mean, std }
    }

    /// The scaler that changes nothing: mean 0 and scale 1 for every feature.
    pub fn identity(features: Vec<String>) -> Scaler {
        let n = features.len();
        Scaler { features, mean: Array1::zeros(n), std: Array1::ones(n) }
    }

    /// Standardises `data` with the learned parameters.
    pub fn transform(&self, data: ArrayView2<f64>) -> Array2<f64> {
        let mut out = data.to_owned();
        for mut row in out.rows_mut() {
            row -= &self.mean;
            row /= &self.std;
        }
        out
    }

    /// The scaler the cluster stage stored in `scaler`.
    pub fn read(workdir: &Workdir) -> Result<Scaler> {
        let frame = workdir.read_table(Table::Scaler)?;
        let table = Table::Scaler.name();
        let features = strings(&frame, table, cols::scaler::FEATURE)?;
        let moments = to_matrix(&frame, table, &[cols::scaler::MEAN.into(), cols::scaler::STD.into()])?;
        // A zero or non-finite stored std (a constant feature) divides by 1.
        let std = moments.column(1).mapv(|s| if s.is_finite() && s > 0.0 { s } else { 1.0 });
        Ok(Scaler { features, mean: moments.column(0).to_owned(), std })
    }

    /// Standardises `data`, whose columns are the features `names` in any order of the
    /// scaler's; a name the scaler lacks is an error naming it.
    pub fn transform_named(&self, data: ArrayView2<f64>, names: &[String]) -> Result<Array2<f64>> {
        let row: HashMap<&str, usize> = self.features.iter().enumerate().map(|(i, f)| (f.as_str(), i)).collect();
        let mut out = data.to_owned();
        for (j, name) in names.iter().enumerate() {
            let &r = row.get(name.as_str()).ok_or_else(|| Error::MissingRow {
                table: Table::Scaler.name().into(),
                key: name.clone(),
                why: "the feature was not in the fitted scaler; rerun `timbral cluster`".into(),
            })?;
            let (mean, std) = (self.mean[r], self.std[r]);
            out.column_mut(j).mapv_inplace(|v| (v - mean) / std);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardised_columns_have_zero_mean_unit_variance_and_constants_become_zero() {
        let data = array![[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]];
        let scaler = Scaler::fit(vec!["a".into(), "b".into()], data.view());
        let z = scaler.transform(data.view());
        assert_eq!(scaler.std[1], 1.0);
        assert!((z.column(0).sum()).abs() < 1e-12);
        assert!((z.column(0).mapv(|v| v * v).sum() / 3.0 - 1.0).abs() < 1e-12);
        assert!(z.column(1).iter().all(|&v| v == 0.0));
    }
}
