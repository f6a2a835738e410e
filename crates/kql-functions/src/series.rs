//! Time-series functions over the dynamic arrays `make-series` produces: `series_fit_line`,
//! `series_stats`, `series_outliers`, `series_decompose` and `series_decompose_anomalies`.
//!
//! Functions with several results (`(slope, ...) = series_fit_line(y)`) return a JSON array
//! with one element per result; [`outputs`] names and types them for the binder.

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

/// The results of a function with several, as (name, type); None for other functions.
pub fn outputs(function: &str) -> Option<&'static [(&'static str, KType)]> {
    use KType::{Dynamic as D, Long as L, Real as R};
    Some(match function {
        "series_fit_line" => &[
            ("rsquare", R),
            ("slope", R),
            ("variance", R),
            ("rvariance", R),
            ("interception", R),
            ("line_fit", D),
        ],
        "series_stats" => &[
            ("min", R),
            ("min_idx", L),
            ("max", R),
            ("max_idx", L),
            ("avg", R),
            ("stdev", R),
            ("variance", R),
        ],
        "series_decompose" => &[
            ("baseline", D),
            ("seasonal", D),
            ("trend", D),
            ("residual", D),
        ],
        "series_decompose_anomalies" => &[("ad_flag", D), ("ad_score", D), ("baseline", D)],
        _ => return None,
    })
}

/// `kql_series(name, series, options...)`: one UDF for the family; the options are constants.
static SERIES: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_series", DataType::Utf8, series_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![SERIES.clone()]
}

macro_rules! f {
    ($name:literal, $min:expr, $max:expr, $doc:literal) => {
        FunctionSpec {
            name: $name,
            aliases: &[],
            min_args: $min,
            max_args: $max,
            kind: Scalar(|_: &CallCtx, a| bind($name, a)),
            doc: $doc,
        }
    };
}

pub static SERIES_FUNCTIONS: &[FunctionSpec] = &[
    f!(
        "series_fit_line",
        1,
        1,
        "A least-squares line through a series: rsquare, slope, variance, rvariance, interception, line_fit."
    ),
    f!(
        "series_stats",
        1,
        2,
        "min, min_idx, max, max_idx, avg, stdev and variance of a series."
    ),
    f!(
        "series_outliers",
        1,
        5,
        "Tukey-fence anomaly scores of a series (10th-90th percentile range by default)."
    ),
    f!(
        "series_decompose",
        1,
        5,
        "A series split into baseline, seasonal, trend and residual components."
    ),
    f!(
        "series_decompose_anomalies",
        1,
        7,
        "Anomalies of a series' residuals after decomposition: ad_flag, ad_score, baseline."
    ),
];

fn bind(name: &'static str, a: Vec<Typed>) -> Result<Typed, String> {
    let mut args = vec![lit(name)];
    let mut it = a.into_iter();
    let series = it
        .next()
        .ok_or_else(|| format!("{name}() needs a series"))?;
    if series.ty != KType::Dynamic {
        return Err(format!("{name}() needs a dynamic array, not {}", series.ty));
    }
    args.push(series.expr);
    for opt in it {
        args.push(crate::coerce::to_text(&opt));
    }
    Ok(Typed::new(SERIES.call(args), KType::Dynamic))
}

