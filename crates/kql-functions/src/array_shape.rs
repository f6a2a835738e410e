//! Array and bag operations that move, split or pick elements: `array_shift_left`/`_right`,
//! `array_rotate_left`/`_right`, `array_split`, `array_iff`, `bag_set_key`, `jaccard_index`,
//! and array sorting with nulls first or last. Part of the `kql_json_op` family.

use serde_json::{Map, Value};

/// The operations of this module.
pub const OPS: &[&str] = &[
    "array_shift_left",
    "array_shift_right",
    "array_rotate_left",
    "array_rotate_right",
    "array_split",
    "array_iff",
    "bag_set_key",
    "jaccard_index",
    "bag_drop_empty",
];

/// One operation on one row's values; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    if op == "bag_drop_empty" {
        // pack_all(true): the bag without its null and empty values.
        return Some(Value::Object(
            v.first()?
                .as_object()?
                .iter()
                .filter(|(_, x)| !(x.is_null() || x.as_str() == Some("")))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect(),
        ));
    }
    let items = v.first()?.as_array()?;
    let n = items.len() as i64;
    let count = || v.get(1).and_then(Value::as_i64).unwrap_or(0);
    Some(match op {
        "array_shift_left" | "array_shift_right" => {
            let by = if op == "array_shift_left" {
                count()
            } else {
                -count()
            };
            let fill = v.get(2).cloned().unwrap_or(Value::Null);
            Value::Array(
                (0..n)
                    .map(|i| {
                        let from = i + by;
                        if (0..n).contains(&from) {
                            items[from as usize].clone()
                        } else {
                            fill.clone()
                        }
                    })
                    .collect(),
            )
        }
        "array_rotate_left" | "array_rotate_right" => {
            let by = if op == "array_rotate_left" {
                count()
            } else {
                -count()
            };
            if n == 0 {
                return Some(Value::Array(Vec::new()));
            }
            let start = by.rem_euclid(n) as usize;
            let mut out = items[start..].to_vec();
            out.extend_from_slice(&items[..start]);
            Value::Array(out)
        }
        "array_split" => {
            let cuts: Vec<i64> = match v.get(1)? {
                Value::Array(c) => c.iter().filter_map(Value::as_i64).collect(),
                other => vec![other.as_i64()?],
            };
            let mut parts = Vec::new();
            let mut start = 0i64;
            for cut in cuts {
                let cut = if cut < 0 { n + cut } else { cut }.clamp(start, n);
                parts.push(Value::Array(items[start as usize..cut as usize].to_vec()));
                start = cut;
            }
            parts.push(Value::Array(items[start as usize..].to_vec()));
            Value::Array(parts)
        }
        "array_iff" => {
            let pick = |branch: &Value, i: usize| match branch {
                Value::Array(b) => b.get(i).cloned().unwrap_or(Value::Null),
                scalar => scalar.clone(),
            };
            let (yes, no) = (v.get(1)?, v.get(2)?);
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match truth(c) {
                        Some(true) => pick(yes, i),
                        Some(false) => pick(no, i),
                        None => Value::Null,
                    })
                    .collect(),
            )
        }
        "jaccard_index" => {
            let other = v.get(1)?.as_array()?;
            let mut union: Vec<&Value> = Vec::new();
            for x in items.iter().chain(other) {
                if !union.contains(&x) {
                    union.push(x);
                }
            }
            let both = union
                .iter()
                .filter(|x| items.contains(x) && other.contains(x))
                .count();
            Value::from(both as f64 / union.len() as f64)
        }
        _ => return None,
    })
}

/// `bag_set_key(bag, key, value)`: a key, or a `$.a.b` path whose missing bags are made.
pub fn set_key(v: &[Value]) -> Option<Value> {
    let mut bag = v.first()?.as_object()?.clone();
    let key = v.get(1)?.as_str()?;
    let value = v.get(2).cloned().unwrap_or(Value::Null);
    let path: Vec<&str> = match key.strip_prefix("$.") {
        Some(path) => path.split('.').collect(),
        None => vec![key],
    };
    let (last, parents) = path.split_last()?;
    let mut at: &mut Map<String, Value> = &mut bag;
    for p in parents {
        let slot = at
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        at = slot.as_object_mut()?;
    }
    at.insert(last.to_string(), value);
    Some(Value::Object(bag))
}

/// A condition element as Kusto reads it: booleans, and numbers (non-zero is true).
fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|x| x != 0.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shifts_rotations_splits_and_picks() {
        let a = json!([1, 2, 3, 4, 5]);
        let op = |name, rest: &[Value]| {
            let mut args = vec![a.clone()];
            args.extend_from_slice(rest);
            apply(name, &args).unwrap()
        };
        assert_eq!(
            op("array_shift_left", &[json!(2)]),
            json!([3, 4, 5, null, null])
        );
        assert_eq!(
            op("array_shift_left", &[json!(-2), json!(-1)]),
            json!([-1, -1, 1, 2, 3])
        );
        assert_eq!(
            op("array_rotate_left", &[json!(-2)]),
            json!([4, 5, 1, 2, 3])
        );
        assert_eq!(
            op("array_rotate_right", &[json!(2)]),
            json!([4, 5, 1, 2, 3])
        );
        assert_eq!(
            op("array_split", &[json!([1, 3])]),
            json!([[1], [2, 3], [4, 5]])
        );
        let iff = apply(
            "array_iff",
            &[json!([true, 0, "x"]), json!([1, 2, 3]), json!("no")],
        );
        assert_eq!(iff, Some(json!([1, "no", null])));
        let bag = set_key(&[json!({"a": 1}), json!("$.b.c"), json!(2)]);
        assert_eq!(bag, Some(json!({"a": 1, "b": {"c": 2}})));
    }
}
