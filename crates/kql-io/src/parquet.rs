//! Parquet tables. Columns keep a `kusto.type` tag when the file has one; otherwise the
//! declared schema or the Arrow type decides, and values are cast to the Kusto Arrow type.

use crate::error::LoadError;
use crate::json::{LoadedTable, Skipped};
use crate::schema::TableSchema;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use kql_types::KType;
use std::path::Path;
use std::sync::Arc;

pub fn load_parquet(
    path: &Path,
    declared: Option<&TableSchema>,
) -> Result<Vec<LoadedTable>, LoadError> {
    let err = |e: &dyn std::fmt::Display| LoadError::new(path, e.to_string());
    let file = std::fs::File::open(path).map_err(|e| err(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(&e))?
        .build()
        .map_err(|e| err(&e))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(&e))?;
        out.push(to_kusto_types(&batch, declared).map_err(|e| err(&e))?);
    }
    Ok(out)
}

fn to_kusto_types(
    batch: &RecordBatch,
    declared: Option<&TableSchema>,
) -> Result<LoadedTable, datafusion::arrow::error::ArrowError> {
    let mut columns = Vec::new();
    let mut arrays = Vec::new();
    let mut extra_columns = Vec::new();
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let ty = match declared {
            Some(s) => s.column_type(field.name()).unwrap_or_else(|| {
                extra_columns.push(field.name().clone());
                KType::of_field(field)
            }),
            None => KType::of_field(field),
        };
        arrays.push(cast(array, &ty.arrow_type())?);
        columns.push((field.name().clone(), ty));
    }
    // Declared columns the file lacks: empty strings for strings, nulls otherwise.
    if let Some(s) = declared {
        for (name, ty) in &s.columns {
            if columns.iter().any(|(n, _)| n == name) {
                continue;
            }
            let n = batch.num_rows();
            let array: datafusion::arrow::array::ArrayRef = if *ty == KType::String {
                Arc::new(datafusion::arrow::array::StringArray::from(vec![""; n]))
            } else {
                datafusion::arrow::array::new_null_array(&ty.arrow_type(), n)
            };
            arrays.push(array);
            columns.push((name.clone(), *ty));
        }
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| t.field(n.clone()))
            .collect::<Vec<_>>(),
    ));
    Ok(LoadedTable {
        batch: RecordBatch::try_new(schema, arrays)?,
        columns,
        extra_columns,
        nulled: Vec::new(),
        skipped: Skipped::default(),
    })
}
