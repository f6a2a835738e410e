//! JSON tables in the shapes exports come in: newline-delimited objects, an array of
//! objects, the Log Analytics query API response, and the Defender Advanced Hunting API
//! response.

use crate::columns::build_batch;
use crate::error::LoadError;
use crate::infer::infer_columns;
use crate::line_blocks::reading_threads;
use crate::ndjson_line::serde_message as message;
use crate::schema::TableSchema;
use datafusion::arrow::record_batch::RecordBatch;
use kql_types::KType;
use serde_json::{Map, Value};
use std::path::Path;

pub type Row = Map<String, Value>;

/// What a loader does with a line it cannot read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop the load with the file, line and column of the problem.
    #[default]
    Fail,
    /// Skip the line and count it (newline-delimited files and CSV rows).
    Skip,
}

/// A table read from a file, typed by its declared schema or by inference.
#[derive(Debug)]
pub struct LoadedTable {
    pub batch: RecordBatch,
    pub columns: Vec<(String, KType)>,
    /// Fields of the data that the declared schema lacks (kept as extra columns).
    pub extra_columns: Vec<String>,
    /// Per column, how many values did not fit its type and were nulled (only nonzero).
    pub nulled: Vec<(String, usize)>,
    /// Malformed lines skipped under `OnError::Skip`.
    pub skipped: Skipped,
}

/// Lines a load skipped: how many, and the first one's problem.
#[derive(Debug, Default)]
pub struct Skipped {
    pub count: usize,
    pub first: Option<LoadError>,
}

/// Loads a JSON file. With `declared`, columns get the declared types (missing ones are
/// null/empty, unknown fields are appended with inferred types).
pub fn load_json(
    path: &Path,
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> Result<LoadedTable, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::new(path, e.to_string()))?;
    json_from_bytes(path, &bytes, declared, on_error)
}

/// Loads JSON from bytes; `path` names them in errors.
pub fn json_from_bytes(
    path: &Path,
    bytes: &[u8],
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> Result<LoadedTable, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let parsed = parse_rows(bytes, on_error)
        .map_err(|(msg, line, col)| LoadError::new(path, msg).at(line, col))?;
    let mut columns: Vec<(String, KType)> = Vec::new();
    let mut extra_columns = Vec::new();
    let inferred = infer_columns(&parsed.rows);
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
                let ty = parsed
                    .typed
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(ty, |(_, t)| *t);
                columns.push((name, ty));
            }
        }
    }
    let built = build_batch(&parsed.rows, &columns).map_err(|e| LoadError::new(path, e))?;
    let skipped = Skipped {
        count: parsed.skipped.len(),
        first: parsed
            .skipped
            .into_iter()
            .next()
            .map(|(msg, line, col)| LoadError::new(path, msg).at(line, col)),
    };
    Ok(LoadedTable {
        batch: built.batch,
        columns,
        extra_columns,
        nulled: built.nulled,
        skipped,
    })
}

/// A problem and its 1-based line and column.
type ParseError = (String, usize, usize);

/// What a file held: rows, the column types the file itself declares (API responses), and
/// the lines skipped as malformed.
#[derive(Default)]
struct Parsed {
    rows: Vec<Row>,
    typed: Vec<(String, KType)>,
    skipped: Vec<ParseError>,
}

/// The rows of the text: an array of objects, an API response, one object, or one object
/// per line.
fn parse_rows(bytes: &[u8], on_error: OnError) -> Result<Parsed, ParseError> {
    let Some(first) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(Parsed::default());
    };
    let located = |e: serde_json::Error| (message(&e), e.line(), e.column());
    if bytes[first] == b'[' {
        let v: Value = serde_json::from_slice(bytes).map_err(located)?;
        return Ok(Parsed {
            rows: objects(v)?,
            ..Parsed::default()
        });
    }
    // A single document that is an API response or one object, or NDJSON.
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(bytes) {
        if obj.contains_key("tables") {
            return log_analytics(obj);
        }
        if obj.contains_key("Results") {
            return advanced_hunting(obj);
        }
        return Ok(Parsed {
            rows: vec![obj],
            ..Parsed::default()
        });
    }
    parse_lines(bytes, on_error)
}

/// Newline-delimited objects, parsed on every core: the text is cut at line ends into one
/// chunk per thread, and the chunks' rows, skipped lines and first error come back in file
/// order with file line numbers.
fn parse_lines(bytes: &[u8], on_error: OnError) -> Result<Parsed, ParseError> {
    let threads = reading_threads(bytes.len() as u64);
    let mut chunks = Vec::with_capacity(threads);
    let mut start = 0;
    for t in 1..=threads {
        let mut end = if t == threads {
            bytes.len()
        } else {
            (bytes.len() * t / threads).max(start)
        };
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        chunks.push(&bytes[start..end]);
        start = end;
    }
    let results: Vec<Chunk> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| s.spawn(move || parse_chunk(chunk, on_error)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Chunk {
                    error: Some(("a loader thread failed".into(), 1, 1)),
                    ..Chunk::default()
                })
            })
            .collect()
    });
    let mut parsed = Parsed::default();
    let mut lines_before = 0;
    for chunk in results {
        let shift = |(msg, line, col): ParseError| (msg, line + lines_before, col);
        if let Some(e) = chunk.error {
            return Err(shift(e));
        }
        parsed.rows.extend(chunk.rows);
        parsed.skipped.extend(chunk.skipped.into_iter().map(shift));
        lines_before += chunk.lines;
    }
    Ok(parsed)
}

