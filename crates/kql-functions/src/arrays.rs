//! Functions over dynamic arrays and property bags, all in one UDF:
//! `kql_json_op('op', json...)`. Every argument is dynamic JSON text (scalars are wrapped
//! as dynamic values when bound).

use crate::dynamic::{parse_stored, to_json_text};
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

pub static JSON_OP: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_json_op", DataType::Utf8, json_op_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![JSON_OP.clone()]
}

/// The operations, by name: (name, what it computes from the argument values).
pub const OPS: &[&str] = &[
    "set_union",
    "set_intersect",
    "set_difference",
    "set_has_element",
    "array_concat",
    "array_slice",
    "array_sort_asc",
    "array_sort_desc",
    "array_index_of",
    "array_reverse",
    "array_sum",
    "bag_keys",
    "bag_has_key",
    "bag_merge",
    "bag_remove_keys",
    "zip",
    "bag_zip",
];

fn json_op_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let op = strings(args, 0)?.get(0).unwrap_or("").to_string();
    let known = [
        OPS,
        crate::array_shape::OPS,
        crate::json_text::OPS,
        crate::sketches::OPS,
        crate::build_schema::OPS,
    ];
    if !known.iter().any(|ops| ops.contains(&op.as_str())) && !crate::geo::is_geo(&op) {
        return exec_err!("unknown dynamic operation '{op}'");
    }
    let inputs = (1..args.len())
        .map(|i| strings(args, i))
        .collect::<Result<Vec<_>>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let values: Vec<Value> = inputs
            .iter()
            .map(|a| a.get(r).map_or(Value::Null, parse_stored))
            .collect();
        out.append_option(apply(&op, &values).as_ref().and_then(to_json_text));
    }
    Ok(Arc::new(out.finish()))
}

fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        _ => Vec::new(),
    }
}

