//! Conversions to string: `tostring` of every Kusto type, with Kusto's text forms.

use crate::dynamic::parse_stored;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type, TimeUnit};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use kql_types::{datetime_text, format_real, format_timespan};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

/// `tostring` of a non-dynamic value; null becomes "".
pub static TOSTRING: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_tostring", DataType::Utf8, tostring_body));
/// `tostring` of a dynamic value: strings unquoted, null "", other values as compact JSON.
pub static DYN_TOSTRING: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_dyn_tostring", DataType::Utf8, dyn_tostring_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        TOSTRING.clone(),
        DYN_TOSTRING.clone(),
        TODATETIME.clone(),
        TOTIMESPAN.clone(),
        TOGUID.clone(),
    ]
}

/// The text of one stored dynamic value, as `tostring` gives it.
pub fn dynamic_text(json: &str) -> Cow<'_, str> {
    if let Some(text) = crate::stored_json::tostring_text(json) {
        return text;
    }
    Cow::Owned(match parse_stored(json) {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn dyn_tostring_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for r in 0..rows {
        out.append_value(input.get(r).map(dynamic_text).unwrap_or_default());
    }
    Ok(Arc::new(out.finish()))
}

fn tostring_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    let text = |r: usize| -> Result<String> {
        if a.is_null(r) {
            return Ok(String::new());
        }
        Ok(match a.data_type() {
            DataType::Float64 => format_real(a.as_primitive::<Float64Type>().value(r)),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => datetime_text(
                a.as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>()
                    .value(r),
            ),
            DataType::Duration(TimeUnit::Nanosecond) => format_timespan(
                a.as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>()
                    .value(r),
            ),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                strings(std::slice::from_ref(a), 0)?
                    .get(r)
                    .unwrap_or("")
                    .to_string()
            }
            _ => {
                let s = datafusion::arrow::util::display::array_value_to_string(a, r)?;
                s.to_string()
            }
        })
    };
    for r in 0..rows {
        out.append_value(text(r)?);
    }
    Ok(Arc::new(out.finish()))
}

/// `todatetime` of text: the forms Kusto accepts, else null.
pub static TODATETIME: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    KqlUdf::new_udf(
        "kql_todatetime",
        kql_types::KType::Datetime.arrow_type(),
        |args, rows| {
            let input = strings(args, 0)?;
            let mut out = datafusion::arrow::array::TimestampNanosecondBuilder::with_capacity(rows)
                .with_timezone("UTC");
            for r in 0..rows {
                out.append_option(input.get(r).and_then(kql_types::parse_datetime));
            }
            Ok(Arc::new(out.finish()))
        },
    )
});

/// `totimespan` of text, else null.
pub static TOTIMESPAN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    KqlUdf::new_udf(
        "kql_totimespan",
        kql_types::KType::Timespan.arrow_type(),
        |args, rows| {
            let input = strings(args, 0)?;
            let mut out = datafusion::arrow::array::DurationNanosecondBuilder::with_capacity(rows);
            for r in 0..rows {
                out.append_option(input.get(r).and_then(kql_types::parse_timespan));
            }
            Ok(Arc::new(out.finish()))
        },
    )
});

/// `toguid` of text: 32 hex digits with or without dashes, printed in the canonical
/// lower-case form; anything else is null.
pub static TOGUID: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    KqlUdf::new_udf("kql_toguid", DataType::Utf8, |args, rows| {
        let input = strings(args, 0)?;
        let mut out = StringBuilder::with_capacity(rows, rows * 36);
        for r in 0..rows {
            out.append_option(input.get(r).and_then(canonical_guid));
        }
        Ok(Arc::new(out.finish()))
    })
});

/// `0123456789abcdef0123456789abcdef` or the dashed form → `01234567-89ab-cdef-0123-456789abcdef`.
pub fn canonical_guid(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    let dashes_ok = !t.contains('-')
        || [8, 13, 18, 23]
            .iter()
            .all(|i| t.as_bytes().get(*i) == Some(&b'-'));
    if hex.len() != 32 || !dashes_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, Float64Array, Int64Array, StringArray};

    fn run(body: crate::udf::UdfBody, a: ArrayRef) -> Vec<String> {
        let n = a.len();
        let out = body(&[a], n).unwrap();
        let out = out.as_string::<i32>();
        (0..n).map(|i| out.value(i).to_string()).collect()
    }

    #[test]
    fn tostring_of_scalars() {
        assert_eq!(
            run(
                tostring_body,
                Arc::new(Int64Array::from(vec![Some(5), None]))
            ),
            ["5", ""]
        );
        assert_eq!(
            run(tostring_body, Arc::new(Float64Array::from(vec![1.0, 0.5]))),
            ["1", "0.5"]
        );
        assert_eq!(
            run(tostring_body, Arc::new(BooleanArray::from(vec![true]))),
            ["true"]
        );
    }

    #[test]
    fn tostring_of_dynamic() {
        let a = Arc::new(StringArray::from(vec![
            Some(r#""x""#),
            Some(r#"{"a":1}"#),
            None,
            Some("1"),
        ]));
        assert_eq!(run(dyn_tostring_body, a), ["x", r#"{"a":1}"#, "", "1"]);
    }
}
