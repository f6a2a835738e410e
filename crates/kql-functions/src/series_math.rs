//! Element-wise series functions (`series_abs`, `series_add`, `series_greater`, ...), the
//! gap fillers (`series_fill_const`, `_forward`, `_backward`, `_linear`) and the pairwise
//! measures (`series_dot_product`, `series_cosine_similarity`, `series_pearson_correlation`),
//! plus `series_stats_dynamic`. A numeric scalar argument stands for a series of its value;
//! a non-numeric or missing element gives a null element.

use crate::coerce::to_dynamic;
use crate::series::{detect_period, real, stats};
use crate::table::{CallCtx, FunctionKind::Scalar, FunctionSpec};
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use serde_json::Value;
use std::sync::{Arc, LazyLock};

/// `kql_series_math(name, a, b, ...)`: every argument is dynamic JSON text.
static SERIES_MATH: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_series_math", DataType::Utf8, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![SERIES_MATH.clone()]
}

macro_rules! f {
    ($name:literal, $min:expr, $max:expr, $ty:expr, $doc:literal) => {
        FunctionSpec {
            name: $name,
            aliases: &[],
            min_args: $min,
            max_args: $max,
            kind: Scalar(|_: &CallCtx, a| Ok(bind($name, a, $ty))),
            doc: $doc,
        }
    };
}

use KType::{Dynamic as D, Real as R};

pub static SERIES_MATH_FUNCTIONS: &[FunctionSpec] = &[
    f!("series_abs", 1, 1, D, "The absolute value of each element."),
    f!("series_acos", 1, 1, D, "The arc cosine of each element."),
    f!("series_asin", 1, 1, D, "The arc sine of each element."),
    f!("series_atan", 1, 1, D, "The arc tangent of each element."),
    f!("series_ceiling", 1, 1, D, "Each element rounded up."),
    f!("series_cos", 1, 1, D, "The cosine of each element."),
    f!("series_exp", 1, 1, D, "e to the power of each element."),
    f!("series_floor", 1, 1, D, "Each element rounded down."),
    f!(
        "series_log",
        1,
        1,
        D,
        "The natural logarithm of each element."
    ),
    f!(
        "series_sign",
        1,
        1,
        D,
        "-1, 0 or 1 by the sign of each element."
    ),
    f!("series_sin", 1, 1, D, "The sine of each element."),
    f!("series_tan", 1, 1, D, "The tangent of each element."),
    f!("series_add", 2, 2, D, "Element-wise sum of two series."),
    f!(
        "series_subtract",
        2,
        2,
        D,
        "Element-wise difference of two series."
    ),
    f!(
        "series_multiply",
        2,
        2,
        D,
        "Element-wise product of two series."
    ),
    f!(
        "series_divide",
        2,
        2,
        D,
        "Element-wise quotient of two series."
    ),
    f!("series_pow", 2, 2, D, "Element-wise power of two series."),
    f!("series_greater", 2, 2, D, "Element-wise a > b."),
    f!("series_greater_equals", 2, 2, D, "Element-wise a >= b."),
    f!("series_less", 2, 2, D, "Element-wise a < b."),
    f!("series_less_equals", 2, 2, D, "Element-wise a <= b."),
    f!("series_equals", 2, 2, D, "Element-wise a == b."),
    f!("series_not_equals", 2, 2, D, "Element-wise a != b."),
    f!(
        "series_fill_const",
        2,
        3,
        D,
        "Missing elements replaced by a constant."
    ),
    f!(
        "series_fill_forward",
        1,
        2,
        D,
        "Missing elements take the last value before them."
    ),
    f!(
        "series_fill_backward",
        1,
        2,
        D,
        "Missing elements take the next value after them."
    ),
    f!(
        "series_fill_linear",
        1,
        4,
        D,
        "Missing elements interpolated linearly; edges take the nearest value (or a constant)."
    ),
    f!(
        "series_dot_product",
        2,
        2,
        R,
        "The dot product of two series."
    ),
    f!(
        "series_cosine_similarity",
        2,
        4,
        R,
        "The cosine of the angle between two series."
    ),
    f!(
        "series_pearson_correlation",
        2,
        2,
        R,
        "The Pearson correlation coefficient of two series."
    ),
    f!(
        "series_iir",
        3,
        3,
        D,
        "An infinite impulse response filter: numerator and denominator coefficients applied to a series."
    ),
    f!(
        "series_seasonal",
        1,
        2,
        D,
        "The seasonal component: each point is the median of its phase (period detected, or given)."
    ),
    f!(
        "series_stats_dynamic",
        1,
        2,
        D,
        "min, min_idx, max, max_idx, avg, stdev, variance, sum and len of a series, as a bag."
    ),
];

