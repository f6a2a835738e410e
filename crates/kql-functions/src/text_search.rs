//! Positions of text in text: `indexof` and `indexof_regex` with a start, a length and an
//! occurrence.

use crate::udf::{strings, udf};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

udf!(INDEXOF, "kql_indexof", DataType::Int64, indexof_body);
udf!(
    INDEXOF_REGEX,
    "kql_indexof_regex",
    DataType::Int64,
    indexof_regex_body
);

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![INDEXOF.clone(), INDEXOF_REGEX.clone()]
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