fn series_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let name = strings(args, 0)?.get(0).unwrap_or("").to_string();
    let series = strings(args, 1)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 64);
    for r in 0..rows {
        let Some(text) = series.get(r) else {
            out.append_null();
            continue;
        };
        let Value::Array(items) = crate::dynamic::parse_stored(text) else {
            out.append_null();
            continue;
        };
        let y: Vec<f64> = items.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
        let opt = |i: usize| -> Option<String> {
            strings(args, i + 2)
                .ok()
                .and_then(|s| s.get(r).map(str::to_string))
                .filter(|s| !s.is_empty())
        };
        let num = |i: usize, default: f64| opt(i).and_then(|s| s.parse().ok()).unwrap_or(default);
        let value = match name.as_str() {
            "series_fit_line" => fit_line_outputs(&y),
            "series_stats" => stats(&y),
            "series_outliers" => {
                let (lo, hi) = match opt(0).as_deref() {
                    Some("tukey") => (25.0, 75.0),
                    _ => (num(2, 10.0), num(3, 90.0)),
                };
                reals(&outlier_scores(&y, lo, hi))
            }
            "series_decompose" => {
                let d = decompose(
                    &y,
                    num(0, -1.0),
                    opt(1).as_deref(),
                    num(2, 0.0),
                    num(3, 0.6),
                );
                Value::Array(vec![
                    reals(&d.baseline),
                    reals(&d.seasonal),
                    reals(&d.trend),
                    reals(&d.residual),
                ])
            }
            _ => {
                let threshold = num(0, 1.5);
                let d = decompose(
                    &y,
                    num(1, -1.0),
                    Some(opt(2).as_deref().unwrap_or("linefit")),
                    num(3, 0.0),
                    num(5, 0.6),
                );
                let (lo, hi) = match opt(4).as_deref() {
                    Some("tukey") => (25.0, 75.0),
                    _ => (10.0, 90.0),
                };
                let scores = outlier_scores(&d.residual, lo, hi);
                let flags: Vec<Value> = scores
                    .iter()
                    .map(|s| {
                        Value::from(if *s > threshold {
                            1
                        } else if *s < -threshold {
                            -1
                        } else {
                            0
                        })
                    })
                    .collect();
                Value::Array(vec![
                    Value::Array(flags),
                    reals(&scores),
                    reals(&d.baseline),
                ])
            }
        };
        out.append_value(value.to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn reals(v: &[f64]) -> Value {
    Value::Array(v.iter().map(|x| real(*x)).collect())
}

pub(crate) fn real(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn mean(y: &[f64]) -> f64 {
    if y.is_empty() {
        return f64::NAN;
    }
    y.iter().sum::<f64>() / y.len() as f64
}

/// The sample variance.
fn variance(y: &[f64]) -> f64 {
    if y.len() < 2 {
        return 0.0;
    }
    let m = mean(y);
    y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (y.len() - 1) as f64
}

/// Slope and interception of the least-squares line over x = 0, 1, ...
fn fit_line(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    if y.len() < 2 {
        return (0.0, y.first().copied().unwrap_or(0.0));
    }
    let mx = (n - 1.0) / 2.0;
    let my = mean(y);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dx = i as f64 - mx;
        sxy += dx * (v - my);
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

fn fit_line_outputs(y: &[f64]) -> Value {
    let (slope, icept) = fit_line(y);
    let line: Vec<f64> = (0..y.len()).map(|i| icept + slope * i as f64).collect();
    let resid: Vec<f64> = y.iter().zip(&line).map(|(a, b)| a - b).collect();
    let m = mean(y);
    let ss_tot: f64 = y.iter().map(|v| (v - m).powi(2)).sum();
    let ss_res: f64 = resid.iter().map(|v| v * v).sum();
    let rsquare = if ss_tot == 0.0 {
        1.0
    } else {
        1.0 - ss_res / ss_tot
    };
    Value::Array(vec![
        real(rsquare),
        real(slope),
        real(variance(y)),
        real(variance(&resid)),
        real(icept),
        reals(&line),
    ])
}

pub(crate) fn stats(y: &[f64]) -> Value {
    let (mut min_i, mut max_i) = (0usize, 0usize);
    for (i, v) in y.iter().enumerate() {
        if *v < y[min_i] {
            min_i = i;
        }
        if *v > y[max_i] {
            max_i = i;
        }
    }
    let var = variance(y);
    Value::Array(vec![
        y.get(min_i).map_or(Value::Null, |v| real(*v)),
        Value::from(min_i),
        y.get(max_i).map_or(Value::Null, |v| real(*v)),
        Value::from(max_i),
        real(mean(y)),
        real(var.sqrt()),
        real(var),
    ])
}

/// The `p`th percentile (0-100) by linear interpolation between the closest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Tukey-fence scores: how many inter-percentile ranges a value lies beyond the range.
fn outlier_scores(y: &[f64], lo_p: f64, hi_p: f64) -> Vec<f64> {
    let mut sorted = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (q1, q3) = (percentile(&sorted, lo_p), percentile(&sorted, hi_p));
    let range = q3 - q1;
    y.iter()
        .map(|v| {
            let beyond = if *v > q3 {
                v - q3
            } else if *v < q1 {
                v - q1
            } else {
                0.0
            };
            match (beyond, range > 0.0) {
                (0.0, _) => 0.0,
                (b, true) => b / range,
                // No spread: any departure is extreme.
                (b, false) => b.signum() * 10.0,
            }
        })
        .collect()
}

struct Decomposition {
    baseline: Vec<f64>,
    seasonal: Vec<f64>,
    trend: Vec<f64>,
    residual: Vec<f64>,
}

/// Seasonal (per-phase mean) plus trend (`linefit`, `avg` or `none`) on the deseasonalised
/// series; the last `test_points` are predicted, not learned.
fn decompose(
    y: &[f64],
    seasonality: f64,
    trend: Option<&str>,
    test_points: f64,
    threshold: f64,
) -> Decomposition {
    let n = y.len();
    let test = (test_points.max(0.0) as usize).min(n);
    let train = &y[..n - test];
    let period = if seasonality < 0.0 {
        detect_period(train, threshold)
    } else {
        seasonality as usize
    };
    let mut seasonal = vec![0.0; n];
    if period >= 2 && period < train.len() {
        for phase in 0..period {
            let vals: Vec<f64> = train.iter().skip(phase).step_by(period).copied().collect();
            let m = mean(&vals);
            for i in (phase..n).step_by(period) {
                seasonal[i] = m;
            }
        }
    }
    let deseasoned: Vec<f64> = train.iter().zip(&seasonal).map(|(a, b)| a - b).collect();
    let trend: Vec<f64> = match trend.unwrap_or("avg") {
        "linefit" => {
            let (slope, icept) = fit_line(&deseasoned);
            (0..n).map(|i| icept + slope * i as f64).collect()
        }
        "none" => vec![0.0; n],
        _ => {
            let m = mean(&deseasoned);
            vec![if m.is_nan() { 0.0 } else { m }; n]
        }
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(a, b)| a + b).collect();
    let residual = y.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    Decomposition {
        baseline,
        seasonal,
        trend,
        residual,
    }
}

/// The period with the strongest autocorrelation of the detrended series, if it reaches
/// `threshold`; 0 when none does.
pub(crate) fn detect_period(y: &[f64], threshold: f64) -> usize {
    let n = y.len();
    if n < 8 {
        return 0;
    }
    let (slope, icept) = fit_line(y);
    let d: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, v)| v - (icept + slope * i as f64))
        .collect();
    let var: f64 = d.iter().map(|v| v * v).sum();
    if var == 0.0 {
        return 0;
    }
    let mut best = (0, threshold);
    for p in 2..=n / 2 {
        let acf: f64 = (0..n - p).map(|i| d[i] * d[i + p]).sum::<f64>() / var;
        if acf >= best.1 {
            best = (p, acf);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_through_points() {
        let (slope, icept) = fit_line(&[1.0, 3.0, 5.0, 7.0]);
        assert!((slope - 2.0).abs() < 1e-9 && (icept - 1.0).abs() < 1e-9);
    }

    #[test]
    fn spike_is_an_anomaly() {
        let mut y = vec![10.0; 30];
        y[20] = 100.0;
        let d = decompose(&y, -1.0, Some("linefit"), 0.0, 0.6);
        let scores = outlier_scores(&d.residual, 10.0, 90.0);
        assert!(scores[20] > 1.5, "{scores:?}");
        assert!(scores[5].abs() <= 1.5);
    }

    #[test]
    fn weekly_period_is_found() {
        let y: Vec<f64> = (0..56)
            .map(|i| if i % 7 == 0 { 50.0 } else { 5.0 })
            .collect();
        assert_eq!(detect_period(&y, 0.6), 7);
    }
}