fn bind(name: &'static str, a: Vec<Typed>, ty: KType) -> Typed {
    let mut args = vec![lit(name)];
    args.extend(a.into_iter().map(|t| to_dynamic(t).expr));
    let text = SERIES_MATH.call(args);
    if ty == KType::Real {
        let real = datafusion::logical_expr::cast(text, DataType::Float64);
        return Typed::new(real, KType::Real);
    }
    Typed::new(text, ty)
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let name = strings(args, 0)?.get(0).unwrap_or("").to_string();
    let inputs: Vec<_> = (1..args.len())
        .map(|i| strings(args, i))
        .collect::<Result<_>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        let values: Vec<Value> = inputs
            .iter()
            .map(|a| a.get(r).map_or(Value::Null, crate::dynamic::parse_stored))
            .collect();
        match apply(&name, &values) {
            None | Some(Value::Null) => out.append_null(),
            Some(v) => out.append_value(v.to_string()),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The result for one row; None is null.
fn apply(name: &str, args: &[Value]) -> Option<Value> {
    let first = args.first()?;
    let unary = |f: fn(f64) -> f64| Some(map(first, |x| x.map(f).map_or(Value::Null, real)));
    let binary = |f: fn(f64, f64) -> Value| {
        let (a, b) = pair(first, args.get(1)?)?;
        Some(Value::Array(
            a.iter()
                .zip(&b)
                .map(|(x, y)| match (x, y) {
                    (Some(x), Some(y)) => f(*x, *y),
                    _ => Value::Null,
                })
                .collect(),
        ))
    };
    match name {
        "series_abs" => unary(f64::abs),
        "series_acos" => unary(f64::acos),
        "series_asin" => unary(f64::asin),
        "series_atan" => unary(f64::atan),
        "series_ceiling" => unary(f64::ceil),
        "series_cos" => unary(f64::cos),
        "series_exp" => unary(f64::exp),
        "series_floor" => unary(f64::floor),
        "series_log" => unary(f64::ln),
        "series_sign" => unary(|x| if x == 0.0 { 0.0 } else { x.signum() }),
        "series_sin" => unary(f64::sin),
        "series_tan" => unary(f64::tan),
        "series_add" => binary(|x, y| real(x + y)),
        "series_subtract" => binary(|x, y| real(x - y)),
        "series_multiply" => binary(|x, y| real(x * y)),
        "series_divide" => binary(|x, y| real(x / y)),
        "series_pow" => binary(|x, y| real(x.powf(y))),
        "series_greater" => binary(|x, y| Value::Bool(x > y)),
        "series_greater_equals" => binary(|x, y| Value::Bool(x >= y)),
        "series_less" => binary(|x, y| Value::Bool(x < y)),
        "series_less_equals" => binary(|x, y| Value::Bool(x <= y)),
        "series_equals" => binary(|x, y| Value::Bool(x == y)),
        "series_not_equals" => binary(|x, y| Value::Bool(x != y)),
        "series_fill_const" => fill_const(first, args.get(1)?),
        "series_fill_forward" => fill_along(first, false),
        "series_fill_backward" => fill_along(first, true),
        "series_fill_linear" => fill_linear(first, args.get(2), args.get(3)),
        "series_dot_product" => {
            let (a, b) = pair(first, args.get(1)?)?;
            let dot: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| x.unwrap_or(0.0) * y.unwrap_or(0.0))
                .sum();
            Some(real(dot))
        }
        "series_cosine_similarity" => {
            let (a, b) = pair(first, args.get(1)?)?;
            let dot: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| x.unwrap_or(0.0) * y.unwrap_or(0.0))
                .sum();
            let norm = |v: &[Option<f64>]| {
                v.iter()
                    .map(|x| x.unwrap_or(0.0).powi(2))
                    .sum::<f64>()
                    .sqrt()
            };
            Some(real(dot / (norm(&a) * norm(&b))))
        }
        "series_pearson_correlation" => {
            let (a, b) = pair(first, args.get(1)?)?;
            Some(real(pearson(&a, &b)))
        }
        "series_stats_dynamic" => stats_bag(first),
        "series_iir" => iir(first, args.get(1)?, args.get(2)?),
        "series_seasonal" => seasonal(first, args.get(1)),
        _ => None,
    }
}

