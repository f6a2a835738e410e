//! Raw JSON values (as the tokenizer hands them out) into typed Arrow columns, by the same
//! rules as `columns.rs`: the common shapes (plain strings, integers, compact objects) are
//! taken as they are written; anything else goes through `serde_json` and those rules.

use crate::columns::{bool_of, dynamic_of, long_of, real_column, real_of, text_of};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use kql_types::json_scan::{checked_document, is_compact, unescape};
use kql_types::{KType, parse_datetime, parse_timespan};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// A present, non-null value: a JSON string (its text as written, quotes included, and
/// unescaped), or another value's text.
enum Raw<'a> {
    Text {
        written: &'a str,
        text: Cow<'a, str>,
    },
    Other(&'a str),
}

fn raw(span: Option<&str>) -> Option<Raw<'_>> {
    match span? {
        "null" => None,
        s if s.starts_with('"') => Some(Raw::Text {
            written: s,
            text: unescape(&s[1..s.len() - 1]),
        }),
        s => Some(Raw::Other(s)),
    }
}

/// A value that counts for a typed column: present, not null and not the empty string.
fn typed(span: Option<&str>) -> Option<Raw<'_>> {
    raw(span).filter(|r| !matches!(r, Raw::Text { text, .. } if text.is_empty()))
}

/// What JSON counts as whitespace around a value (Unicode's other spaces are not).
pub(crate) const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// A valid JSON value's text as `serde_json` writes it.
pub(crate) fn compact(text: &str) -> Cow<'_, str> {
    if is_compact(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Cow::Owned(v.to_string()),
        Err(_) => Cow::Borrowed(text),
    }
}

/// The value `serde_json` reads from a raw value, for the rules of `columns.rs`.
fn value(r: &Raw) -> Value {
    match r {
        Raw::Text { text, .. } => Value::String(text.to_string()),
        Raw::Other(s) => serde_json::from_str(s).unwrap_or(Value::Null),
    }
}

fn long_raw(r: &Raw) -> Option<i64> {
    match r {
        Raw::Text { text, .. } => text.trim().parse().ok(),
        Raw::Other(s) => s.parse().ok().or_else(|| long_of(&value(r))),
    }
}

fn real_raw(r: &Raw) -> Option<f64> {
    match r {
        Raw::Other(s) if s.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) => {
            s.parse().ok()
        }
        r => real_of(&value(r)),
    }
}

fn bool_raw(r: &Raw) -> Option<bool> {
    match r {
        Raw::Other("true") => Some(true),
        Raw::Other("false") => Some(false),
        r => bool_of(&value(r)),
    }
}

fn datetime_raw(r: &Raw) -> Option<i64> {
    match r {
        Raw::Text { text, .. } => parse_datetime(text),
        Raw::Other(_) => None,
    }
}

fn timespan_raw(r: &Raw) -> Option<i64> {
    match r {
        Raw::Text { text, .. } => parse_timespan(text),
        Raw::Other(_) => None,
    }
}

/// Whether a present value fits a column of type `ty` (a value that does not is nulled).
pub fn fits(span: &str, ty: KType) -> bool {
    if matches!(ty, KType::String | KType::Guid | KType::Dynamic) {
        return true;
    }
    let Some(r) = typed(Some(span)) else {
        return true;
    };
    match ty {
        KType::String | KType::Guid | KType::Dynamic => true,
        KType::Long => long_raw(&r).is_some(),
        KType::Int => long_raw(&r).is_some_and(|x| i32::try_from(x).is_ok()),
        KType::Real | KType::Decimal => real_raw(&r).is_some(),
        KType::Bool => bool_raw(&r).is_some(),
        KType::Datetime => datetime_raw(&r).is_some(),
        KType::Timespan => timespan_raw(&r).is_some(),
    }
}

/// Text of a string column: a JSON string's text, "" for null and missing, other values
/// as compact JSON.
fn text(span: Option<&str>) -> Cow<'_, str> {
    match raw(span) {
        None => Cow::Borrowed(""),
        Some(Raw::Text { text, .. }) => text,
        Some(Raw::Other(s)) if is_compact(s.as_bytes()) => Cow::Borrowed(s),
        Some(r) => Cow::Owned(text_of(Some(&value(&r)))),
    }
}

/// JSON text of a dynamic column; a string that holds an object or array is that value.
fn dynamic(span: Option<&str>) -> Option<Cow<'_, str>> {
    Some(match raw(span)? {
        Raw::Text { written, text } => match checked_document(text.as_bytes()) {
            Some((b'{' | b'[', true)) => text,
            Some((b'{' | b'[', false)) => {
                let inner = text.trim_matches(JSON_WHITESPACE);
                Cow::Owned(compact(inner).into_owned())
            }
            _ if is_compact(written.as_bytes()) => Cow::Borrowed(written),
            _ => Cow::Owned(dynamic_of(Some(&Value::String(text.into_owned())))?),
        },
        Raw::Other(s) => compact(s),
    })
}

