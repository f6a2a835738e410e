//! Numeric functions: `abs`, `round`, `ceiling`, `sign`, powers and logarithms,
//! trigonometry, angle conversion, the NaN/infinity tests, bitwise operations, and
//! `unixtime_*_todatetime`.

use crate::coerce::cast_to;
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, Operator, binary_expr, lit};
use kql_types::KType;

use crate::table::scalar_fn as s;

/// A function of one real argument with a real result.
macro_rules! real1 {
    ($name:literal, $func:expr, $doc:literal) => {
        s!($name, [], 1, 1, |_, a| real_fn(a, $func), $doc)
    };
}

/// `unixtime_<unit>_todatetime`: a number of units since 1970-01-01 as a datetime.
macro_rules! unixtime {
    ($name:literal, $nanos_per_unit:expr, $doc:literal) => {
        s!($name, [], 1, 1, |_, a| unixtime(a, $nanos_per_unit), $doc)
    };
}

/// A bitwise operation of two integers.
macro_rules! bitwise {
    ($name:literal, $op:ident, $doc:literal) => {
        s!($name, [], 2, 2, |_, a| bitwise(a, Operator::$op), $doc)
    };
}

/// A special function of one real (`crate::special`).
macro_rules! special {
    ($name:literal, $doc:literal) => {
        s!($name, [], 1, 1, |_, a| crate::special::bind($name, a), $doc)
    };
}

/// A function of the beta distribution (`crate::special`).
macro_rules! beta {
    ($name:literal, $doc:literal) => {
        s!(
            $name,
            [],
            3,
            3,
            |_, a| crate::special::bind_beta($name, a),
            $doc
        )
    };
}

/// `convert_<family>(value, from, to)` (`crate::units`).
macro_rules! convert {
    ($family:literal) => {
        FunctionSpec {
            name: concat!("convert_", $family),
            aliases: &[],
            min_args: 3,
            max_args: 3,
            kind: crate::table::FunctionKind::Scalar(|_, a| crate::units::bind($family, a)),
            doc: concat!(
                "Converts a value of ",
                $family,
                " from one unit to another, units named as in Kusto."
            ),
        }
    };
}