/// A series' elements as numbers, None where an element is not one.
type Series = Vec<Option<f64>>;

/// The elements of a series as numbers (None where not numeric); None when not a series.
fn numbers(v: &Value) -> Option<Series> {
    match v {
        Value::Array(items) => Some(items.iter().map(Value::as_f64).collect()),
        _ => None,
    }
}

fn map(v: &Value, f: impl Fn(Option<f64>) -> Value) -> Value {
    match numbers(v) {
        Some(xs) => Value::Array(xs.into_iter().map(f).collect()),
        None => Value::Null,
    }
}

/// Two series of one length: a scalar stands for a series of its value, and the shorter
/// series is padded with missing elements.
fn pair(a: &Value, b: &Value) -> Option<(Series, Series)> {
    let (xa, xb) = match (numbers(a), numbers(b)) {
        (Some(xa), Some(xb)) => (xa, xb),
        (Some(xa), None) => {
            let n = xa.len();
            (xa, vec![Some(b.as_f64()?); n])
        }
        (None, Some(xb)) => (vec![Some(a.as_f64()?); xb.len()], xb),
        (None, None) => return None,
    };
    let n = xa.len().max(xb.len());
    let pad = |mut v: Series| {
        v.resize(n, None);
        v
    };
    Some((pad(xa), pad(xb)))
}

fn fill_const(series: &Value, constant: &Value) -> Option<Value> {
    let Value::Array(items) = series else {
        return None;
    };
    Some(Value::Array(
        items
            .iter()
            .map(|v| {
                if v.is_null() {
                    constant.clone()
                } else {
                    v.clone()
                }
            })
            .collect(),
    ))
}

/// Missing elements take the previous present value (or, `backward`, the next one).
fn fill_along(series: &Value, backward: bool) -> Option<Value> {
    let Value::Array(items) = series else {
        return None;
    };
    let mut out = items.clone();
    let mut last = Value::Null;
    let order: Box<dyn Iterator<Item = usize>> = if backward {
        Box::new((0..out.len()).rev())
    } else {
        Box::new(0..out.len())
    };
    for i in order {
        if out[i].is_null() {
            out[i] = last.clone();
        } else {
            last = out[i].clone();
        }
    }
    Some(Value::Array(out))
}

/// Linear interpolation between present values; the edges take the nearest present value
/// (or `constant`) unless `fill_edges` is false. Integer series stay integers (truncated).
fn fill_linear(
    series: &Value,
    fill_edges: Option<&Value>,
    constant: Option<&Value>,
) -> Option<Value> {
    let Value::Array(items) = series else {
        return None;
    };
    let integers = items
        .iter()
        .all(|v| v.is_null() || v.is_i64() || v.is_u64());
    let xs: Vec<Option<f64>> = items.iter().map(Value::as_f64).collect();
    let present: Vec<usize> = (0..xs.len()).filter(|i| xs[*i].is_some()).collect();
    let fill_edges = fill_edges.and_then(Value::as_bool).unwrap_or(true);
    let constant = constant.and_then(Value::as_f64);
    let number = |x: f64| {
        if integers {
            Value::from(x.trunc() as i64)
        } else {
            real(x)
        }
    };
    let mut out = items.clone();
    let (Some(&first), Some(&last)) = (present.first(), present.last()) else {
        return Some(Value::Array(out));
    };
    for (i, cell) in out.iter_mut().enumerate() {
        if xs[i].is_some() {
            continue;
        }
        if i < first || i > last {
            if fill_edges {
                let edge = constant.or(xs[if i < first { first } else { last }]);
                *cell = edge.map_or(Value::Null, number);
            }
            continue;
        }
        let before = present
            .iter()
            .rev()
            .find(|p| **p < i)
            .copied()
            .unwrap_or(first);
        let after = present.iter().find(|p| **p > i).copied().unwrap_or(last);
        let (y0, y1) = (xs[before].unwrap_or(0.0), xs[after].unwrap_or(0.0));
        let t = (i - before) as f64 / (after - before) as f64;
        *cell = number(y0 + (y1 - y0) * t);
    }
    Some(Value::Array(out))
}

