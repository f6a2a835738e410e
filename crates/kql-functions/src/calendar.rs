//! Calendar arithmetic on datetimes: `datetime_part`, `datetime_diff`, `datetime_add`.

use crate::udf::{KqlUdf, longs, strings};
use chrono::{DateTime, Datelike, Months, TimeDelta, Timelike, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Builder, TimestampNanosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimestampNanosecondType};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use kql_types::KType;
use std::sync::{Arc, LazyLock};

pub static DATETIME_PART: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_datetime_part", DataType::Int64, part_body));
pub static DATETIME_DIFF: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_datetime_diff", DataType::Int64, diff_body));
pub static DATETIME_ADD: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_datetime_add", KType::Datetime.arrow_type(), add_body));

/// `kql_make_datetime(year, month, day, hour, minute, second)`: the last is real seconds.
pub static MAKE_DATETIME: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_make_datetime", KType::Datetime.arrow_type(), make_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        DATETIME_PART.clone(),
        DATETIME_DIFF.clone(),
        DATETIME_ADD.clone(),
        MAKE_DATETIME.clone(),
    ]
}

fn make_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let parts: Vec<ArrayRef> = (0..5).map(|i| longs(args, i)).collect::<Result<_>>()?;
    let parts: Vec<_> = parts
        .iter()
        .map(|a| a.as_primitive::<Int64Type>())
        .collect();
    let seconds = datafusion::arrow::compute::cast(&args[5], &DataType::Float64)?;
    let seconds = seconds.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
    let mut out = TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC");
    for r in 0..rows {
        if parts.iter().any(|p| p.is_null(r)) || seconds.is_null(r) {
            out.append_null();
            continue;
        }
        let v: Vec<i64> = parts.iter().map(|p| p.value(r)).collect();
        let s = seconds.value(r);
        let date = i32::try_from(v[0]).ok().and_then(|y| {
            chrono::NaiveDate::from_ymd_opt(y, u32::try_from(v[1]).ok()?, u32::try_from(v[2]).ok()?)
        });
        let in_range =
            (0..24).contains(&v[3]) && (0..60).contains(&v[4]) && (0.0..60.0).contains(&s);
        match date.and_then(|d| d.and_hms_opt(0, 0, 0)) {
            Some(midnight) if in_range => {
                let base = midnight.and_utc().timestamp_nanos_opt().unwrap_or(0);
                let nanos = base
                    + v[3] * 3_600_000_000_000
                    + v[4] * 60_000_000_000
                    + (s * 1e9).round() as i64;
                out.append_value(nanos);
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

#[derive(Clone, Copy, PartialEq)]
pub enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    DayOfYear,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

impl Part {
    pub fn parse(s: &str) -> Option<Part> {
        Some(match s.to_ascii_lowercase().as_str() {
            "year" => Part::Year,
            "quarter" => Part::Quarter,
            "month" => Part::Month,
            "week" | "week_of_year" => Part::Week,
            "day" => Part::Day,
            "dayofyear" => Part::DayOfYear,
            "hour" => Part::Hour,
            "minute" => Part::Minute,
            "second" => Part::Second,
            "millisecond" => Part::Millisecond,
            "microsecond" => Part::Microsecond,
            "nanosecond" => Part::Nanosecond,
            _ => return None,
        })
    }

    /// Nanoseconds per unit for the fixed-length parts.
    fn nanos(self) -> Option<i64> {
        Some(match self {
            Part::Week => 7 * 86_400_000_000_000,
            Part::Day | Part::DayOfYear => 86_400_000_000_000,
            Part::Hour => 3_600_000_000_000,
            Part::Minute => 60_000_000_000,
            Part::Second => 1_000_000_000,
            Part::Millisecond => 1_000_000,
            Part::Microsecond => 1_000,
            Part::Nanosecond => 1,
            _ => return None,
        })
    }
}

fn dt(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

fn part_of(p: Part, d: DateTime<Utc>) -> i64 {
    match p {
        Part::Year => i64::from(d.year()),
        Part::Quarter => i64::from(d.month0() / 3 + 1),
        Part::Month => i64::from(d.month()),
        Part::Week => i64::from(d.iso_week().week()),
        Part::Day => i64::from(d.day()),
        Part::DayOfYear => i64::from(d.ordinal()),
        Part::Hour => i64::from(d.hour()),
        Part::Minute => i64::from(d.minute()),
        Part::Second => i64::from(d.second()),
        Part::Millisecond => i64::from(d.nanosecond() / 1_000_000),
        Part::Microsecond => i64::from(d.nanosecond() / 1_000),
        Part::Nanosecond => i64::from(d.nanosecond()),
    }
}

/// Periods from `b` to `a`, counted on the calendar: truncate both to the period, subtract.
fn diff(p: Part, a: i64, b: i64) -> i64 {
    let (da, db) = (dt(a), dt(b));
    let months = |d: DateTime<Utc>| i64::from(d.year()) * 12 + i64::from(d.month0());
    match p {
        Part::Year => i64::from(da.year() - db.year()),
        Part::Quarter => (months(da) / 3) - (months(db) / 3),
        Part::Month => months(da) - months(db),
        Part::Week => {
            // Weeks start on Sunday; 1970-01-01 was a Thursday.
            let day = 86_400_000_000_000i64;
            let week = |n: i64| (n + 4 * day).div_euclid(7 * day);
            week(a) - week(b)
        }
        _ => {
            let unit = p.nanos().unwrap_or(1);
            a.div_euclid(unit) - b.div_euclid(unit)
        }
    }
}

fn add(p: Part, n: i64, t: i64) -> Option<i64> {
    let d = dt(t);
    let months = match p {
        Part::Year => Some(n.checked_mul(12)?),
        Part::Quarter => Some(n.checked_mul(3)?),
        Part::Month => Some(n),
        _ => None,
    };
    let shifted = match months {
        Some(m) if m >= 0 => d.checked_add_months(Months::new(u32::try_from(m).ok()?))?,
        Some(m) => d.checked_sub_months(Months::new(u32::try_from(-m).ok()?))?,
        None => d.checked_add_signed(TimeDelta::nanoseconds(n.checked_mul(p.nanos()?)?))?,
    };
    shifted.timestamp_nanos_opt()
}

fn part_arg(args: &[ArrayRef]) -> Result<Part> {
    let text = strings(args, 0)?.get(0).unwrap_or("").to_string();
    match Part::parse(&text) {
        Some(p) => Ok(p),
        None => exec_err!("unknown datetime part '{text}'"),
    }
}

fn part_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let p = part_arg(args)?;
    let t = args[1].as_primitive::<TimestampNanosecondType>();
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        out.append_option(t.is_valid(r).then(|| part_of(p, dt(t.value(r)))));
    }
    Ok(Arc::new(out.finish()))
}

fn diff_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let p = part_arg(args)?;
    let (a, b) = (
        args[1].as_primitive::<TimestampNanosecondType>(),
        args[2].as_primitive::<TimestampNanosecondType>(),
    );
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        out.append_option(
            (a.is_valid(r) && b.is_valid(r)).then(|| diff(p, a.value(r), b.value(r))),
        );
    }
    Ok(Arc::new(out.finish()))
}

