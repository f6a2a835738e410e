//! Parquet tables. Files whose every column carries a `kusto.type` tag with its Kusto
//! Arrow type (what `kql convert` writes) stay on disk: each query reads only the columns
//! and row groups it needs. Other files are read whole: the declared schema or the Arrow
//! type decides each column's Kusto type, and values are cast to it.

use crate::decode::{JSON_WHITESPACE, compact};
use crate::error::LoadError;
use crate::json::{LoadedTable, Skipped};
use crate::schema::TableSchema;
use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use kql_types::json_scan::checked_document;
use kql_types::{KType, TYPE_METADATA_KEY};
use std::path::Path;
use std::sync::Arc;

/// A table over typed Parquet files read as queries need them, or `None` when the files
/// are not all typed alike (or the declared schema says otherwise): then `load_parquet`.
pub fn parquet_table(
    files: &[std::path::PathBuf],
    declared: Option<&TableSchema>,
) -> Result<Option<Arc<dyn TableProvider>>, LoadError> {
    let mut schema: Option<SchemaRef> = None;
    let mut urls = Vec::new();
    for f in files {
        let err = |e: &dyn std::fmt::Display| LoadError::new(f, e.to_string());
        let file = std::fs::File::open(f).map_err(|e| err(&e))?;
        let s = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| err(&e))?
            .schema()
            .clone();
        let typed = s.fields().iter().all(|field| {
            field.metadata().contains_key(TYPE_METADATA_KEY)
                && KType::of_field(field).arrow_type() == *field.data_type()
        });
        let as_declared = declared.is_none_or(|d| {
            d.columns.len() == s.fields().len()
                && d.columns
                    .iter()
                    .zip(s.fields())
                    .all(|((n, t), field)| n == field.name() && KType::of_field(field) == *t)
        });
        if !typed || !as_declared || schema.as_ref().is_some_and(|first| *first != s) {
            return Ok(None);
        }
        schema = Some(s);
        let full = f.canonicalize().map_err(|e| err(&e))?;
        urls.push(ListingTableUrl::parse(full.to_string_lossy()).map_err(|e| err(&e))?);
    }
    let Some(schema) = schema else {
        return Ok(None);
    };
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    let table =
        ListingTable::try_new(config).map_err(|e| LoadError::new(&files[0], e.to_string()))?;
    Ok(Some(Arc::new(table)))
}

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

/// A dynamic column as the engine stores it: each text that is JSON as compact JSON, other
/// text as a JSON string, empty text as null (what `parse_json` makes of it).
fn stored_dynamic(array: &ArrayRef) -> ArrayRef {
    let Some(texts) = array.as_string_opt::<i32>() else {
        return array.clone();
    };
    let stored: StringArray = texts
        .iter()
        .map(|t| {
            let t = t?;
            // Text around the value that JSON does not read as whitespace makes it a string.
            let json = t.trim_matches(JSON_WHITESPACE);
            if t.trim().is_empty() || json == "null" {
                return None;
            }
            Some(match checked_document(json.as_bytes()) {
                Some((_, true)) => json.to_string(),
                Some((_, false)) => compact(json).into_owned(),
                None => serde_json::Value::String(t.to_string()).to_string(),
            })
        })
        .collect();
    Arc::new(stored)
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
        let typed = cast(array, &ty.arrow_type())?;
        arrays.push(if ty == KType::Dynamic {
            stored_dynamic(&typed)
        } else {
            typed
        });
        columns.push((field.name().clone(), ty));
    }
    // Declared columns the file lacks: empty strings for strings, nulls otherwise.
    if let Some(s) = declared {
        for (name, ty) in &s.columns {
            if columns.iter().any(|(n, _)| n == name) {
                continue;
            }
            let n = batch.num_rows();
            let array: ArrayRef = if *ty == KType::String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_a_dynamic_column_is_stored_as_json() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some(r#"{"a":[1,"b"]}"#),
            Some(r#"{ "a" : 1.50 }"#),
            Some("hello"),
            Some("5"),
            Some(r#""quoted""#),
            Some(""),
            Some("null"),
            Some("\u{a0}[1]"),
            None,
        ]));
        let stored = stored_dynamic(&texts);
        let got: Vec<Option<&str>> = stored.as_string::<i32>().iter().collect();
        assert_eq!(
            got,
            [
                Some(r#"{"a":[1,"b"]}"#),
                Some(r#"{"a":1.5}"#),
                Some(r#""hello""#),
                Some("5"),
                Some(r#""quoted""#),
                None,
                None,
                Some("\"\u{a0}[1]\""),
                None
            ]
        );
    }
}
