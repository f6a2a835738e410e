//! More text functions: `countof`, `extract_all`, `extractjson`, regex trimming, `tohex`,
//! base64, and wrapping a typed scalar as a dynamic value.

use crate::udf::{KqlUdf, longs, strings};
use crate::values::{json_value, type_tags};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;
use std::sync::{Arc, LazyLock};

macro_rules! udf {
    ($static:ident, $name:literal, $ret:expr, $body:ident) => {
        pub static $static: LazyLock<Arc<ScalarUDF>> =
            LazyLock::new(|| KqlUdf::new_udf($name, $ret, $body));
    };
}

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
udf!(INDEXOF, "kql_indexof", DataType::Int64, indexof_body);
udf!(
    INDEXOF_REGEX,
    "kql_indexof_regex",
    DataType::Int64,
    indexof_regex_body
);
udf!(
    PUNYCODE_FROM,
    "kql_punycode_from_string",
    DataType::Utf8,
    punycode_from_body
);
udf!(
    PUNYCODE_TO,
    "kql_punycode_to_string",
    DataType::Utf8,
    punycode_to_body
);
udf!(
    PUNYCODE_DOMAIN_FROM,
    "kql_punycode_domain_from_string",
    DataType::Utf8,
    punycode_domain_from_body
);
udf!(
    PUNYCODE_DOMAIN_TO,
    "kql_punycode_domain_to_string",
    DataType::Utf8,
    punycode_domain_to_body
);
udf!(
    GZIP_DECOMPRESS,
    "kql_gzip_decompress",
    DataType::Utf8,
    gzip_decompress_body
);
udf!(
    ZLIB_DECOMPRESS,
    "kql_zlib_decompress",
    DataType::Utf8,
    zlib_decompress_body
);
udf!(
    GZIP_COMPRESS,
    "kql_gzip_compress",
    DataType::Utf8,
    gzip_compress_body
);
udf!(
    ZLIB_COMPRESS,
    "kql_zlib_compress",
    DataType::Utf8,
    zlib_compress_body
);
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
        INDEXOF.clone(),
        INDEXOF_REGEX.clone(),
        PUNYCODE_FROM.clone(),
        PUNYCODE_TO.clone(),
        PUNYCODE_DOMAIN_FROM.clone(),
        PUNYCODE_DOMAIN_TO.clone(),
        GZIP_DECOMPRESS.clone(),
        ZLIB_DECOMPRESS.clone(),
        GZIP_COMPRESS.clone(),
        ZLIB_COMPRESS.clone(),
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

/// `kql_indexof(text, lookup [, start, length, occurrence])`: the character position of
/// the occurrence-th match that lies within `length + 1` characters from `start` (a
/// negative start counts from the end, a negative length is the rest), else -1.
fn indexof_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (texts, lookups) = (strings(args, 0)?, strings(args, 1)?);
    let option = |i: usize| -> Result<Option<ArrayRef>> {
        args.get(i).map(|_| crate::udf::longs(args, i)).transpose()
    };
    let (starts, lengths, occurrences) = (option(2)?, option(3)?, option(4)?);
    let at = |a: &Option<ArrayRef>, r: usize, default: i64| {
        a.as_ref().map_or(default, |a| {
            let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            if a.is_valid(r) { a.value(r) } else { default }
        })
    };
    let mut out = datafusion::arrow::array::Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let (Some(text), Some(lookup)) = (texts.get(r), lookups.get(r)) else {
            out.append_null();
            continue;
        };
        let chars: Vec<char> = text.chars().collect();
        let needle: Vec<char> = lookup.chars().collect();
        let n = chars.len() as i64;
        let start = match at(&starts, r, 0) {
            s if s < 0 => (n + s).max(0),
            s => s,
        };
        let end = match at(&lengths, r, -1) {
            l if l < 0 => n,
            l => (start + l + 1).min(n),
        };
        let occurrence = at(&occurrences, r, 1).max(1) as usize;
        let found = (start..=end - needle.len() as i64)
            .filter(|i| *i >= 0 && chars[*i as usize..*i as usize + needle.len()] == needle[..])
            .nth(occurrence - 1);
        out.append_value(found.unwrap_or(-1));
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

fn punycode_from_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| {
        idna::punycode::encode_str(s).unwrap_or_default()
    })
}

fn punycode_to_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| {
        idna::punycode::decode_to_string(s).unwrap_or_default()
    })
}

