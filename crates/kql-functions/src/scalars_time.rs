//! Rounding and calendar functions: `bin`/`floor`, `startofday`/`startofweek`/..., `endofday`,
//! `dayofweek`.

use crate::calendar::{DATETIME_ADD, DATETIME_DIFF, DATETIME_PART, Part};
use crate::coerce::{cast_to, numeric_join};
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use datafusion::functions::expr_fn::{date_trunc, floor};
use datafusion::logical_expr::{Expr, cast, lit};
use kql_types::KType;

const DAY: i64 = 86_400_000_000_000;

use crate::table::scalar_fn as f;

pub static TIME: &[FunctionSpec] = &[
    f!(
        "bin",
        ["floor"],
        2,
        2,
        bin,
        "Rounds down to a multiple of the bin size (datetimes from 1970-01-01)."
    ),
    f!(
        "make_datetime",
        [],
        3,
        6,
        make_datetime,
        "A datetime from year, month, day and optional hour, minute, second (real); null if invalid."
    ),
    f!(
        "bin_at",
        [],
        3,
        3,
        bin_at,
        "Rounds down to a multiple of the bin size counted from a fixed point."
    ),
    f!(
        "startofday",
        [],
        1,
        2,
        |_, a| start_of(a, "day"),
        "Midnight of the day."
    ),
    f!(
        "startofweek",
        [],
        1,
        2,
        |_, a| start_of(a, "week"),
        "Midnight of the week's Sunday."
    ),
    f!(
        "startofmonth",
        [],
        1,
        2,
        |_, a| start_of(a, "month"),
        "Midnight of the month's first day."
    ),
    f!(
        "startofyear",
        [],
        1,
        2,
        |_, a| start_of(a, "year"),
        "Midnight of the year's first day."
    ),
    f!(
        "endofday",
        [],
        1,
        2,
        |_, a| end_of(a, "day"),
        "The last tick of the day."
    ),
    f!(
        "endofweek",
        [],
        1,
        2,
        |_, a| end_of(a, "week"),
        "The last tick of the week (Saturday)."
    ),
    f!(
        "endofmonth",
        [],
        1,
        2,
        |_, a| end_of(a, "month"),
        "The last tick of the month."
    ),
    f!(
        "endofyear",
        [],
        1,
        2,
        |_, a| end_of(a, "year"),
        "The last tick of the year."
    ),
    f!(
        "dayofweek",
        [],
        1,
        1,
        day_of_week,
        "Days since the preceding Sunday, as a timespan."
    ),
    f!(
        "datetime_part",
        ["datepart"],
        2,
        2,
        datetime_part,
        "A part of a datetime (year, month, day, hour, ...) as a long."
    ),
    f!(
        "datetime_diff",
        [],
        3,
        3,
        datetime_diff,
        "Calendar periods from the third argument to the second."
    ),
    f!(
        "datetime_add",
        [],
        3,
        3,
        datetime_add,
        "A datetime moved by a number of calendar periods."
    ),
    f!(
        "ingestion_time",
        [],
        0,
        0,
        |_, _| Ok(Typed::null(KType::Datetime)),
        "When the row was ingested: unknown for local files (null)."
    ),
    f!(
        "hourofday",
        [],
        1,
        1,
        |_, a| part(a, "hour"),
        "The hour of the day (0-23)."
    ),
    f!(
        "dayofmonth",
        [],
        1,
        1,
        |_, a| part(a, "day"),
        "The day of the month (1-31)."
    ),
    f!(
        "dayofyear",
        [],
        1,
        1,
        |_, a| part(a, "dayofyear"),
        "The day of the year (1-366)."
    ),
    f!(
        "getmonth",
        ["monthofyear"],
        1,
        1,
        |_, a| part(a, "month"),
        "The month (1-12)."
    ),
    f!("getyear", [], 1, 1, |_, a| part(a, "year"), "The year."),
    f!(
        "weekofyear",
        ["week_of_year"],
        1,
        1,
        |_, a| part(a, "week"),
        "The ISO 8601 week number."
    ),
];

/// Floors integer `x` to a multiple of `size`, rounding toward negative infinity.
fn floor_int(x: Expr, size: Expr) -> Expr {
    let rem = (x.clone() % size.clone() + size.clone()) % size;
    x - rem
}

