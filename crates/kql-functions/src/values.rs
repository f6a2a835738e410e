//! Typed Arrow values as JSON, for building dynamic values (`pack_array`, `make_list`).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use kql_types::{KType, datetime_text, format_timespan};
use serde_json::{Number, Value};

/// The JSON value of row `i` of `a`, whose Kusto type is `ty` (dynamic cells are JSON text).
pub fn json_value(a: &ArrayRef, i: usize, ty: KType) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match (ty, a.data_type()) {
        (KType::Dynamic, _) => text(a, i).map_or(Value::Null, |t| crate::dynamic::parse_stored(&t)),
        (_, DataType::Boolean) => Value::Bool(a.as_boolean().value(i)),
        (_, DataType::Int64) => Value::Number(a.as_primitive::<Int64Type>().value(i).into()),
        (_, DataType::Int32) => Value::Number(a.as_primitive::<Int32Type>().value(i).into()),
        (_, DataType::Float64) => {
            let v = a.as_primitive::<Float64Type>().value(i);
            Number::from_f64(v)
                .map_or_else(|| Value::String(kql_types::format_real(v)), Value::Number)
        }
        (_, DataType::Timestamp(TimeUnit::Nanosecond, _)) => Value::String(datetime_text(
            a.as_primitive::<TimestampNanosecondType>().value(i),
        )),
        (_, DataType::Duration(TimeUnit::Nanosecond)) => Value::String(format_timespan(
            a.as_primitive::<DurationNanosecondType>().value(i),
        )),
        _ => text(a, i).map_or(Value::Null, Value::String),
    }
}

fn text(a: &ArrayRef, i: usize) -> Option<String> {
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Some(a.as_string_view().value(i).to_string()),
        _ => datafusion::arrow::util::display::array_value_to_string(a, i).ok(),
    }
}

/// Parses the comma-separated Kusto type names a builder UDF receives as its last argument.
pub fn type_tags(tags: &str) -> Vec<KType> {
    tags.split(',')
        .map(|t| KType::from_name(t).unwrap_or(KType::String))
        .collect()
}
