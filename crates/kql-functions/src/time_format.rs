//! `format_datetime(d, format)` and `format_timespan(t, format)`: Kusto's format
//! specifiers (`yyyy`, `MM`, `dd`, `HH`, `hh`, `mm`, `ss`, `fffffff`, `FFFFFFF`, `tt`, and
//! for timespans `d...`, `h`, `hh`); any other character is copied as it is.

use crate::coerce::{cast_to, to_text};
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use crate::udf::{KqlUdf, longs, strings};
use chrono::{Datelike, Timelike};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use std::sync::{Arc, LazyLock};

use crate::table::scalar_fn as s;

/// `kql_format_time(kind, nanos, format)`, kind `datetime` or `timespan`.
static FORMAT_TIME: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_format_time", DataType::Utf8, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![FORMAT_TIME.clone()]
}

pub static TIME_FORMAT: &[FunctionSpec] = &[
    s!(
        "format_datetime",
        [],
        2,
        2,
        |c, a| format(c, a, KType::Datetime),
        "The datetime as text in a format such as 'yyyy-MM-dd HH:mm:ss'."
    ),
    s!(
        "format_timespan",
        [],
        2,
        2,
        |c, a| format(c, a, KType::Timespan),
        "The timespan as text in a format such as 'd.hh:mm:ss'."
    ),
];

fn format(_: &CallCtx, args: Vec<Typed>, ty: KType) -> Result<Typed, String> {
    let [value, fmt] = <[Typed; 2]>::try_from(args).map_err(|_| "takes a value and a format")?;
    if value.ty != ty {
        return Err(format!("expected a {ty}, got {}", value.ty));
    }
    let e = FORMAT_TIME.call(vec![
        lit(ty.name()),
        cast_to(value, KType::Long).expr,
        to_text(&fmt),
    ]);
    Ok(Typed::new(e, KType::String))
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let kind = strings(args, 0)?.get(0).unwrap_or("datetime").to_string();
    let values = longs(args, 1)?;
    let values = values.as_primitive::<Int64Type>();
    let formats = strings(args, 2)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 24);
    for r in 0..rows {
        let text = values.is_valid(r).then(|| {
            let fmt = formats.get(r).unwrap_or("");
            let nanos = values.value(r);
            if kind == "timespan" {
                render(fmt, &span_fields(nanos))
            } else {
                render(fmt, &datetime_fields(nanos))
            }
        });
        out.append_option(text.flatten());
    }
    Ok(Arc::new(out.finish()))
}

/// The parts a format can show.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// 100-ns ticks within the second.
    ticks: i64,
    /// Whether `h` is the 12-hour clock (datetimes) or the hours (timespans).
    twelve_hour: bool,
    negative: bool,
}

fn datetime_fields(nanos: i64) -> Fields {
    let d = chrono::DateTime::from_timestamp_nanos(nanos);
    Fields {
        year: i64::from(d.year()),
        month: i64::from(d.month()),
        day: i64::from(d.day()),
        hour: i64::from(d.hour()),
        minute: i64::from(d.minute()),
        second: i64::from(d.second()),
        ticks: i64::from(d.nanosecond() / 100),
        twelve_hour: true,
        negative: false,
    }
}

fn span_fields(nanos: i64) -> Fields {
    let ticks = (nanos / 100).unsigned_abs() as i64;
    let seconds = ticks / 10_000_000;
    Fields {
        year: 0,
        month: 0,
        day: seconds / 86_400,
        hour: seconds / 3600 % 24,
        minute: seconds / 60 % 60,
        second: seconds % 60,
        ticks: ticks % 10_000_000,
        twelve_hour: false,
        negative: nanos < 0,
    }
}

/// The text of `fields` in `fmt`: runs of one specifier letter, other characters as they are.
fn render(fmt: &str, f: &Fields) -> Option<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    if f.negative {
        out.push('-');
    }
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        i += run;
        let pad = |v: i64, width: usize| format!("{v:0width$}");
        match c {
            'y' if run <= 2 => out.push_str(&pad(f.year % 100, run)),
            'y' => out.push_str(&pad(f.year, run)),
            'M' => out.push_str(&pad(f.month, run.min(2))),
            'd' if f.twelve_hour => out.push_str(&pad(f.day, run.min(2))),
            'd' => out.push_str(&pad(f.day, run)),
            'h' if f.twelve_hour => {
                let h = (f.hour + 11) % 12 + 1;
                out.push_str(&pad(h, run.min(2)));
            }
            'h' | 'H' => out.push_str(&pad(f.hour, run.min(2))),
            'm' => out.push_str(&pad(f.minute, run.min(2))),
            's' => out.push_str(&pad(f.second, run.min(2))),
            'f' | 'F' if run <= 7 => {
                let digits = format!("{:07}", f.ticks);
                let shown = &digits[..run];
                if c == 'F' {
                    out.push_str(shown.trim_end_matches('0'));
                } else {
                    out.push_str(shown);
                }
            }
            't' => {
                let am_pm = if f.hour < 12 { "AM" } else { "PM" };
                out.push_str(&am_pm[..run.min(2)]);
            }
            'f' | 'F' => return None,
            other => (0..run).for_each(|_| out.push(other)),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kusto_format_examples() {
        // 2017-01-29 09:00:05
        let d = datetime_fields(1_485_680_405_000_000_000);
        assert_eq!(
            render("yy-MM-dd [HH:mm:ss]", &d).unwrap(),
            "17-01-29 [09:00:05]"
        );
        assert_eq!(
            render("yyyy-M-dd [H:mm:ss]", &d).unwrap(),
            "2017-1-29 [9:00:05]"
        );
        assert_eq!(
            render("yy-MM-dd [hh:mm:ss tt]", &d).unwrap(),
            "17-01-29 [09:00:05 AM]"
        );
        // 29.09:00:05.12345
        let t = span_fields(((29 * 86_400 + 9 * 3600 + 5) * 10_000_000 + 1_234_500) * 100);
        assert_eq!(render("dd.hh:mm:ss:FF", &t).unwrap(), "29.09:00:05:12");
        assert_eq!(
            render("ddd.h:mm:ss [fffffff]", &t).unwrap(),
            "029.9:00:05 [1234500]"
        );
    }
}