/// Domain labels are separated by `.` or the ideographic and halfwidth full stops.
fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

/// Each `xn--` label decoded (case kept); other labels as they are.
fn punycode_domain_from_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |d| {
        let decoded: Option<Vec<String>> = labels(d)
            .map(|l| match l.get(..4) {
                Some(p) if p.eq_ignore_ascii_case("xn--") => {
                    idna::punycode::decode_to_string(&l[4..])
                }
                _ => Some(l.to_string()),
            })
            .collect();
        decoded.map(|ls| ls.join(".")).unwrap_or_default()
    })
}

/// Each label that is not all ASCII encoded as `xn--` punycode (case kept).
fn punycode_domain_to_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |d| {
        let encoded: Option<Vec<String>> = labels(d)
            .map(|l| {
                if l.is_ascii() {
                    Some(l.to_string())
                } else {
                    idna::punycode::encode_str(l).map(|p| format!("xn--{p}"))
                }
            })
            .collect();
        encoded.map(|ls| ls.join(".")).unwrap_or_default()
    })
}

/// Base64 of compressed bytes to the text they hold; empty when any step fails.
fn inflate(text: &str, gzip: bool) -> String {
    use std::io::Read;
    let Ok(bytes) = STANDARD.decode(text.trim()) else {
        return String::new();
    };
    let mut out = String::new();
    let read = if gzip {
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut out)
    } else {
        flate2::read::ZlibDecoder::new(&bytes[..]).read_to_string(&mut out)
    };
    if read.is_ok() { out } else { String::new() }
}

/// The text compressed, as base64.
fn deflate(text: &str, gzip: bool) -> String {
    use std::io::Write;
    let level = flate2::Compression::default();
    let bytes = if gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
        e.write_all(text.as_bytes()).and_then(|_| e.finish())
    } else {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
        e.write_all(text.as_bytes()).and_then(|_| e.finish())
    };
    bytes.map(|b| STANDARD.encode(b)).unwrap_or_default()
}

fn gzip_decompress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| inflate(s, true))
}

fn zlib_decompress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| inflate(s, false))
}

fn gzip_compress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| deflate(s, true))
}

fn zlib_compress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| deflate(s, false))
}

/// `kql_indexof_regex(text, pattern, start, length, occurrence)`: the character position of
/// the occurrence-th (non-overlapping) match within `length` characters from `start`, else
/// -1; null for a negative start or a length below -1.
fn indexof_regex_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use datafusion::arrow::datatypes::Int64Type;
    let (texts, patterns) = (strings(args, 0)?, strings(args, 1)?);
    let longs = |i: usize| crate::udf::longs(args, i);
    let (starts, lengths, occurrences) = (longs(2)?, longs(3)?, longs(4)?);
    let (starts, lengths, occurrences) = (
        starts.as_primitive::<Int64Type>(),
        lengths.as_primitive::<Int64Type>(),
        occurrences.as_primitive::<Int64Type>(),
    );
    let mut compiled: Option<(String, regex::Regex)> = None;
    let mut out = datafusion::arrow::array::Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let (Some(text), Some(pattern)) = (texts.get(r), patterns.get(r)) else {
            out.append_null();
            continue;
        };
        let (start, length) = (starts.value(r), lengths.value(r));
        if start < 0 || length < -1 {
            out.append_null();
            continue;
        }
        if compiled.as_ref().is_none_or(|(p, _)| p != pattern) {
            compiled = Some((pattern.to_string(), crate::text::compile_regex(pattern)?));
        }
        let Some((_, re)) = &compiled else {
            out.append_null();
            continue;
        };
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len() as i64;
        let end = if length < 0 {
            n
        } else {
            (start + length).min(n)
        };
        let byte = |i: i64| chars.get(i as usize).map_or(text.len(), |(b, _)| *b);
        let found = if start > end {
            None
        } else {
            let window = &text[byte(start)..byte(end)];
            let occurrence = occurrences.value(r).max(1) as usize;
            re.find_iter(window).nth(occurrence - 1).map(|m| {
                let at = byte(start) + m.start();
                chars
                    .iter()
                    .position(|(b, _)| *b == at)
                    .unwrap_or(chars.len()) as i64
            })
        };
        out.append_value(found.unwrap_or(-1));
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
fn map_text(args: &[ArrayRef], rows: usize, f: fn(&str) -> String) -> Result<ArrayRef> {
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
