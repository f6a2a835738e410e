//! CSV tables: a header row, then values. Cells are typed like JSON strings: by the declared
//! schema, else by inference from their text.

use crate::columns::build_batch;
use crate::error::LoadError;
use crate::infer::infer_text_columns;
use crate::json::{LoadedTable, OnError, Row, Skipped};
use crate::schema::TableSchema;
use serde_json::Value;
use std::path::Path;

/// Loads a CSV file whose first row names the columns.
pub fn load_csv(
    path: &Path,
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> Result<LoadedTable, LoadError> {
    read_csv(path, Header::Named, declared, on_error)
}

/// Loads a CSV file whose columns are the declared ones, in order (as `externaldata` reads
/// them); with `skip_header`, its first row is a header and is skipped.
pub fn load_csv_positional(
    path: &Path,
    declared: &TableSchema,
    skip_header: bool,
    on_error: OnError,
) -> Result<LoadedTable, LoadError> {
    let header = if skip_header {
        Header::Skipped
    } else {
        Header::Absent
    };
    read_csv(path, header, Some(declared), on_error)
}

/// What the first row of a CSV file is.
enum Header {
    /// The column names.
    Named,
    /// A header to skip; the declared columns name the values by position.
    Skipped,
    /// Data; the declared columns name the values by position.
    Absent,
}

fn read_csv(
    path: &Path,
    header: Header,
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> Result<LoadedTable, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .has_headers(!matches!(header, Header::Absent))
        .from_path(path)
        .map_err(|e| LoadError::new(path, e.to_string()))?;
    let located = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line() as usize);
        LoadError::new(path, e.to_string()).at(line, 1)
    };
    let headers: Vec<String> = match (header, declared) {
        (Header::Named, _) | (_, None) => reader
            .headers()
            .map_err(located)?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect(),
        (Header::Skipped | Header::Absent, Some(schema)) => {
            schema.columns.iter().map(|(n, _)| n.clone()).collect()
        }
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut skipped = Skipped::default();
    for record in reader.records() {
        let record = match (record, on_error) {
            (Ok(r), _) => r,
            (Err(e), OnError::Fail) => return Err(located(e)),
            (Err(e), OnError::Skip) => {
                skipped.count += 1;
                skipped.first.get_or_insert_with(|| located(e));
                continue;
            }
        };
        rows.push(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| {
                    let v = if v.is_empty() {
                        Value::Null
                    } else {
                        Value::String(v.to_string())
                    };
                    (h.clone(), v)
                })
                .collect(),
        );
    }
    let inferred = infer_text_columns(&headers, &rows);
    let mut extra_columns = Vec::new();
    let columns = match declared {
        Some(schema) => {
            let mut cols = schema.columns.clone();
            for (name, ty) in inferred {
                if schema.column_type(&name).is_none() {
                    extra_columns.push(name.clone());
                    cols.push((name, ty));
                }
            }
            cols
        }
        None => inferred,
    };
    let built = build_batch(&rows, &columns).map_err(|e| LoadError::new(path, e))?;
    Ok(LoadedTable {
        batch: built.batch,
        columns,
        extra_columns,
        nulled: built.nulled,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kql_types::KType;

    #[test]
    fn csv_cells_are_typed_by_inference() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("T.csv");
        std::fs::write(&p, "n,x,b,t,d,s\n1,1.5,true,2024-01-01T00:00:00Z,\"{\"\"a\"\":1}\",hi\n2,,false,2024-01-02T00:00:00Z,[1],\n").unwrap();
        let t = load_csv(&p, None, OnError::Fail).unwrap();
        let types: Vec<KType> = t.columns.iter().map(|(_, t)| *t).collect();
        assert_eq!(
            types,
            [
                KType::Long,
                KType::Real,
                KType::Bool,
                KType::Datetime,
                KType::Dynamic,
                KType::String
            ]
        );
        assert_eq!(t.batch.num_rows(), 2);
    }

    #[test]
    fn a_ragged_row_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("T.csv");
        std::fs::write(&p, "a,b\n1,2\n3\n").unwrap();
        let err = load_csv(&p, None, OnError::Fail).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let t = load_csv(&p, None, OnError::Skip).unwrap();
        assert_eq!((t.batch.num_rows(), t.skipped.count), (1, 1));
    }
}