fn bin(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(x), Some(size)) = (it.next(), it.next()) else {
        return Err("bin() takes a value and a bin size".into());
    };
    bin_from(x, size, None)
}

fn make_datetime(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    if args.iter().any(|a| !a.ty.is_numeric()) {
        return Err("make_datetime() takes numbers".into());
    }
    let mut parts: Vec<Expr> = args.into_iter().map(|a| a.expr).collect();
    while parts.len() < 6 {
        parts.push(lit(0i64));
    }
    Ok(Typed::new(
        crate::calendar::MAKE_DATETIME.call(parts),
        KType::Datetime,
    ))
}

/// `bin_at(value, size, fixed_point)`: bins aligned so that `fixed_point` starts one.
fn bin_at(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(x), Some(size), Some(at)) = (it.next(), it.next(), it.next()) else {
        return Err("bin_at() takes a value, a bin size and a fixed point".into());
    };
    if at.ty != x.ty && !(at.ty.is_numeric() && x.ty.is_numeric()) {
        return Err(format!(
            "bin_at(): the fixed point is {}, the value {}",
            at.ty, x.ty
        ));
    }
    bin_from(x, size, Some(at))
}

/// Rounds `x` down to a multiple of `size`, counted from `origin` (default 0 or 1970-01-01).
fn bin_from(x: Typed, size: Typed, origin: Option<Typed>) -> Result<Typed, String> {
    match (x.ty, size.ty) {
        (KType::Datetime | KType::Timespan, KType::Timespan) => {
            let ty = x.ty;
            let long = |e| cast(e, KType::Long.arrow_type());
            let base = origin.map_or(lit(0i64), |o| long(o.expr));
            let nanos = long(x.expr) - base.clone();
            let floored = floor_int(nanos, long(size.expr)) + base;
            Ok(Typed::new(cast(floored, ty.arrow_type()), ty))
        }
        (a, b) if a.is_numeric() && b.is_numeric() => {
            let ty = numeric_join(a, b).unwrap_or(KType::Real);
            if matches!(ty, KType::Long) {
                let base = origin.map_or(lit(0i64), |o| cast_to(o, ty).expr);
                let shifted = cast_to(x, ty).expr - base.clone();
                return Ok(Typed::new(
                    floor_int(shifted, cast_to(size, ty).expr) + base,
                    ty,
                ));
            }
            let base = origin.map_or(lit(0.0), |o| cast_to(o, KType::Real).expr);
            let (x, s) = (
                cast_to(x, KType::Real).expr - base.clone(),
                cast_to(size, KType::Real).expr,
            );
            Ok(Typed::new(floor(x / s.clone()) * s + base, KType::Real))
        }
        (a, b) => Err(format!("bin() cannot round {a} by {b}")),
    }
}

fn datetime_arg(args: Vec<Typed>, func: &str) -> Result<Typed, String> {
    let d = args.into_iter().next().ok_or("missing argument")?;
    if d.ty != KType::Datetime {
        return Err(format!("{func}() expects a datetime, got {}", d.ty));
    }
    Ok(d)
}

/// `startof<unit>(d [, offset])`: the start of the unit `offset` units after d's.
fn start_of(args: Vec<Typed>, unit: &str) -> Result<Typed, String> {
    let (d, offset) = datetime_and_offset(args, &format!("startof{unit}"))?;
    Ok(Typed::new(boundary(d, unit, offset), KType::Datetime))
}

/// `endof<unit>(d [, offset])`: the last tick before the next unit's start.
fn end_of(args: Vec<Typed>, unit: &str) -> Result<Typed, String> {
    let (d, offset) = datetime_and_offset(args, &format!("endof{unit}"))?;
    let next = cast(
        boundary(d, unit, offset + lit(1i64)),
        KType::Long.arrow_type(),
    );
    Ok(Typed::new(
        cast(next - lit(100i64), KType::Datetime.arrow_type()),
        KType::Datetime,
    ))
}