/// One chunk's rows, skipped lines and first error (line numbers within the chunk), and
/// how many lines it holds.
#[derive(Default)]
struct Chunk {
    rows: Vec<Row>,
    skipped: Vec<ParseError>,
    error: Option<ParseError>,
    lines: usize,
}

fn parse_chunk(bytes: &[u8], on_error: OnError) -> Chunk {
    let mut chunk = Chunk::default();
    let mut pieces = bytes.split(|b| *b == b'\n').enumerate().peekable();
    while let Some((i, line)) = pieces.next() {
        // The piece after a final line end is not a line of its own.
        if pieces.peek().is_some() || !line.is_empty() {
            chunk.lines = i + 1;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row = match std::str::from_utf8(line) {
            Err(e) => Err(("invalid UTF-8".to_string(), i + 1, e.valid_up_to() + 1)),
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) => Ok(o),
                Ok(_) => Err(("expected a JSON object on each line".to_string(), i + 1, 1)),
                Err(e) => Err((message(&e), i + 1, e.column())),
            },
        };
        match (row, on_error) {
            (Ok(o), _) => chunk.rows.push(o),
            (Err(e), OnError::Fail) => {
                chunk.error = Some(e);
                return chunk;
            }
            (Err(e), OnError::Skip) => chunk.skipped.push(e),
        }
    }
    chunk
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
    Ok(Parsed {
        rows,
        typed: cols,
        skipped: Vec::new(),
    })
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
    Ok(Parsed {
        rows,
        typed: cols,
        skipped: Vec::new(),
    })
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

    fn rows(text: &str) -> Parsed {
        parse_rows(text.as_bytes(), OnError::Fail).unwrap()
    }

    #[test]
    fn large_files_are_read_in_parallel_with_file_line_numbers() {
        // Over PARALLEL_BYTES, so the lines are cut into chunks read by several threads.
        let mut text = String::new();
        for i in 0..60_000 {
            text.push_str(&format!("{{\"n\":{i},\"s\":\"row {i}\"}}\n"));
        }
        assert!(text.len() as u64 > crate::line_blocks::PARALLEL_BYTES);
        let all = parse_rows(text.as_bytes(), OnError::Fail).unwrap();
        assert_eq!(all.rows.len(), 60_000);
        let last = all
            .rows
            .last()
            .and_then(|r| r.get("n"))
            .and_then(Value::as_i64);
        assert_eq!(last, Some(59_999), "rows keep their order");
        text.push_str("{\"n\": oops}\n{\"n\":1}\n");
        let Err((_, line, col)) = parse_rows(text.as_bytes(), OnError::Fail) else {
            panic!("a bad line must fail the load");
        };
        assert_eq!((line, col), (60_001, 7));
        let skipping = parse_rows(text.as_bytes(), OnError::Skip).unwrap();
        assert_eq!((skipping.rows.len(), skipping.skipped.len()), (60_001, 1));
        assert_eq!(skipping.skipped[0].1, 60_001);
    }

    #[test]
    fn shapes_are_detected() {
        assert_eq!(rows("{\"a\":1}\n{\"a\":2}\r\n").rows.len(), 2);
        assert_eq!(rows("[{\"a\":1},{\"a\":2},{\"a\":3}]").rows.len(), 3);
        let la = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"long"}],"rows":[[1],[2]]}]}"#;
        let p = rows(la);
        assert_eq!((p.rows.len(), p.typed[0].1), (2, KType::Long));
        let ah = r#"{"Schema":[{"Name":"T","Type":"DateTime"}],"Results":[{"T":"2021-01-01T00:00:00Z"}]}"#;
        let p = rows(ah);
        assert_eq!((p.rows.len(), p.typed[0].1), (1, KType::Datetime));
    }

    #[test]
    fn bad_line_is_located() {
        let text = b"{\"a\":1}\n{\"a\":\n{\"a\":3}";
        let err = parse_rows(text, OnError::Fail).err().unwrap();
        assert_eq!(
            (err.0.as_str(), err.1, err.2),
            ("EOF while parsing a value", 2, 5)
        );
        let text = b"{\"a\":1}\n{\"a\":\"\xff\"}\n{\"a\":3}";
        let err = parse_rows(text, OnError::Fail).err().unwrap();
        assert_eq!((err.0.as_str(), err.1, err.2), ("invalid UTF-8", 2, 7));
    }

    #[test]
    fn skipping_counts_the_bad_lines() {
        let text = b"{\"a\":1}\n{\"a\":\n[1]\n{\"a\":\"\xff\"}\n{\"a\":3}";
        let p = parse_rows(text, OnError::Skip).unwrap();
        assert_eq!(p.rows.len(), 2);
        let lines: Vec<usize> = p.skipped.iter().map(|e| e.1).collect();
        assert_eq!(lines, [2, 3, 4]);
    }
}