pub static MATH: &[FunctionSpec] = &[
    s!("abs", [], 1, 1, abs, "The absolute value."),
    s!(
        "round",
        [],
        1,
        2,
        round,
        "Rounds to a number of decimals (default 0)."
    ),
    s!(
        "ceiling",
        [],
        1,
        1,
        ceiling,
        "The smallest integer not less than the value."
    ),
    s!(
        "sign",
        [],
        1,
        1,
        sign,
        "-1, 0 or 1 by the sign of the value."
    ),
    s!("pow", [], 2, 2, pow, "The value raised to a power."),
    s!(
        "atan2",
        [],
        2,
        2,
        atan2,
        "The angle (radians) between the positive x-axis and the point (x, y); arguments y, x."
    ),
    s!(
        "pi",
        [],
        0,
        0,
        |_, _| Ok(Typed::new(lit(std::f64::consts::PI), KType::Real)),
        "The constant pi."
    ),
    real1!("log", f::ln, "The natural logarithm."),
    real1!("log2", f::log2, "The base-2 logarithm."),
    real1!("log10", f::log10, "The base-10 logarithm."),
    real1!("exp", f::exp, "e to the power of the value."),
    real1!(
        "exp2",
        |x| f::power(lit(2.0), x),
        "2 to the power of the value."
    ),
    real1!(
        "exp10",
        |x| f::power(lit(10.0), x),
        "10 to the power of the value."
    ),
    real1!("sqrt", f::sqrt, "The square root."),
    real1!("sin", f::sin, "The sine (radians)."),
    real1!("cos", f::cos, "The cosine (radians)."),
    real1!("tan", f::tan, "The tangent (radians)."),
    real1!("cot", f::cot, "The cotangent (radians)."),
    real1!("asin", f::asin, "The arc sine, in radians."),
    real1!("acos", f::acos, "The arc cosine, in radians."),
    real1!("atan", f::atan, "The arc tangent, in radians."),
    real1!("radians", f::radians, "Degrees converted to radians."),
    real1!("degrees", f::degrees, "Radians converted to degrees."),
    s!(
        "isnan",
        [],
        1,
        1,
        |_, a| real_test(a, f::isnan),
        "Whether the value is NaN."
    ),
    s!(
        "isinf",
        [],
        1,
        1,
        |_, a| real_test(a, |x| x
            .clone()
            .eq(lit(f64::INFINITY))
            .or(x.eq(lit(f64::NEG_INFINITY)))),
        "Whether the value is positive or negative infinity."
    ),
    s!(
        "isfinite",
        [],
        1,
        1,
        |_, a| real_test(a, |x| (x.clone() - x).eq(lit(0.0))),
        "Whether the value is neither infinite nor NaN."
    ),
    s!(
        "rand",
        [],
        0,
        1,
        rand,
        "A random real in [0, 1), or a random long in [0, N) with an argument."
    ),
    s!(
        "around",
        [],
        3,
        3,
        around,
        "Whether the value is within delta of the center (bounds included)."
    ),
    convert!("angle"),
    convert!("energy"),
    convert!("force"),
    convert!("length"),
    convert!("mass"),
    convert!("speed"),
    convert!("temperature"),
    convert!("volume"),
    beta!(
        "beta_cdf",
        "The beta distribution function at x (x, alpha, beta)."
    ),
    beta!(
        "beta_pdf",
        "The beta probability density at x (x, alpha, beta)."
    ),
    beta!(
        "beta_inv",
        "The inverse of the beta distribution function (p, alpha, beta)."
    ),
    s!(
        "bitset_count_ones",
        [],
        1,
        1,
        |_, a| crate::special::bitset_count_ones(a),
        "The number of set bits of an integer."
    ),
    special!("gamma", "The gamma function."),
    special!(
        "loggamma",
        "The natural logarithm of the absolute value of the gamma function."
    ),
    special!("erf", "The error function."),
    special!("erfc", "The complementary error function, 1 - erf(x)."),
    bitwise!("binary_and", BitwiseAnd, "The bitwise and of two integers."),
    bitwise!("binary_or", BitwiseOr, "The bitwise or of two integers."),
    bitwise!(
        "binary_xor",
        BitwiseXor,
        "The bitwise exclusive or of two integers."
    ),
    bitwise!(
        "binary_shift_left",
        BitwiseShiftLeft,
        "The integer's bits shifted left."
    ),
    bitwise!(
        "binary_shift_right",
        BitwiseShiftRight,
        "The integer's bits shifted right."
    ),
    s!(
        "binary_not",
        [],
        1,
        1,
        |_, mut a| {
            a.push(Typed::new(lit(-1i64), KType::Long));
            bitwise(a, Operator::BitwiseXor)
        },
        "The bitwise negation of an integer."
    ),
    unixtime!(
        "unixtime_seconds_todatetime",
        1e9,
        "Seconds since 1970-01-01 as a datetime."
    ),
    unixtime!(
        "unixtime_milliseconds_todatetime",
        1e6,
        "Milliseconds since 1970-01-01 as a datetime."
    ),
    unixtime!(
        "unixtime_microseconds_todatetime",
        1e3,
        "Microseconds since 1970-01-01 as a datetime."
    ),
    unixtime!(
        "unixtime_nanoseconds_todatetime",
        1.0,
        "Nanoseconds since 1970-01-01 as a datetime."
    ),
];

fn numeric(args: Vec<Typed>) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    if !v.ty.is_numeric() {
        return Err(format!("expected a number, got {}", v.ty));
    }
    Ok(v)
}

fn real_fn(args: Vec<Typed>, func: fn(Expr) -> Expr) -> Result<Typed, String> {
    let v = numeric(args)?;
    Ok(Typed::new(func(cast_to(v, KType::Real).expr), KType::Real))
}

fn real_test(args: Vec<Typed>, test: impl Fn(Expr) -> Expr) -> Result<Typed, String> {
    let v = numeric(args)?;
    Ok(Typed::new(test(cast_to(v, KType::Real).expr), KType::Bool))
}

