//! Frames in and out through the Arrow C stream interface (the `__arrow_c_stream__` PyCapsule
//! protocol), on Polars' own Arrow implementation, so pyarrow, polars and pandas data cross
//! without a second Arrow stack in the module.

use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field as ArrowField};
use polars_arrow::ffi::{ArrowArrayStream, ArrowArrayStreamReader, export_iterator};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::TimbralError;

/// A table returned to Python: any Arrow consumer reads it through `__arrow_c_stream__`
/// (`pyarrow.table(t)`, `polars.DataFrame(t)`), as often as it likes.
#[pyclass(frozen, module = "timbral._timbral")]
pub struct Table {
    pub frame: DataFrame,
}

#[pymethods]
impl Table {
    /// Exports the rows as an Arrow C stream of record batches. Strings and lists use the
    /// classic (non-view) layouts, which every consumer, Spark's included, reads.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = export_stream(&self.frame);
        PyCapsule::new(py, stream, Some(c"arrow_array_stream".to_owned()))
    }

    fn __len__(&self) -> usize {
        self.frame.height()
    }

    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.frame.get_column_names().into_iter().map(|n| n.to_string()).collect()
    }
}

fn export_stream(frame: &DataFrame) -> ArrowArrayStream {
    let compat = CompatLevel::oldest();
    let fields: Vec<ArrowField> = frame
        .columns()
        .iter()
        .map(|c| c.field().to_arrow(compat))
        .collect();
    let dtype = ArrowDataType::Struct(fields);
    let mut frame = frame.clone();
    frame.rechunk_mut();
    let batch_type = dtype.clone();
    let batches: Vec<PolarsResult<Box<dyn Array>>> = frame
        .iter_chunks(compat, true)
        .map(move |batch| {
            let len = batch.len();
            Ok(StructArray::new(batch_type.clone(), len, batch.into_arrays(), None).boxed())
        })
        .collect();
    export_iterator(Box::new(batches.into_iter()), ArrowField::new("".into(), dtype, false))
}

/// Reads `object` (anything with `__arrow_c_stream__`) into a frame; `what` names the argument
/// in errors.
pub fn import_frame(object: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    if !object.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "`{what}`: expected Arrow data (a pyarrow Table, polars or pandas DataFrame: an object \
             with __arrow_c_stream__), got {}",
            object.get_type().name()?
        )));
    }
    let capsule = object.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast_into::<PyCapsule>().map_err(|e| PyTypeError::new_err(format!("`{what}`: {e}")))?;
    let pointer = capsule
        .pointer_checked(Some(c"arrow_array_stream"))
        .map_err(|e| PyTypeError::new_err(format!("`{what}`: not an Arrow stream capsule: {e}")))?;
    // The consumer moves the stream out of the capsule and leaves a released one behind.
    let stream = unsafe { std::ptr::replace(pointer.as_ptr() as *mut ArrowArrayStream, ArrowArrayStream::empty()) };
    read_stream(stream).map_err(|e| TimbralError::new_err(format!("`{what}`: {e}")))
}

fn read_stream(stream: ArrowArrayStream) -> PolarsResult<DataFrame> {
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream))? };
    let ArrowDataType::Struct(fields) = reader.field().dtype().clone() else {
        polars_bail!(ComputeError: "the Arrow stream does not carry record batches (a struct type)");
    };
    let arrow_schema: ArrowSchema = fields.iter().cloned().map(|f| (f.name.clone(), f)).collect();
    let schema = Schema::from_arrow_schema(&arrow_schema);
    let mut frame = DataFrame::empty_with_schema(&schema);
    while let Some(array) = unsafe { reader.next() } {
        let array = array?;
        let Some(batch) = array.as_any().downcast_ref::<StructArray>() else {
            polars_bail!(ComputeError: "a batch of the Arrow stream is not a struct array");
        };
        let columns = fields
            .iter()
            .zip(batch.values())
            .map(|(field, values)| Series::from_arrow(field.name.clone(), values.clone()).map(Column::from))
            .collect::<PolarsResult<Vec<_>>>()?;
        frame.vstack_mut_owned(DataFrame::new_infer_height(columns)?)?;
    }
    frame.rechunk_mut();
    Ok(frame)
}
