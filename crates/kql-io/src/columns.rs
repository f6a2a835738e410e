//! JSON values into typed Arrow columns. A value that does not fit its column's type is
//! null, as Kusto ingestion does; strings are never null (missing is "").

use crate::json::Row;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_types::{KType, parse_datetime, parse_timespan};
use serde_json::Value;
use std::sync::Arc;

/// A batch, and per column how many values did not fit the column's type (nonzero only).
pub struct Built {
    pub batch: RecordBatch,
    pub nulled: Vec<(String, usize)>,
}

pub fn build_batch(rows: &[Row], columns: &[(String, KType)]) -> Result<Built, String> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| t.field(n.clone()))
            .collect::<Vec<_>>(),
    ));
    // Columns are built on every core (each thread takes every n-th column).
    let one = |(name, ty): &(String, KType)| -> Result<(ArrayRef, usize), String> {
        let mut misfits = 0;
        let array = build_column(
            rows.iter().map(|r| r.get(name)),
            *ty,
            rows.len(),
            &mut misfits,
        )?;
        Ok((array, misfits))
    };
    let threads = if rows.len() < 10_000 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(columns.len().max(1)))
    };
    let mut built: Vec<Option<Result<(ArrayRef, usize), String>>> = vec![None; columns.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..columns.len())
                        .step_by(threads)
                        .map(|c| (c, one(&columns[c])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(done) => done.into_iter().for_each(|(c, r)| built[c] = Some(r)),
                Err(_) => built.iter_mut().for_each(|b| {
                    b.get_or_insert_with(|| Err("a loader thread failed".into()));
                }),
            }
        }
    });
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    let mut nulled = Vec::new();
    for ((name, _), result) in columns.iter().zip(built) {
        let (array, misfits) = result.unwrap_or_else(|| Err("a column was not built".into()))?;
        arrays.push(array);
        if misfits > 0 {
            nulled.push((name.clone(), misfits));
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    let batch =
        RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| e.to_string())?;
    Ok(Built { batch, nulled })
}

/// Converts one value with `convert`; a value present but not convertible counts as a misfit.
/// Null, missing and empty-string values are simply null.
fn fit<'a, T>(
    v: Option<&'a Value>,
    convert: impl Fn(&'a Value) -> Option<T>,
    misfits: &mut usize,
) -> Option<T> {
    let v = v.filter(|v| !v.is_null() && v.as_str() != Some(""))?;
    let out = convert(v);
    if out.is_none() {
        *misfits += 1;
    }
    out
}

fn build_column<'a>(
    values: impl Iterator<Item = Option<&'a Value>>,
    ty: KType,
    n: usize,
    misfits: &mut usize,
) -> Result<ArrayRef, String> {
    Ok(match ty {
        KType::String | KType::Guid => {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            for v in values {
                b.append_value(text_of(v));
            }
            Arc::new(b.finish())
        }
        KType::Dynamic => {
            let mut b = StringBuilder::with_capacity(n, n * 32);
            for v in values {
                b.append_option(dynamic_of(v));
            }
            Arc::new(b.finish())
        }
        KType::Long => {
            let mut b = Int64Builder::with_capacity(n);
            for v in values {
                b.append_option(fit(v, long_of, misfits));
            }
            Arc::new(b.finish())
        }
        KType::Int => {
            let mut b = Int32Builder::with_capacity(n);
            for v in values {
                let int = |v| long_of(v).and_then(|x| i32::try_from(x).ok());
                b.append_option(fit(v, int, misfits));
            }
            Arc::new(b.finish())
        }
        KType::Real | KType::Decimal => {
            let mut b = Float64Builder::with_capacity(n);
            for v in values {
                b.append_option(fit(v, real_of, misfits));
            }
            real_column(b.finish(), ty)?
        }
        KType::Bool => {
            let mut b = BooleanBuilder::with_capacity(n);
            for v in values {
                b.append_option(fit(v, bool_of, misfits));
            }
            Arc::new(b.finish())
        }
        KType::Datetime => {
            let mut b = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
            for v in values {
                let datetime = |v: &Value| v.as_str().and_then(parse_datetime);
                b.append_option(fit(v, datetime, misfits));
            }
            Arc::new(b.finish())
        }
        KType::Timespan => {
            let mut b = DurationNanosecondBuilder::with_capacity(n);
            for v in values {
                let timespan = |v: &Value| v.as_str().and_then(parse_timespan);
                b.append_option(fit(v, timespan, misfits));
            }
            Arc::new(b.finish())
        }
    })
}

/// A real column as type `ty` (real, or decimal by a cast).
pub(crate) fn real_column(
    a: datafusion::arrow::array::Float64Array,
    ty: KType,
) -> Result<ArrayRef, String> {
    if ty == KType::Decimal {
        datafusion::arrow::compute::cast(&a, &ty.arrow_type()).map_err(|e| e.to_string())
    } else {
        Ok(Arc::new(a))
    }
}

pub(crate) fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A dynamic column holds JSON text. A string that is itself JSON (as exports often
/// write objects) is parsed, as Kusto ingestion into a dynamic column does.
pub(crate) fn dynamic_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(parsed @ (Value::Object(_) | Value::Array(_))) => Some(parsed.to_string()),
            _ => Some(Value::String(s.clone()).to_string()),
        },
        other => Some(other.to_string()),
    }
}

pub(crate) fn long_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

pub(crate) fn real_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        _ => None,
    }
}

pub(crate) fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}
