//! Checking a result against a test's expectation, and describing each difference with the
//! row and the column it is in.

use super::spec::Expect;
use kql_types::{KType, parse_datetime, parse_timespan};
use serde_json::{Map, Value};

/// A query result as the tests see it: column names and types, rows as JSON objects.
pub struct Rows {
    pub columns: Vec<(String, KType)>,
    pub rows: Vec<Map<String, Value>>,
}

impl Rows {
    fn ty(&self, column: &str) -> KType {
        self.columns
            .iter()
            .find(|(n, _)| n == column)
            .map_or(KType::Dynamic, |(_, t)| *t)
    }

    /// Does `row` agree with `want` on every column `want` names?
    fn agrees(&self, row: &Map<String, Value>, want: &Map<String, Value>) -> bool {
        want.iter().all(|(k, v)| {
            row.get(k)
                .is_some_and(|actual| same_value(v, actual, self.ty(k)))
        })
    }
}

/// The differences between the result and the expectation; empty when it holds.
pub fn check(expect: &Expect, got: &Rows) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(n) = expect.count
        && n != got.rows.len()
    {
        problems.push(format!("expected {n} rows, got {}", got.rows.len()));
    }
    for (i, want) in expect.contains.iter().enumerate() {
        if !got.rows.iter().any(|r| got.agrees(r, want)) {
            problems.push(format!(
                "contains[{}]: no row matches {}",
                i + 1,
                Value::Object(want.clone())
            ));
        }
    }
    for (i, unwanted) in expect.excludes.iter().enumerate() {
        for (k, r) in got.rows.iter().enumerate() {
            if got.agrees(r, unwanted) {
                problems.push(format!(
                    "excludes[{}]: result row {} matches {}",
                    i + 1,
                    k + 1,
                    Value::Object(unwanted.clone())
                ));
            }
        }
    }
    if let Some(rows) = &expect.rows {
        problems.extend(compare_rows(rows, got, expect.ordered));
    }
    problems
}

fn compare_rows(want: &[Map<String, Value>], got: &Rows, ordered: bool) -> Vec<String> {
    let mut out = Vec::new();
    let names: Vec<&String> = got.columns.iter().map(|(n, _)| n).collect();
    if let Some(first) = want.first() {
        let wanted: Vec<&String> = first.keys().collect();
        let mut a = wanted.clone();
        let mut b = names.clone();
        a.sort();
        b.sort();
        if a != b {
            out.push(format!(
                "columns: expected {}, got {}",
                list(&wanted),
                list(&names)
            ));
            return out;
        }
    }
    if ordered {
        for (i, w) in want.iter().enumerate() {
            match got.rows.get(i) {
                Some(r) => out.extend(cell_diffs(i + 1, w, r, got)),
                None => out.push(format!(
                    "row {}: missing {}",
                    i + 1,
                    Value::Object(w.clone())
                )),
            }
        }
        for (i, r) in got.rows.iter().enumerate().skip(want.len()) {
            out.push(format!(
                "row {}: unexpected {}",
                i + 1,
                Value::Object(r.clone())
            ));
        }
        return out;
    }
    // As multisets: exact matches first, then pair the rest by the most equal cells.
    let mut free: Vec<bool> = vec![true; got.rows.len()];
    let mut unmatched = Vec::new();
    for (i, w) in want.iter().enumerate() {
        match (0..got.rows.len()).find(|k| free[*k] && got.agrees(&got.rows[*k], w)) {
            Some(k) => free[k] = false,
            None => unmatched.push(i),
        }
    }
    for i in unmatched {
        let w = &want[i];
        let score = |r: &Map<String, Value>| {
            w.iter()
                .filter(|(k, v)| r.get(*k).is_some_and(|a| same_value(v, a, got.ty(k))))
                .count()
        };
        let best = (0..got.rows.len())
            .filter(|k| free[*k])
            .max_by_key(|k| score(&got.rows[*k]))
            .filter(|k| score(&got.rows[*k]) * 2 >= w.len());
        match best {
            Some(k) => {
                free[k] = false;
                out.extend(cell_diffs(i + 1, w, &got.rows[k], got));
            }
            None => out.push(format!(
                "row {}: missing {}",
                i + 1,
                Value::Object(w.clone())
            )),
        }
    }
    for (k, r) in got.rows.iter().enumerate() {
        if free[k] {
            out.push(format!("unexpected row: {}", Value::Object(r.clone())));
        }
    }
    out
}

fn cell_diffs(
    row: usize,
    want: &Map<String, Value>,
    got_row: &Map<String, Value>,
    got: &Rows,
) -> Vec<String> {
    want.iter()
        .filter_map(|(k, v)| {
            let actual = got_row.get(k).cloned().unwrap_or(Value::Null);
            (!same_value(v, &actual, got.ty(k)))
                .then(|| format!("row {row}, column {k}: expected {v}, got {actual}"))
        })
        .collect()
}

fn list(names: &[&String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    format!("[{}]", quoted.join(", "))
}

/// Kusto's equality for a cell of type `ty`: strings with null equal to empty, datetimes
/// and timespans by value whatever their spelling, reals with a small relative tolerance,
/// dynamic values as JSON.
pub fn same_value(want: &Value, got: &Value, ty: KType) -> bool {
    match ty {
        KType::String | KType::Guid => text(want) == text(got),
        KType::Datetime => ticks(want, parse_datetime) == ticks(got, parse_datetime),
        KType::Timespan => ticks(want, parse_timespan) == ticks(got, parse_timespan),
        KType::Real | KType::Decimal => match (number(want), number(got)) {
            (Some(a), Some(b)) => {
                a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
            }
            (a, b) => a.is_none() && b.is_none() && want.is_null() && got.is_null(),
        },
        KType::Int | KType::Long => number(want) == number(got),
        KType::Bool => want == got,
        KType::Dynamic => same_json(want, got),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn ticks(v: &Value, parse: fn(&str) -> Option<i64>) -> Option<i64> {
    v.as_str().and_then(parse)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_compare_the_kusto_way() {
        assert!(same_value(&json!(null), &json!(""), KType::String));
        assert!(same_value(&json!(7), &json!("7"), KType::String));
        assert!(same_value(
            &json!("2024-05-07 10:00"),
            &json!("2024-05-07T10:00:00Z"),
            KType::Datetime
        ));
        assert!(same_value(&json!(0.1 + 0.2), &json!(0.3), KType::Real));
        assert!(!same_value(&json!(1), &json!(2), KType::Long));
        assert!(same_value(
            &json!({"a": [1.0]}),
            &json!({"a": [1]}),
            KType::Dynamic
        ));
    }
}
