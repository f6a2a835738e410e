//! JSON tables in the shapes exports come in: newline-delimited objects, an array of
//! objects, the Log Analytics query API response, and the Defender Advanced Hunting API
//! response.

use crate::columns::build_batch;
use crate::error::LoadError;
use crate::infer::infer_columns;
use crate::schema::TableSchema;
use datafusion::arrow::record_batch::RecordBatch;
use kql_types::KType;
use serde_json::{Map, Value};
use std::path::Path;

pub type Row = Map<String, Value>;

/// A table read from a file, typed by its declared schema or by inference.
#[derive(Debug)]
pub struct LoadedTable {
    pub batch: RecordBatch,
    pub columns: Vec<(String, KType)>,
    /// Fields of the data that the declared schema lacks (kept as extra columns).
    pub extra_columns: Vec<String>,
}

/// Loads a JSON file. With `declared`, columns get the declared types (missing ones are
/// null/empty, unknown fields are appended with inferred types).
pub fn load_json(path: &Path, declared: Option<&TableSchema>) -> Result<LoadedTable, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::new(path, e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        LoadError::new(path, format!("invalid UTF-8 ({e})")).at(line, 1)
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (rows, typed) =
        parse_rows(text).map_err(|(msg, line, col)| LoadError::new(path, msg).at(line, col))?;
    let mut columns: Vec<(String, KType)> = Vec::new();
    let mut extra_columns = Vec::new();
    let inferred = infer_columns(&rows);
    match declared {
        Some(schema) => {
            columns = schema.columns.clone();
            for (name, ty) in inferred {
                if schema.column_type(&name).is_none() {
                    extra_columns.push(name.clone());
                    columns.push((name, ty));
                }
            }
        }
        None => {
            for (name, ty) in inferred {
                let ty = typed
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(ty, |(_, t)| *t);
                columns.push((name, ty));
            }
        }
    }
    let batch = build_batch(&rows, &columns).map_err(|e| LoadError::new(path, e))?;
    Ok(LoadedTable {
        batch,
        columns,
        extra_columns,
    })
}

type ParseError = (String, usize, usize);

/// Rows, and the column types the file itself declares.
type Parsed = (Vec<Row>, Vec<(String, KType)>);

/// The rows of the text, and column types the file itself declares (API responses).
fn parse_rows(text: &str) -> Result<Parsed, ParseError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    if trimmed.starts_with('[') {
        let v: Value =
            serde_json::from_str(text).map_err(|e| (e.to_string(), e.line(), e.column()))?;
        return Ok((objects(v)?, Vec::new()));
    }
    // A single document that is an API response, or NDJSON.
    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) {
        if obj.contains_key("tables") {
            return log_analytics(obj);
        }
        if obj.contains_key("Results") {
            return advanced_hunting(obj);
        }
        return Ok((vec![obj], Vec::new()));
    }
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => rows.push(o),
            Ok(_) => return Err(("expected a JSON object on each line".into(), i + 1, 1)),
            Err(e) => return Err((e.to_string(), i + 1, e.column())),
        }
    }
    Ok((rows, Vec::new()))
}

fn objects(v: Value) -> Result<Vec<Row>, ParseError> {
    let Value::Array(items) = v else {
        return Err(("expected an array of objects".into(), 1, 1));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(o) => Ok(o),
            _ => Err((format!("element {i} of the array is not an object"), 1, 1)),
        })
        .collect()
}

fn declared_type(t: Option<&Value>) -> KType {
    t.and_then(Value::as_str)
        .and_then(|n| KType::from_name(&n.to_ascii_lowercase()))
        .unwrap_or(KType::String)
}

/// `{"tables":[{"name","columns":[{"name","type"}],"rows":[[...]]}]}`: the first table.
fn log_analytics(obj: Row) -> Result<Parsed, ParseError> {
    let bad = |m: &str| (format!("Log Analytics response: {m}"), 1, 1);
    let table = obj
        .get("tables")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .ok_or_else(|| bad("no tables"))?;
    let cols: Vec<(String, KType)> = table
        .get("columns")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no columns"))?
        .iter()
        .map(|c| {
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (
                name,
                declared_type(c.get("type").or_else(|| c.get("ColumnType"))),
            )
        })
        .collect();
    let mut rows = Vec::new();
    for r in table
        .get("rows")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no rows"))?
    {
        let values = r.as_array().ok_or_else(|| bad("a row is not an array"))?;
        rows.push(
            cols.iter()
                .map(|(n, _)| n.clone())
                .zip(values.iter().cloned())
                .collect(),
        );
    }
    Ok((rows, cols))
}

/// `{"Schema":[{"Name","Type"}],"Results":[{...}]}`.
fn advanced_hunting(obj: Row) -> Result<Parsed, ParseError> {
    let cols: Vec<(String, KType)> = obj
        .get("Schema")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .map(|c| {
                    let name = c
                        .get("Name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let ty = c
                        .get("Type")
                        .and_then(Value::as_str)
                        .map(ah_type)
                        .unwrap_or(KType::String);
                    (name, ty)
                })
                .collect()
        })
        .unwrap_or_default();
    let rows = objects(
        obj.get("Results")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    )?;
    Ok((rows, cols))
}

/// Advanced Hunting reports .NET type names (`DateTime`, `Int64`, `Object`, ...).
fn ah_type(name: &str) -> KType {
    match name {
        "DateTime" => KType::Datetime,
        "Int64" => KType::Long,
        "Int32" => KType::Int,
        "Double" | "Single" => KType::Real,
        "Boolean" => KType::Bool,
        "Object" | "Dynamic" => KType::Dynamic,
        "TimeSpan" => KType::Timespan,
        "Guid" => KType::Guid,
        other => KType::from_name(&other.to_ascii_lowercase()).unwrap_or(KType::String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_detected() {
        let (rows, _) = parse_rows("{\"a\":1}\n{\"a\":2}\r\n").unwrap();
        assert_eq!(rows.len(), 2);
        let (rows, _) = parse_rows("[{\"a\":1},{\"a\":2},{\"a\":3}]").unwrap();
        assert_eq!(rows.len(), 3);
        let la = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"long"}],"rows":[[1],[2]]}]}"#;
        let (rows, cols) = parse_rows(la).unwrap();
        assert_eq!((rows.len(), cols[0].1), (2, KType::Long));
        let ah = r#"{"Schema":[{"Name":"T","Type":"DateTime"}],"Results":[{"T":"2021-01-01T00:00:00Z"}]}"#;
        let (rows, cols) = parse_rows(ah).unwrap();
        assert_eq!((rows.len(), cols[0].1), (1, KType::Datetime));
    }

    #[test]
    fn bad_line_is_located() {
        let err = parse_rows("{\"a\":1}\n{\"a\":\n{\"a\":3}").unwrap_err();
        assert_eq!(err.1, 2);
    }
}