fn datetime_and_offset(args: Vec<Typed>, func: &str) -> Result<(Expr, Expr), String> {
    let mut it = args.into_iter();
    let d = datetime_arg(it.by_ref().take(1).collect(), func)?;
    let offset = match it.next() {
        Some(o) if matches!(o.ty, KType::Int | KType::Long) => cast_to(o, KType::Long).expr,
        Some(o) => return Err(format!("{func}() expects an integer offset, got {}", o.ty)),
        None => lit(0i64),
    };
    Ok((d.expr, offset))
}

/// The start of the day, week (Sunday), month or year of `d`, moved by `offset` units.
fn boundary(d: Expr, unit: &str, offset: Expr) -> Expr {
    let nanos = cast(d.clone(), KType::Long.arrow_type());
    let start = match unit {
        "day" => floor_int(nanos, lit(DAY)) + offset * lit(DAY),
        // Kusto's weeks start on Sunday; 1970-01-01 was a Thursday (4 days after Sunday).
        "week" => {
            floor_int(nanos + lit(4 * DAY), lit(7 * DAY)) - lit(4 * DAY) + offset * lit(7 * DAY)
        }
        _ => {
            let truncated = cast(date_trunc(lit(unit), d), KType::Datetime.arrow_type());
            return DATETIME_ADD.call(vec![lit(unit), offset, truncated]);
        }
    };
    cast(start, KType::Datetime.arrow_type())
}

fn day_of_week(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let d = datetime_arg(args, "dayofweek")?;
    let nanos = cast(d.expr, KType::Long.arrow_type()) + lit(4 * DAY);
    let since_sunday = (nanos.clone() % lit(7 * DAY) + lit(7 * DAY)) % lit(7 * DAY);
    let days = since_sunday.clone() - (since_sunday % lit(DAY));
    Ok(Typed::new(
        cast(days, KType::Timespan.arrow_type()),
        KType::Timespan,
    ))
}

/// A constant calendar part name (`"month"`), checked at bind time.
fn part_name(t: &Typed, func: &str) -> Result<Expr, String> {
    match t.as_str_literal() {
        Some(p) if Part::parse(p).is_some() => Ok(lit(p.to_ascii_lowercase())),
        Some(p) => Err(format!("{func}(): unknown part '{p}'")),
        None => Err(format!("{func}(): the part must be a constant string")),
    }
}

fn need_datetime(t: Typed, func: &str) -> Result<Typed, String> {
    if t.ty != KType::Datetime {
        return Err(format!("{func}() expects a datetime, got {}", t.ty));
    }
    Ok(t)
}

fn datetime_part(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [p, d] = <[Typed; 2]>::try_from(args).map_err(|_| "datetime_part() takes 2 arguments")?;
    let e = DATETIME_PART.call(vec![
        part_name(&p, "datetime_part")?,
        need_datetime(d, "datetime_part")?.expr,
    ]);
    Ok(Typed::new(e, KType::Long))
}

fn datetime_diff(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [p, a, b] =
        <[Typed; 3]>::try_from(args).map_err(|_| "datetime_diff() takes 3 arguments")?;
    let e = DATETIME_DIFF.call(vec![
        part_name(&p, "datetime_diff")?,
        need_datetime(a, "datetime_diff")?.expr,
        need_datetime(b, "datetime_diff")?.expr,
    ]);
    Ok(Typed::new(e, KType::Long))
}

fn datetime_add(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [p, n, d] = <[Typed; 3]>::try_from(args).map_err(|_| "datetime_add() takes 3 arguments")?;
    if !matches!(n.ty, KType::Int | KType::Long) {
        return Err(format!(
            "datetime_add() expects an integer amount, got {}",
            n.ty
        ));
    }
    let e = DATETIME_ADD.call(vec![
        part_name(&p, "datetime_add")?,
        cast_to(n, KType::Long).expr,
        need_datetime(d, "datetime_add")?.expr,
    ]);
    Ok(Typed::new(e, KType::Datetime))
}

/// `datetime_part(name, d)` for the shortcut functions (`hourofday`, `getyear`, ...).
fn part(args: Vec<Typed>, name: &str) -> Result<Typed, String> {
    let d = args.into_iter().next().ok_or("missing argument")?;
    let e = DATETIME_PART.call(vec![lit(name), need_datetime(d, name)?.expr]);
    Ok(Typed::new(e, KType::Long))
}