fn pearson(a: &[Option<f64>], b: &[Option<f64>]) -> f64 {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = pairs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let vy: f64 = pairs.iter().map(|(_, y)| (y - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// `y[n] = (Σ b[k]·x[n-k] − Σ_{k≥1} a[k]·y[n-k]) / a[0]`; missing elements count as 0.
fn iir(series: &Value, numerators: &Value, denominators: &Value) -> Option<Value> {
    let x: Vec<f64> = numbers(series)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let b: Vec<f64> = numbers(numerators)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let a: Vec<f64> = numbers(denominators)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let a0 = *a.first().filter(|a0| **a0 != 0.0)?;
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for n in 0..x.len() {
        let feed: f64 = (0..b.len().min(n + 1)).map(|k| b[k] * x[n - k]).sum();
        let back: f64 = (1..a.len().min(n + 1)).map(|k| a[k] * y[n - k]).sum();
        y.push((feed - back) / a0);
    }
    Some(Value::Array(y.into_iter().map(real).collect()))
}

/// Each point replaced by the median of the points at its phase of the period.
fn seasonal(series: &Value, period: Option<&Value>) -> Option<Value> {
    let y: Vec<f64> = numbers(series)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let period = match period.and_then(Value::as_f64) {
        Some(p) if p >= 1.0 => p as usize,
        _ => detect_period(&y, 0.6),
    };
    if period < 1 || period > y.len() {
        return Some(Value::Array(vec![real(0.0); y.len()]));
    }
    let medians: Vec<f64> = (0..period)
        .map(|phase| {
            let mut vals: Vec<f64> = y.iter().skip(phase).step_by(period).copied().collect();
            vals.sort_by(f64::total_cmp);
            let m = vals.len() / 2;
            if vals.len().is_multiple_of(2) {
                (vals[m - 1] + vals[m]) / 2.0
            } else {
                vals[m]
            }
        })
        .collect();
    Some(Value::Array(
        (0..y.len()).map(|i| real(medians[i % period])).collect(),
    ))
}

fn stats_bag(series: &Value) -> Option<Value> {
    let xs: Vec<f64> = numbers(series)?.into_iter().flatten().collect();
    let Value::Array(values) = stats(&xs) else {
        return None;
    };
    let names = [
        "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance",
    ];
    let mut bag: serde_json::Map<String, Value> =
        names.iter().map(|n| n.to_string()).zip(values).collect();
    bag.insert("sum".into(), real(xs.iter().sum()));
    bag.insert("len".into(), Value::from(xs.len()));
    Some(Value::Object(bag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn element_wise_with_scalars_and_gaps() {
        let add = apply("series_add", &[json!([1, 2, 3]), json!([10, 20])]).unwrap();
        assert_eq!(add, json!([11.0, 22.0, null]));
        let dot = apply("series_dot_product", &[json!([1, 2, 4]), json!(1)]).unwrap();
        assert_eq!(dot, json!(7.0));
        let fill = apply("series_fill_linear", &[json!([null, 111, null, 36, null])]).unwrap();
        assert_eq!(fill, json!([111, 111, 73, 36, 36]));
        let fwd = apply("series_fill_forward", &[json!([null, 1, null, 3])]).unwrap();
        assert_eq!(fwd, json!([null, 1, 1, 3]));
    }
}
