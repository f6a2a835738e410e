//! `datetime_local_to_utc` and `datetime_utc_to_local`: converting between UTC and the
//! wall-clock time of an IANA time zone (`Europe/Paris`, `US/Pacific`).

use crate::coerce::{cast_to, to_text};
use crate::table::{FunctionSpec, scalar_fn as s};
use crate::typed::Typed;
use crate::udf::{KqlUdf, longs, strings};
use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, cast, lit};
use kql_types::KType;
use std::sync::{Arc, LazyLock};

static CONVERT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_time_zone", DataType::Int64, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![CONVERT.clone()]
}

pub static TIME_ZONES: &[FunctionSpec] = &[
    s!(
        "datetime_local_to_utc",
        [],
        2,
        2,
        |_, a| convert(a, true),
        "The UTC time of a wall-clock time in a time zone (null for an unknown zone)."
    ),
    s!(
        "datetime_utc_to_local",
        [],
        2,
        2,
        |_, a| convert(a, false),
        "The wall-clock time in a time zone of a UTC time (null for an unknown zone)."
    ),
];

fn convert(args: Vec<Typed>, to_utc: bool) -> Result<Typed, String> {
    let [value, zone] =
        <[Typed; 2]>::try_from(args).map_err(|_| "takes a datetime and a time zone")?;
    if value.ty != KType::Datetime {
        return Err(format!("expected a datetime, got {}", value.ty));
    }
    let nanos = CONVERT.call(vec![
        lit(to_utc),
        cast_to(value, KType::Long).expr,
        to_text(&zone),
    ]);
    Ok(Typed::new(
        cast(nanos, KType::Datetime.arrow_type()),
        KType::Datetime,
    ))
}

/// The UTC instant of a wall-clock time; in a gap (clocks moved forward) the offset after
/// the change applies, and of two instants (clocks moved back) the earlier one is taken.
fn local_to_utc(nanos: i64, tz: Tz) -> Option<i64> {
    let naive: NaiveDateTime = DateTime::from_timestamp_nanos(nanos).naive_utc();
    let offset = match tz.offset_from_local_datetime(&naive) {
        LocalResult::Single(o) | LocalResult::Ambiguous(o, _) => o.fix(),
        LocalResult::None => tz
            .offset_from_utc_datetime(&(naive + chrono::Duration::hours(3)))
            .fix(),
    };
    nanos.checked_sub(i64::from(offset.local_minus_utc()) * 1_000_000_000)
}

fn utc_to_local(nanos: i64, tz: Tz) -> Option<i64> {
    let utc = DateTime::from_timestamp_nanos(nanos).naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    nanos.checked_add(i64::from(offset.local_minus_utc()) * 1_000_000_000)
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let flags = args[0].as_boolean();
    let to_utc = !flags.is_empty() && flags.value(0);
    let values = longs(args, 1)?;
    let values = values.as_primitive::<Int64Type>();
    let zones = strings(args, 2)?;
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let tz = zones.get(r).and_then(|z| z.parse::<Tz>().ok());
        out.append_option(match (values.is_valid(r), tz) {
            (true, Some(tz)) if to_utc => local_to_utc(values.value(r), tz),
            (true, Some(tz)) => utc_to_local(values.value(r), tz),
            _ => None,
        });
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_convert_across_daylight_saving() {
        let brussels: Tz = "Europe/Brussels".parse().unwrap();
        let at = |h: i64| 1_648_339_200_000_000_000 + h * 3_600_000_000_000; // 2022-03-27
        assert_eq!(local_to_utc(at(1), brussels), Some(at(0)));
        assert_eq!(local_to_utc(at(2), brussels), Some(at(0)));
        assert_eq!(local_to_utc(at(3), brussels), Some(at(1)));
        assert_eq!(utc_to_local(at(1), brussels), Some(at(3)));
    }
}