/// A column of type `ty` from raw values (None: the field was missing).
pub fn build_column(spans: &[Option<&str>], ty: KType) -> Result<ArrayRef, String> {
    let n = spans.len();
    Ok(match ty {
        KType::String | KType::Guid => {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            spans.iter().for_each(|s| b.append_value(text(*s)));
            Arc::new(b.finish())
        }
        KType::Dynamic => {
            let mut b = StringBuilder::with_capacity(n, n * 32);
            spans.iter().for_each(|s| b.append_option(dynamic(*s)));
            Arc::new(b.finish())
        }
        KType::Long => {
            let mut b = Int64Builder::with_capacity(n);
            spans
                .iter()
                .for_each(|s| b.append_option(typed(*s).as_ref().and_then(long_raw)));
            Arc::new(b.finish())
        }
        KType::Int => {
            let mut b = Int32Builder::with_capacity(n);
            for s in spans {
                let v = typed(*s).as_ref().and_then(long_raw);
                b.append_option(v.and_then(|x| i32::try_from(x).ok()));
            }
            Arc::new(b.finish())
        }
        KType::Real | KType::Decimal => {
            let mut b = Float64Builder::with_capacity(n);
            spans
                .iter()
                .for_each(|s| b.append_option(typed(*s).as_ref().and_then(real_raw)));
            real_column(b.finish(), ty)?
        }
        KType::Bool => {
            let mut b = BooleanBuilder::with_capacity(n);
            spans
                .iter()
                .for_each(|s| b.append_option(typed(*s).as_ref().and_then(bool_raw)));
            Arc::new(b.finish())
        }
        KType::Datetime => {
            let mut b = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
            spans
                .iter()
                .for_each(|s| b.append_option(typed(*s).as_ref().and_then(datetime_raw)));
            Arc::new(b.finish())
        }
        KType::Timespan => {
            let mut b = DurationNanosecondBuilder::with_capacity(n);
            spans
                .iter()
                .for_each(|s| b.append_option(typed(*s).as_ref().and_then(timespan_raw)));
            Arc::new(b.finish())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::build_batch;
    use datafusion::arrow::util::display::array_value_to_string;
    use kql_types::json_scan::members;

    /// Every value, through both paths, gives the same cells for every type.
    #[test]
    fn same_cells_as_the_value_loader() {
        let values = [
            r#""plain""#,
            r#""esc\"aped\\ \n \u00e9 \ud83d\ude00 \/""#,
            r#""""#,
            "null",
            "12",
            "-7",
            "1.5",
            "1e3",
            "-0",
            "12345678901234567890",
            "true",
            "false",
            r#"{"a": [1, 2.50, {"b":"c"}], "d":"\/"}"#,
            r#"{"a":1}"#,
            r#"[1,"x"]"#,
            r#""{\"k\":\"v\",\"n\":[1, 2]}""#,
            r#"" [1] ""#,
            r#""[1""#,
            r#""2024-05-01T10:00:00Z""#,
            r#""1.02:03:04""#,
            r#"" 42 ""#,
            r#""NaN""#,
            r#""TRUE""#,
        ];
        let lines: Vec<String> = values.iter().map(|v| format!("{{\"c\":{v}}}")).collect();
        let rows: Vec<crate::json::Row> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut spans = Vec::new();
        for l in &lines {
            let mut span = None;
            members(l, |_, v| span = Some(v)).unwrap();
            spans.push(span);
        }
        spans.push(None);
        let mut rows = rows;
        rows.push(serde_json::Map::new());
        for ty in [
            KType::String,
            KType::Dynamic,
            KType::Long,
            KType::Int,
            KType::Real,
            KType::Bool,
            KType::Datetime,
            KType::Timespan,
        ] {
            let want = build_batch(&rows, &[("c".to_string(), ty)]).unwrap();
            let got = build_column(&spans, ty).unwrap();
            for (i, s) in spans.iter().enumerate() {
                let w = array_value_to_string(want.batch.column(0), i).unwrap();
                let g = array_value_to_string(&got, i).unwrap();
                let wnull = want.batch.column(0).is_null(i);
                assert_eq!((g, got.is_null(i)), (w, wnull), "{ty:?} of {s:?}");
                let nulled =
                    typed(*s).is_some() && wnull && !matches!(ty, KType::String | KType::Dynamic);
                assert_eq!(
                    s.is_some_and(|s| !fits(s, ty)),
                    nulled,
                    "{ty:?} fit of {s:?}"
                );
            }
        }
    }
}
