//! More text functions: `countof`, `extract_all`, `extractjson`, regex trimming, `tohex`,
//! base64, and wrapping a typed scalar as a dynamic value.

use crate::udf::{longs, strings, udf};
use crate::values::{json_value, type_tags};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;
use std::sync::Arc;

udf!(COUNTOF, "kql_countof", DataType::Int64, countof_body);
udf!(
    EXTRACT_ALL,
    "kql_extract_all",
    DataType::Utf8,
    extract_all_body
);
udf!(
    EXTRACTJSON,
    "kql_extractjson",
    DataType::Utf8,
    extractjson_body
);
udf!(TRIM_REGEX, "kql_trim_regex", DataType::Utf8, trim_body);
udf!(TOHEX, "kql_tohex", DataType::Utf8, tohex_body);
udf!(
    BASE64_ENCODE,
    "kql_base64_encode",
    DataType::Utf8,
    base64_encode_body
);
udf!(
    BASE64_DECODE,
    "kql_base64_decode",
    DataType::Utf8,
    base64_decode_body
);
udf!(
    TO_DYNAMIC,
    "kql_to_dynamic",
    DataType::Utf8,
    to_dynamic_body
);

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        COUNTOF.clone(),
        EXTRACT_ALL.clone(),
        EXTRACTJSON.clone(),
        TRIM_REGEX.clone(),
        TOHEX.clone(),
        BASE64_ENCODE.clone(),
        BASE64_DECODE.clone(),
        TO_DYNAMIC.clone(),
    ]
}

/// `kql_countof(text, search, is_regex)`: non-overlapping occurrences.
fn countof_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (text, search) = (strings(args, 0)?, strings(args, 1)?);
    let regex_kind = args[2].as_boolean();
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let (t, s) = (text.get(r).unwrap_or(""), search.get(r).unwrap_or(""));
        let n = if regex_kind.value(r) {
            crate::text::compile_regex(s)?.find_iter(t).count()
        } else if s.is_empty() {
            0
        } else {
            t.matches(s).count()
        };
        out.append_value(n as i64);
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_extract_all(regex, text)`: every match; one group gives its texts, several groups
/// give an array per match.
/// `kql_extract_all(regex, text, groups)`: `groups` is a JSON array of group numbers or
/// names, or empty for all groups.
fn extract_all_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (patterns, texts, chosen) = (strings(args, 0)?, strings(args, 1)?, strings(args, 2)?);
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    let mut compiled: Option<(String, regex::Regex)> = None;
    for r in 0..rows {
        let (Some(p), Some(t)) = (patterns.get(r), texts.get(r)) else {
            out.append_null();
            continue;
        };
        if compiled.as_ref().is_none_or(|(q, _)| q != p) {
            compiled = Some((p.to_string(), crate::text::compile_regex(p)?));
        }
        let Some((_, re)) = compiled.as_ref() else {
            continue;
        };
        let all: Vec<usize> = (1..re.captures_len()).collect();
        let groups: Vec<usize> = match chosen.get(r).map(crate::dynamic::parse_stored) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| match g {
                    Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                    Value::String(name) => {
                        re.capture_names().position(|c| c == Some(name.as_str()))
                    }
                    _ => None,
                })
                .collect(),
            _ => all,
        };
        let matches: Vec<Value> = re
            .captures_iter(t)
            .map(|c| {
                let text =
                    |i: usize| Value::String(c.get(i).map_or("", |m| m.as_str()).to_string());
                match groups.as_slice() {
                    [] => text(0),
                    [one] => text(*one),
                    many => Value::Array(many.iter().map(|i| text(*i)).collect()),
                }
            })
            .collect();
        if matches.is_empty() {
            out.append_null();
        } else {
            out.append_value(Value::Array(matches).to_string());
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_extractjson(path, json)`: a `$.a.b[0]` path into JSON text; the value as text.
fn extractjson_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (paths, texts) = (strings(args, 0)?, strings(args, 1)?);
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let found = match (
            paths.get(r),
            texts
                .get(r)
                .and_then(|t| serde_json::from_str::<Value>(t).ok()),
        ) {
            (Some(p), Some(v)) => json_path(&v, p).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            _ => None,
        };
        out.append_value(found.unwrap_or_default());
    }
    Ok(Arc::new(out.finish()))
}

