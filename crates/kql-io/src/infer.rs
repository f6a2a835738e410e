//! Column types inferred from JSON values, as the rules say: objects and arrays are
//! dynamic, integers long, other numbers real, booleans bool, strings that are all
//! ISO-8601 timestamps with a zone datetime, other strings string.

use crate::json::Row;
use kql_types::KType;
use serde_json::Value;

/// Columns in order of first appearance, with their inferred types.
pub fn infer_columns(rows: &[Row]) -> Vec<(String, KType)> {
    let mut order: Vec<String> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in rows {
        for (k, v) in row {
            let e = seen.entry(k.clone()).or_insert_with(|| {
                order.push(k.clone());
                None
            });
            *e = merge(*e, kind_of(v));
        }
    }
    order
        .into_iter()
        .map(|n| {
            let t = seen.get(&n).copied().flatten().unwrap_or(KType::String);
            (n, t)
        })
        .collect()
}

fn kind_of(v: &Value) -> Option<KType> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => KType::Bool,
        Value::Number(n) if n.is_i64() || n.is_u64() => KType::Long,
        Value::Number(_) => KType::Real,
        Value::String(s) if is_zoned_timestamp(s) => KType::Datetime,
        Value::String(_) => KType::String,
        Value::Array(_) | Value::Object(_) => KType::Dynamic,
    })
}

/// `kind_of` for a value's raw JSON text (as the tokenizer hands it out).
pub(crate) fn kind_of_raw(raw: &str) -> Option<KType> {
    Some(match raw.as_bytes().first()? {
        b'n' => return None,
        b't' | b'f' => KType::Bool,
        b'{' | b'[' => KType::Dynamic,
        b'"' => {
            let text = kql_types::json_scan::unescape(&raw[1..raw.len() - 1]);
            if is_zoned_timestamp(&text) {
                KType::Datetime
            } else {
                KType::String
            }
        }
        // serde_json reads -0 as a real.
        _ if raw == "-0" => KType::Real,
        _ if raw.parse::<i64>().is_ok() || raw.parse::<u64>().is_ok() => KType::Long,
        _ => KType::Real,
    })
}

pub(crate) fn merge(a: Option<KType>, b: Option<KType>) -> Option<KType> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) if x == y => Some(x),
        (Some(KType::Long), Some(KType::Real)) | (Some(KType::Real), Some(KType::Long)) => {
            Some(KType::Real)
        }
        (Some(KType::Dynamic), _) | (_, Some(KType::Dynamic)) => Some(KType::Dynamic),
        (Some(KType::Datetime), Some(KType::String))
        | (Some(KType::String), Some(KType::Datetime)) => Some(KType::String),
        _ => Some(KType::Dynamic),
    }
}

/// `2021-01-01T10:00:00Z`, `...+02:00`: a date, a time and a zone.
fn is_zoned_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let shaped = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[..4].iter().all(u8::is_ascii_digit);
    let zoned = s.ends_with('Z') || s.ends_with('z') || {
        // Bytes, not text: the sixth byte from the end may fall inside a character.
        let tail = &b[b.len().saturating_sub(6)..];
        matches!(tail.first(), Some(b'+' | b'-')) && tail.get(3) == Some(&b':')
    };
    shaped && zoned && kql_types::parse_datetime(s).is_some()
}

/// Types of text columns (CSV): integers long, other numbers real, true/false bool, zoned
/// ISO-8601 timestamps datetime, JSON objects and arrays dynamic, anything else string.
pub fn infer_text_columns(headers: &[String], rows: &[Row]) -> Vec<(String, KType)> {
    headers
        .iter()
        .map(|h| {
            let mut ty: Option<KType> = None;
            for row in rows {
                let Some(Value::String(s)) = row.get(h) else {
                    continue;
                };
                ty = merge(ty, Some(text_kind(s)));
            }
            let ty = match ty {
                // Mixed text never becomes dynamic: it stays a string.
                Some(KType::Dynamic) if !all_json(h, rows) => KType::String,
                Some(t) => t,
                None => KType::String,
            };
            (h.clone(), ty)
        })
        .collect()
}

fn text_kind(s: &str) -> KType {
    let t = s.trim();
    if t.parse::<i64>().is_ok() {
        KType::Long
    } else if t.parse::<f64>().is_ok() {
        KType::Real
    } else if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        KType::Bool
    } else if is_zoned_timestamp(t) {
        KType::Datetime
    } else if (t.starts_with('{') || t.starts_with('[')) && serde_json::from_str::<Value>(t).is_ok()
    {
        KType::Dynamic
    } else {
        KType::String
    }
}

fn all_json(h: &str, rows: &[Row]) -> bool {
    rows.iter().all(|r| match r.get(h) {
        Some(Value::String(s)) => text_kind(s) == KType::Dynamic,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_multibyte_tails_are_not_zoned() {
        // Found by the load_json fuzzer: a slice through a two-byte character.
        assert!(!is_zoned_timestamp("2024-05-0\u{42b}\u{3dc}om>"));
        assert!(is_zoned_timestamp("2024-05-01T10:00:00+02:00"));
    }
    use serde_json::json;

    fn rows(v: Value) -> Vec<Row> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn raw_kinds_are_the_value_kinds() {
        for raw in [
            "null",
            "true",
            "false",
            "1",
            "-0",
            "-5",
            "1.5",
            "1e3",
            "18446744073709551615",
            "18446744073709551616",
            "\"x\"",
            "\"2021-01-01T00:00:00Z\"",
            "{}",
            "[1]",
            "\"2021-01-01T00:00:00\\u005a\"",
        ] {
            let v: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(kind_of_raw(raw), kind_of(&v), "{raw}");
        }
    }

    #[test]
    fn inference_rules() {
        let r = rows(json!([
            {"t": "2021-01-01T00:00:00Z", "n": 1, "x": 1.5, "b": true, "d": {"a": 1}, "s": "2021-01-01", "m": 1},
            {"t": "2021-01-02T00:00:00.5+02:00", "n": 2, "x": 2, "b": false, "d": [1], "s": "x", "m": 2.5}
        ]));
        let cols = infer_columns(&r);
        let ty = |n: &str| cols.iter().find(|(c, _)| c == n).unwrap().1;
        assert_eq!(ty("t"), KType::Datetime);
        assert_eq!(ty("n"), KType::Long);
        assert_eq!(ty("x"), KType::Real);
        assert_eq!(ty("b"), KType::Bool);
        assert_eq!(ty("d"), KType::Dynamic);
        assert_eq!(ty("s"), KType::String);
        assert_eq!(ty("m"), KType::Real);
        assert_eq!(cols[0].0, "t");
    }
}
