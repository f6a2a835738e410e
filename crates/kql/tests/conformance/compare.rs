//! Comparison of a result with a documented output, by the rules of the conformance
//! README: column names in order; cells by type (null equals empty, numbers with a relative
//! tolerance, datetimes and timespans to the tick, dynamic as JSON, guids without case);
//! rows as a multiset unless the case is ordered.

use kql::KType;
use serde_json::Value;

/// A result as (column names, column types, rows of JSON cells).
pub struct Actual {
    pub columns: Vec<String>,
    pub types: Vec<KType>,
    pub rows: Vec<Vec<Value>>,
}

pub struct Expected {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub ordered: bool,
    pub approximate: bool,
    pub sets: bool,
}

/// None when equal, else why not.
pub fn compare(actual: &Actual, expected: &Expected) -> Option<String> {
    if actual.columns != expected.columns {
        return Some(format!(
            "columns {:?}, expected {:?}",
            actual.columns, expected.columns
        ));
    }
    if actual.rows.len() != expected.rows.len() {
        return Some(format!(
            "{} rows, expected {}",
            actual.rows.len(),
            expected.rows.len()
        ));
    }
    let row_eq = |a: &Vec<Value>, e: &Vec<String>| -> bool {
        a.len() == e.len()
            && a.iter()
                .zip(e)
                .zip(&actual.types)
                .all(|((a, e), t)| cell_eq(a, e, *t, expected.approximate, expected.sets))
    };
    if expected.ordered {
        for (i, (a, e)) in actual.rows.iter().zip(&expected.rows).enumerate() {
            if !row_eq(a, e) {
                return Some(format!(
                    "row {i}: got {}, expected {e:?}",
                    Value::Array(a.clone())
                ));
            }
        }
        return None;
    }
    let mut used = vec![false; actual.rows.len()];
    for e in &expected.rows {
        match (0..actual.rows.len()).find(|i| !used[*i] && row_eq(&actual.rows[*i], e)) {
            Some(i) => used[i] = true,
            None => {
                let got: Vec<String> = actual
                    .rows
                    .iter()
                    .map(|r| Value::Array(r.clone()).to_string())
                    .collect();
                return Some(format!("no row matches {e:?}; got {}", got.join(" ")));
            }
        }
    }
    None
}

fn cell_eq(a: &Value, e: &str, ty: KType, approximate: bool, sets: bool) -> bool {
    let e = e.trim();
    // The docs print a null cell as nothing, or (for non-strings) as "null".
    if e == "null" && a.is_null() && ty != KType::String {
        return true;
    }
    if e.is_empty() {
        return match a {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        };
    }
    match ty {
        // Some pages were printed by a client that shows bools as 1 and 0 (Kusto stores a
        // bool as a byte).
        KType::Bool => a.as_bool().is_some_and(|b| {
            e.eq_ignore_ascii_case(if b { "true" } else { "false" })
                || e == if b { "1" } else { "0" }
        }),
        KType::Int | KType::Long | KType::Real | KType::Decimal => number_eq(a, e, approximate),
        KType::Datetime => match (
            a.as_str().and_then(kql_types::parse_datetime),
            kql_types::parse_datetime(e),
        ) {
            (Some(x), Some(y)) => x / 100 == y / 100,
            _ => false,
        },
        KType::Timespan => match (
            a.as_str().and_then(kql_types::parse_timespan),
            kql_types::parse_timespan(e),
        ) {
            (Some(x), Some(y)) => x / 100 == y / 100,
            _ => false,
        },
        KType::Guid => a.as_str().is_some_and(|s| s.eq_ignore_ascii_case(e)),
        KType::String => a.as_str() == Some(e) || a.as_str().map(str::trim) == Some(e),
        KType::Dynamic => match serde_json::from_str::<Value>(e) {
            Ok(ev) => json_eq(a, &ev, approximate, sets),
            // A top-level string may be printed without quotes.
            Err(_) => a.as_str() == Some(e),
        },
    }
}

fn number_eq(a: &Value, e: &str, approximate: bool) -> bool {
    let x = match a {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok().or(match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        }),
        _ => None,
    };
    let y = match e {
        "NaN" => Some(f64::NAN),
        "Infinity" | "∞" => Some(f64::INFINITY),
        "-Infinity" | "-∞" => Some(f64::NEG_INFINITY),
        other => other.replace(',', "").parse::<f64>().ok(),
    };
    match (x, y) {
        (Some(x), Some(y)) => float_eq(x, y, approximate),
        _ => false,
    }
}

fn float_eq(x: f64, y: f64, approximate: bool) -> bool {
    if x.is_nan() || y.is_nan() {
        return x.is_nan() && y.is_nan();
    }
    if x == y {
        return true;
    }
    let tol = if approximate { 1e-2 } else { 1e-6 };
    (x - y).abs() <= tol * x.abs().max(y.abs()).max(1e-12)
}

fn json_eq(a: &Value, e: &Value, approximate: bool, sets: bool) -> bool {
    match (a, e) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => float_eq(x, y, approximate),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if sets {
                let mut used = vec![false; x.len()];
                y.iter().all(|ye| {
                    match (0..x.len()).find(|i| !used[*i] && json_eq(&x[*i], ye, approximate, sets))
                    {
                        Some(i) => {
                            used[i] = true;
                            true
                        }
                        None => false,
                    }
                })
            } else {
                x.iter()
                    .zip(y)
                    .all(|(a, b)| json_eq(a, b, approximate, sets))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w, approximate, sets)))
        }
        (Value::String(s), other) | (other, Value::String(s))
            if !matches!(other, Value::String(_)) =>
        {
            // Datetimes and timespans inside dynamic values print as text.
            s == &other.to_string()
        }
        _ => a == e,
    }
}