/// Follows `$.a.b[0]['c']` through a JSON value.
pub fn json_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut cur = v;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let key = r[..end].trim();
            cur = match key.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(key.trim_matches(['\'', '"']))?,
            };
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(cur)
}

/// `kql_trim_regex(regex, text, mode)`: mode 0 both ends, 1 start, 2 end.
fn trim_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (patterns, texts) = (strings(args, 0)?, strings(args, 1)?);
    let modes = longs(args, 2)?;
    let modes = modes.as_primitive::<Int64Type>();
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let (p, t) = (patterns.get(r).unwrap_or(""), texts.get(r).unwrap_or(""));
        let mode = modes.value(r);
        let mut s = t.to_string();
        if mode != 2 {
            let re = crate::text::compile_regex(&format!("^(?:{p})+"))?;
            s = re.replace(&s, "").into_owned();
        }
        if mode != 1 {
            let re = crate::text::compile_regex(&format!("(?:{p})+$"))?;
            s = re.replace(&s, "").into_owned();
        }
        out.append_value(s);
    }
    Ok(Arc::new(out.finish()))
}

fn tohex_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let v = longs(args, 0)?;
    let v = v.as_primitive::<Int64Type>();
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for r in 0..rows {
        out.append_option(v.is_valid(r).then(|| format!("{:x}", v.value(r))));
    }
    Ok(Arc::new(out.finish()))
}

fn base64_encode_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        out.append_value(STANDARD.encode(input.get(r).unwrap_or("")));
    }
    Ok(Arc::new(out.finish()))
}

