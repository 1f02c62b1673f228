//! Moving numeric columns between Polars frames and `ndarray` matrices.

use ndarray::Array2;
use polars::prelude::*;

use crate::error::{Error, PolarsContext, Result};

/// Copies `columns` of `frame` into a row-major `n_rows x columns.len()` matrix of f64.
/// Fails naming the table and column on a missing column or a null value.
pub fn to_matrix(frame: &DataFrame, table: &str, columns: &[String]) -> Result<Array2<f64>> {
    let (rows, width) = (frame.height(), columns.len());
    let mut data = vec![0.0f64; rows * width];
    for (j, name) in columns.iter().enumerate() {
        let column = frame.column(name).map_err(|_| Error::MissingColumn {
            table: table.to_string(),
            column: name.clone(),
        })?;
        let values = column
            .cast(&DataType::Float64)
            .ctx(format!("table `{table}` column `{name}`"))?;
        let values = values.f64().ctx(format!("table `{table}` column `{name}`"))?;
        for (i, v) in values.iter().enumerate() {
            data[i * width + j] = v.ok_or_else(|| Error::InvalidValue {
                table: table.to_string(),
                column: name.clone(),
                why: format!("null in row {i}"),
            })?;
        }
    }
    Ok(Array2::from_shape_vec((rows, width), data).expect("shape matches data length"))
}

/// The string column `name` as owned strings, failing on nulls.
pub fn strings(frame: &DataFrame, table: &str, name: &str) -> Result<Vec<String>> {
    let column = frame.column(name).map_err(|_| Error::MissingColumn {
        table: table.to_string(),
        column: name.to_string(),
    })?;
    let values = column.str().ctx(format!("table `{table}` column `{name}`"))?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.map(str::to_string).ok_or_else(|| Error::InvalidValue {
                table: table.to_string(),
                column: name.to_string(),
                why: format!("null in row {i}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_row_major() {
        let frame = df!("a" => [1.0f64, 2.0], "b" => [3.0f32, 4.0]).unwrap();
        let m = to_matrix(&frame, "t", &["a".into(), "b".into()]).unwrap();
        assert_eq!(m, ndarray::array![[1.0, 3.0], [2.0, 4.0]]);
        let err = to_matrix(&frame, "t", &["c".into()]).unwrap_err().to_string();
        assert!(err.contains("`c`"));
    }
}