fn abs(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    if v.ty == KType::Timespan {
        let nanos = cast_to(v, KType::Long).expr;
        return Ok(cast_to(
            Typed::new(f::abs(nanos), KType::Long),
            KType::Timespan,
        ));
    }
    if !v.ty.is_numeric() {
        return Err(format!("abs() expects a number, got {}", v.ty));
    }
    Ok(Typed::new(f::abs(v.expr), v.ty))
}

fn round(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let v = it.next().ok_or("missing argument")?;
    let digits = it
        .next()
        .map_or(lit(0i64), |d| cast_to(d, KType::Long).expr);
    Ok(Typed::new(
        f::round(vec![cast_to(v, KType::Real).expr, digits]),
        KType::Real,
    ))
}

/// Integers are their own ceiling; reals round up and stay real.
fn ceiling(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = numeric(args)?;
    if matches!(v.ty, KType::Int | KType::Long) {
        return Ok(v);
    }
    Ok(Typed::new(
        f::ceil(cast_to(v, KType::Real).expr),
        KType::Real,
    ))
}

/// The sign in the argument's own type.
fn sign(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = numeric(args)?;
    let ty = v.ty;
    let signum = Typed::new(f::signum(cast_to(v, KType::Real).expr), KType::Real);
    Ok(cast_to(signum, ty))
}

fn pow(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(base), Some(exponent)) = (it.next(), it.next()) else {
        return Err("pow() takes a base and an exponent".into());
    };
    Ok(Typed::new(
        f::power(
            cast_to(base, KType::Real).expr,
            cast_to(exponent, KType::Real).expr,
        ),
        KType::Real,
    ))
}

fn atan2(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(y), Some(x)) = (it.next(), it.next()) else {
        return Err("atan2() takes y and x".into());
    };
    Ok(Typed::new(
        f::atan2(cast_to(y, KType::Real).expr, cast_to(x, KType::Real).expr),
        KType::Real,
    ))
}

fn rand(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let Some(n) = args.into_iter().next() else {
        return Ok(Typed::new(f::random(), KType::Real));
    };
    if !matches!(n.ty, KType::Int | KType::Long) {
        return Err(format!("rand() takes an integer bound, got {}", n.ty));
    }
    let scaled = f::floor(f::random() * cast_to(n, KType::Real).expr);
    Ok(cast_to(Typed::new(scaled, KType::Real), KType::Long))
}

fn around(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [value, center, delta] =
        <[Typed; 3]>::try_from(args).map_err(|_| "around() takes a value, a center and a delta")?;
    let numbers = value.ty.is_numeric() && center.ty.is_numeric() && delta.ty.is_numeric();
    let times = value.ty == KType::Datetime && center.ty == KType::Datetime;
    if !(numbers || times && delta.ty == KType::Timespan) {
        return Err(format!(
            "around() takes numbers, or datetimes with a timespan; got {}, {}, {}",
            value.ty, center.ty, delta.ty
        ));
    }
    let (v, c, d) = (value.expr, center.expr, delta.expr);
    let e = v.clone().gt_eq(c.clone() - d.clone()).and(v.lt_eq(c + d));
    Ok(Typed::new(e, KType::Bool))
}

/// A bitwise operation on two integers, as longs.
fn bitwise(args: Vec<Typed>, op: Operator) -> Result<Typed, String> {
    let [a, b] = <[Typed; 2]>::try_from(args).map_err(|_| "takes two integers")?;
    for v in [&a, &b] {
        if !matches!(v.ty, KType::Int | KType::Long) {
            return Err(format!("expected an integer, got {}", v.ty));
        }
    }
    let (a, b) = (cast_to(a, KType::Long).expr, cast_to(b, KType::Long).expr);
    Ok(Typed::new(binary_expr(a, op, b), KType::Long))
}

fn unixtime(args: Vec<Typed>, nanos_per_unit: f64) -> Result<Typed, String> {
    let v = numeric(args)?;
    let nanos = if nanos_per_unit == 1.0 {
        cast_to(v, KType::Long)
    } else {
        let scaled = cast_to(v, KType::Real).expr * lit(nanos_per_unit);
        cast_to(Typed::new(scaled, KType::Real), KType::Long)
    };
    Ok(cast_to(nanos, KType::Datetime))
}
