//! Kusto's sketches, kept exact: a `tdigest()` is the list of `[value, weight]` pairs it
//! summarises and an `hll()` the set of distinct values, both dynamic arrays. Percentiles
//! and ranks read them by Kusto's nearest rank, so results equal `percentile()`'s and the
//! distinct counts are exact (Kusto's are estimates). The price is memory: the sketches
//! grow with their input rather than staying a few kilobytes.

use crate::scalars_dynamic::op;
use crate::table::{FunctionSpec, scalar_fn as d};
use crate::typed::Typed;
use kql_types::KType;
use serde_json::Value;

/// The operations of this module.
pub const OPS: &[&str] = &[
    "percentile_weighted",
    "percentile_tdigest",
    "rank_tdigest",
    "merge_tdigest",
    "hll_merge",
    "dcount_hll",
];

/// `[value, weight]` pairs sorted by value; None when the input is not a digest.
fn pairs(v: &Value) -> Option<Vec<(f64, f64)>> {
    let mut out: Vec<(f64, f64)> = v
        .as_array()?
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .filter(|(_, w)| *w > 0.0)
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(out)
}

/// The smallest value with at least `p`% of the weight at or below it.
fn nearest_rank(pairs: &[(f64, f64)], p: f64) -> Option<f64> {
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    let rank = ((p / 100.0) * total).ceil().max(1.0);
    let mut seen = 0.0;
    for &(x, w) in pairs {
        seen += w;
        if seen >= rank {
            return Some(x);
        }
    }
    pairs.last().map(|p| p.0)
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// One operation on one row's values; None is a null result.
pub fn apply(name: &str, v: &[Value]) -> Option<Value> {
    let first = v.first()?;
    Some(match name {
        "percentile_weighted" | "percentile_tdigest" => {
            number(nearest_rank(&pairs(first)?, v.get(1)?.as_f64()?)?)
        }
        "rank_tdigest" => {
            let at = v.get(1)?.as_f64()?;
            let below: f64 = pairs(first)?
                .iter()
                .filter(|(x, _)| *x <= at)
                .map(|(_, w)| w)
                .sum();
            number(below)
        }
        "merge_tdigest" => Value::Array(
            v.iter()
                .filter_map(Value::as_array)
                .flatten()
                .cloned()
                .collect(),
        ),
        "hll_merge" => {
            let mut all: Vec<Value> = Vec::new();
            for x in v.iter().filter_map(Value::as_array).flatten() {
                if !all.contains(x) {
                    all.push(x.clone());
                }
            }
            Value::Array(all)
        }
        "dcount_hll" => Value::from(first.as_array()?.len() as i64),
        _ => return None,
    })
}

/// `percentile_tdigest(digest, p [, typeof(T)])`: the result has type T (real by default).
fn percentile_tdigest(mut args: Vec<Typed>) -> Result<Typed, String> {
    let ty = match args.get(2) {
        Some(t) => {
            let ty = t
                .as_type_arg()
                .ok_or("the third argument must be typeof(T)")?;
            args.truncate(2);
            ty
        }
        None => KType::Real,
    };
    if !matches!(ty, KType::Int | KType::Long | KType::Real) {
        return Err(format!("not supported yet: percentile_tdigest() as {ty}"));
    }
    op("percentile_tdigest", args, ty)
}

pub static SKETCHES: &[FunctionSpec] = &[
    d!(
        "percentile_tdigest",
        [],
        2,
        3,
        |_, a| percentile_tdigest(a),
        "The percentile of the values a tdigest() summarises (real, or the type given by typeof())."
    ),
    d!(
        "rank_tdigest",
        [],
        2,
        2,
        |_, a| op("rank_tdigest", a, KType::Long),
        "How many of the values a tdigest() summarises are at or below a value."
    ),
    d!(
        "merge_tdigest",
        [],
        1,
        usize::MAX,
        |_, a| op("merge_tdigest", a, KType::Dynamic),
        "One tdigest() of the values several summarise."
    ),
    d!(
        "hll_merge",
        [],
        1,
        usize::MAX,
        |_, a| op("hll_merge", a, KType::Dynamic),
        "One hll() of the values several summarise."
    ),
    d!(
        "dcount_hll",
        [],
        1,
        1,
        |_, a| op("dcount_hll", a, KType::Long),
        "The number of distinct values an hll() summarises."
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digests_give_nearest_rank_percentiles_and_ranks() {
        let d = json!([[10, 8], [20, 6], [30, 3], [40, 1]]);
        let p = |x: f64| apply("percentile_tdigest", &[d.clone(), json!(x)]).unwrap();
        assert_eq!(
            (p(50.0), p(75.0), p(99.9)),
            (json!(20), json!(20), json!(40))
        );
        assert_eq!(
            apply("rank_tdigest", &[d.clone(), json!(25)]),
            Some(json!(14))
        );
        let sets = [json!([1, 2]), json!([2, 3])];
        assert_eq!(apply("hll_merge", &sets), Some(json!([1, 2, 3])));
        assert_eq!(apply("dcount_hll", &[json!([1, 2, 3])]), Some(json!(3)));
    }
}