/// Decodes base64 to UTF-8 text; invalid input gives null.
fn base64_decode_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let decoded = input
            .get(r)
            .and_then(|s| STANDARD.decode(s.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        out.append_option(decoded);
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_to_dynamic(value, 'type')`: a typed scalar as a dynamic value.
fn to_dynamic_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let tag = type_tags(strings(args, 1)?.get(0).unwrap_or("string"))[0];
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        out.append_option(crate::dynamic::to_json_text(&json_value(&args[0], r, tag)));
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_paths() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}});
        assert_eq!(json_path(&v, "$.a.b[1].c"), Some(&json!("x")));
        assert_eq!(json_path(&v, "$['a'].b[0]"), Some(&json!(10)));
        assert_eq!(json_path(&v, "$.nope"), None);
    }
}

udf!(
    URL_DECODE,
    "kql_url_decode",
    DataType::Utf8,
    url_decode_body
);
udf!(
    URL_ENCODE,
    "kql_url_encode",
    DataType::Utf8,
    url_encode_body
);
udf!(
    BASE64_TO_ARRAY,
    "kql_base64_to_array",
    DataType::Utf8,
    base64_to_array_body
);

/// The UDFs defined after the first list.
pub fn more_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        URL_DECODE.clone(),
        URL_ENCODE.clone(),
        BASE64_TO_ARRAY.clone(),
    ]
}

fn url_decode_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let s = input.get(r).unwrap_or("");
        out.append_value(percent_encoding::percent_decode_str(s).decode_utf8_lossy());
    }
    Ok(Arc::new(out.finish()))
}

fn url_encode_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let s = input.get(r).unwrap_or("");
        out.append_value(
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    }
    Ok(Arc::new(out.finish()))
}

/// Base64 to a dynamic array of byte values; invalid input gives null.
fn base64_to_array_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let bytes = input.get(r).and_then(|s| STANDARD.decode(s.trim()).ok());
        out.append_option(
            bytes.map(|b| {
                Value::from(b.into_iter().map(Value::from).collect::<Vec<_>>()).to_string()
            }),
        );
    }
    Ok(Arc::new(out.finish()))
}

udf!(REVERSE, "kql_reverse", DataType::Utf8, reverse_body);
udf!(
    FORMAT_BYTES,
    "kql_format_bytes",
    DataType::Utf8,
    format_bytes_body
);
udf!(
    REGEX_QUOTE,
    "kql_regex_quote",
    DataType::Utf8,
    regex_quote_body
);
udf!(
    STRCAT_ARRAY,
    "kql_strcat_array",
    DataType::Utf8,
    strcat_array_body
);

udf!(
    REPLACE_STRINGS,
    "kql_replace_strings",
    DataType::Utf8,
    replace_strings_body
);

/// Still more UDFs of this module.
pub fn string_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        REVERSE.clone(),
        FORMAT_BYTES.clone(),
        REGEX_QUOTE.clone(),
        STRCAT_ARRAY.clone(),
        REPLACE_STRINGS.clone(),
    ]
}

/// `kql_replace_strings(text, lookups_json, rewrites_json)`: each lookup in order claims its
/// occurrences in the parts no earlier lookup claimed; replaced text is not scanned again. A
/// rewrite that is not a string leaves its matches as they are.
fn replace_strings_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (texts, lookups, rewrites) = (strings(args, 0)?, strings(args, 1)?, strings(args, 2)?);
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        let list = |v: Option<&str>| match v.map(crate::dynamic::parse_stored) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let (finds, repls) = (list(lookups.get(r)), list(rewrites.get(r)));
        // (text, claimed)
        let mut parts: Vec<(String, bool)> = vec![(texts.get(r).unwrap_or("").to_string(), false)];
        for (i, find) in finds.iter().enumerate() {
            let Some(find) = find.as_str().filter(|f| !f.is_empty()) else {
                continue;
            };
            let with = match repls.get(i) {
                Some(Value::String(w)) => w.clone(),
                _ => find.to_string(),
            };
            parts = parts
                .into_iter()
                .flat_map(|(text, claimed)| {
                    if claimed {
                        return vec![(text, true)];
                    }
                    let mut pieces = Vec::new();
                    for (k, piece) in text.split(find).enumerate() {
                        if k > 0 {
                            pieces.push((with.clone(), true));
                        }
                        pieces.push((piece.to_string(), false));
                    }
                    pieces
                })
                .collect();
        }
        out.append_value(parts.into_iter().map(|(t, _)| t).collect::<String>());
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_format_bytes(bytes, precision, unit)`: `564 Bytes`, `10.1 KB`, `19 MB` (powers of
/// 1024); an empty unit picks the largest that keeps the value at least 1.
fn format_bytes_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use datafusion::arrow::datatypes::{Float64Type, Int64Type};
    const UNITS: [&str; 7] = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let values = args[0].as_primitive::<Float64Type>();
    let precisions = crate::udf::longs(args, 1)?;
    let precisions = precisions.as_primitive::<Int64Type>();
    let units = strings(args, 2)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 12);
    for r in 0..rows {
        if !values.is_valid(r) {
            out.append_null();
            continue;
        }
        let v = values.value(r);
        let asked = units.get(r).unwrap_or("");
        let power = match UNITS.iter().position(|u| u.eq_ignore_ascii_case(asked)) {
            Some(p) => p,
            None => (0..UNITS.len())
                .rev()
                .find(|p| v.abs() >= 1024f64.powi(*p as i32))
                .unwrap_or(0),
        };
        let digits = usize::try_from(precisions.value(r).clamp(0, 15)).unwrap_or(0);
        let scaled = v / 1024f64.powi(power as i32);
        out.append_value(format!("{scaled:.digits$} {}", UNITS[power]));
    }
    Ok(Arc::new(out.finish()))
}

fn reverse_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| s.chars().rev().collect())
}

fn regex_quote_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, regex::escape)
}

/// Each row's text (null as empty) through `f`.
pub(crate) fn map_text(args: &[ArrayRef], rows: usize, f: fn(&str) -> String) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        out.append_value(f(input.get(r).unwrap_or("")));
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_strcat_array(json_array, delimiter)`: the elements' text joined.
fn strcat_array_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (arrays, delims) = (strings(args, 0)?, strings(args, 1)?);
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let parts: Vec<String> = match arrays.get(r).map(crate::dynamic::parse_stored) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        out.append_value(parts.join(delims.get(r).unwrap_or("")));
    }
    Ok(Arc::new(out.finish()))
}