fn add_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let p = part_arg(args)?;
    let n = longs(args, 1)?;
    let n = n.as_primitive::<Int64Type>();
    let t = args[2].as_primitive::<TimestampNanosecondType>();
    let mut out = TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC");
    for r in 0..rows {
        out.append_option(
            (n.is_valid(r) && t.is_valid(r))
                .then(|| add(p, n.value(r), t.value(r)))
                .flatten(),
        );
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        kql_types::parse_datetime(s).unwrap()
    }

    #[test]
    fn calendar_differences() {
        assert_eq!(diff(Part::Year, t("2017-01-01"), t("2000-12-31")), 17);
        assert_eq!(diff(Part::Month, t("2017-01-01"), t("2000-12-31")), 193);
        assert_eq!(
            diff(Part::Day, t("2017-10-30 23:00"), t("2017-10-29 01:00")),
            1
        );
        assert_eq!(
            diff(Part::Hour, t("2017-10-31 01:00"), t("2017-10-30 23:59")),
            2
        );
        assert_eq!(
            diff(Part::Week, t("2017-10-29 00:00"), t("2017-09-30 23:59")),
            5
        );
    }

    #[test]
    fn parts_and_adding() {
        assert_eq!(part_of(Part::Quarter, dt(t("2017-10-30"))), 4);
        assert_eq!(part_of(Part::DayOfYear, dt(t("2017-02-01"))), 32);
        assert_eq!(add(Part::Month, -1, t("2017-03-31")), Some(t("2017-02-28")));
        assert_eq!(
            add(Part::Hour, 2, t("2017-03-31")),
            Some(t("2017-03-31 02:00"))
        );
    }
}