fn distinct(v: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn sort_key(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// A key, or a `$.a.b` path: its last key and the keys of the bags above it.
fn bag_path(key: &str) -> (&str, Vec<&str>) {
    match key.strip_prefix("$.") {
        Some(path) => {
            let mut parts: Vec<&str> = path.split('.').collect();
            let last = parts.pop().unwrap_or(path);
            (last, parts)
        }
        None => (key, Vec::new()),
    }
}

/// One operation on one row's values; None is a null result.
fn apply(op: &str, v: &[Value]) -> Option<Value> {
    let first = v.first().cloned().unwrap_or(Value::Null);
    Some(match op {
        "set_union" => Value::Array(distinct(v.iter().flat_map(items).collect())),
        "set_intersect" => {
            let mut acc = distinct(items(&first));
            for other in &v[1..] {
                let o = items(other);
                acc.retain(|x| o.contains(x));
            }
            Value::Array(acc)
        }
        "set_difference" => {
            let mut acc = distinct(items(&first));
            for other in &v[1..] {
                let o = items(other);
                acc.retain(|x| !o.contains(x));
            }
            Value::Array(acc)
        }
        "set_has_element" => Value::Bool(items(&first).contains(v.get(1)?)),
        "array_concat" => Value::Array(v.iter().flat_map(items).collect()),
        "array_slice" => {
            let a = items(&first);
            let n = a.len() as i64;
            let idx = |x: Option<&Value>| -> Option<i64> {
                let i = x?.as_i64()?;
                Some(if i < 0 { n + i } else { i })
            };
            let start = idx(v.get(1))?.max(0);
            let end = idx(v.get(2)).unwrap_or(n - 1).min(n - 1);
            if start > end {
                Value::Array(Vec::new())
            } else {
                Value::Array(a[start as usize..=end as usize].to_vec())
            }
        }
        "array_sort_asc" | "array_sort_desc" => {
            // Several arrays are ordered by the first; a trailing bool is nulls_last.
            let nulls_last = v.last().and_then(Value::as_bool);
            let arrays = &v[..v.len() - usize::from(nulls_last.is_some())];
            let keys = items(&first);
            let (mut order, nulls): (Vec<usize>, Vec<usize>) =
                (0..keys.len()).partition(|&i| !keys[i].is_null());
            order.sort_by(|&a, &b| sort_key(&keys[a], &keys[b]));
            if op == "array_sort_desc" {
                order.reverse();
            }
            let order: Vec<usize> = match nulls_last {
                Some(false) => nulls.into_iter().chain(order).collect(),
                _ => order.into_iter().chain(nulls).collect(),
            };
            let permute = |a: &Value| {
                let a = items(a);
                Value::Array(
                    order
                        .iter()
                        .map(|&i| a.get(i).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            };
            match arrays {
                [one] => permute(one),
                many => Value::Array(many.iter().map(permute).collect()),
            }
        }
        "array_index_of" => {
            // (array, value [, start [, length [, occurrence]]]): a negative start counts
            // from the end; length -1 is the rest of the array.
            let a = items(&first);
            let target = v.get(1)?;
            let n = a.len() as i64;
            let arg = |i: usize, default: i64| v.get(i).and_then(Value::as_i64).unwrap_or(default);
            let start = match arg(2, 0) {
                s if s < 0 => (n + s).max(0),
                s => s,
            };
            let end = match arg(3, -1) {
                l if l < 0 => n,
                l => (start + l).min(n),
            };
            let occurrence = arg(4, 1).max(1) as usize;
            let found = (start..end)
                .filter(|i| a[*i as usize] == *target)
                .nth(occurrence - 1);
            Value::from(found.unwrap_or(-1))
        }
        "array_reverse" => {
            let mut a = items(&first);
            a.reverse();
            Value::Array(a)
        }
        "array_sum" => {
            let a = items(&first);
            let nums: Option<Vec<f64>> = a.iter().map(number).collect();
            Value::from(nums?.iter().sum::<f64>())
        }
        "bag_keys" => Value::Array(
            first
                .as_object()?
                .keys()
                .map(|k| Value::String(k.clone()))
                .collect(),
        ),
        "bag_has_key" => {
            let (last, parents) = bag_path(v.get(1)?.as_str()?);
            let mut at = first.as_object()?;
            for p in parents {
                match at.get(p).and_then(Value::as_object) {
                    Some(inner) => at = inner,
                    None => return Some(Value::Bool(false)),
                }
            }
            Value::Bool(at.contains_key(last))
        }
        "bag_merge" => {
            let mut m = Map::new();
            for b in v {
                if let Some(o) = b.as_object() {
                    for (k, x) in o {
                        m.entry(k.clone()).or_insert_with(|| x.clone());
                    }
                }
            }
            Value::Object(m)
        }
        "bag_remove_keys" => {
            let mut m = first.as_object()?.clone();
            for k in items(v.get(1)?) {
                if let Some(k) = k.as_str() {
                    let (last, parents) = bag_path(k);
                    let mut at = Some(&mut m);
                    for p in parents {
                        at = at.and_then(|o| o.get_mut(p)).and_then(Value::as_object_mut);
                    }
                    if let Some(o) = at {
                        o.remove(last);
                    }
                }
            }
            Value::Object(m)
        }
        "bag_zip" => {
            let (keys, values) = (items(v.first()?), items(v.get(1)?));
            Value::Object(
                keys.iter()
                    .enumerate()
                    .filter_map(|(i, k)| {
                        let k = k.as_str()?;
                        Some((k.to_string(), values.get(i).cloned().unwrap_or(Value::Null)))
                    })
                    .collect(),
            )
        }
        "zip" => {
            let arrays: Vec<Vec<Value>> = v.iter().map(items).collect();
            let len = arrays.iter().map(Vec::len).max().unwrap_or(0);
            Value::Array(
                (0..len)
                    .map(|i| {
                        Value::Array(
                            arrays
                                .iter()
                                .map(|a| a.get(i).cloned().unwrap_or(Value::Null))
                                .collect(),
                        )
                    })
                    .collect(),
            )
        }
        "bag_set_key" => return crate::array_shape::set_key(v),
        other => {
            return crate::array_shape::apply(other, v)
                .or_else(|| crate::json_text::apply(other, v))
                .or_else(|| crate::sketches::apply(other, v))
                .or_else(|| crate::build_schema::apply(other, v))
                .or_else(|| crate::geo::apply(other, v));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_and_array_operations() {
        let a = json!([1, 2, 3, 2]);
        let b = json!([2, 4]);
        assert_eq!(
            apply("set_union", &[a.clone(), b.clone()]),
            Some(json!([1, 2, 3, 4]))
        );
        assert_eq!(
            apply("set_intersect", &[a.clone(), b.clone()]),
            Some(json!([2]))
        );
        assert_eq!(
            apply("set_difference", &[a.clone(), b.clone()]),
            Some(json!([1, 3]))
        );
        assert_eq!(
            apply("array_slice", &[a.clone(), json!(1), json!(-2)]),
            Some(json!([2, 3]))
        );
        assert_eq!(
            apply("array_sort_desc", std::slice::from_ref(&a)),
            Some(json!([3, 2, 2, 1]))
        );
        assert_eq!(apply("array_index_of", &[a, json!(3)]), Some(json!(2)));
        assert_eq!(
            apply("bag_keys", &[json!({"x": 1, "y": 2})]),
            Some(json!(["x", "y"]))
        );
        assert_eq!(
            apply("zip", &[json!([1, 2]), json!(["a"])]),
            Some(json!([[1, "a"], [2, null]]))
        );
    }
}
