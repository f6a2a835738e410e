//! Special functions of real numbers: `gamma`, `loggamma`, `erf` and `erfc`, by the Lanczos
//! approximation (about 15 digits), the error function's series near zero, and the
//! Chebyshev fit of Numerical Recipes for the complementary error function beyond
//! (relative error below 1.2e-7).

use crate::coerce::cast_to;
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use std::sync::{Arc, LazyLock};

/// `kql_special(name, x)`.
static SPECIAL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_special", DataType::Float64, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![SPECIAL.clone()]
}

/// The binding of each function: one numeric argument, a real result.
pub fn bind(name: &str, args: Vec<Typed>) -> Result<Typed, String> {
    let x = args.into_iter().next().ok_or("missing argument")?;
    if !x.ty.is_numeric() {
        return Err(format!("{name}() expects a number, got {}", x.ty));
    }
    let e = SPECIAL.call(vec![lit(name.to_string()), cast_to(x, KType::Real).expr]);
    Ok(Typed::new(e, KType::Real))
}

/// `bitset_count_ones(n)`: the number of set bits of a long (counted in the UDF's
/// float result, exact for any count).
pub fn bitset_count_ones(args: Vec<Typed>) -> Result<Typed, String> {
    let n = args.into_iter().next().ok_or("missing argument")?;
    if !matches!(n.ty, KType::Int | KType::Long) {
        return Err(format!(
            "bitset_count_ones() expects an integer, got {}",
            n.ty
        ));
    }
    let e = SPECIAL.call(vec![lit("bitset_count_ones"), cast_to(n, KType::Long).expr]);
    Ok(cast_to(Typed::new(e, KType::Real), KType::Long))
}

/// `beta_cdf(x, a, b)`, `beta_pdf(x, a, b)`, `beta_inv(p, a, b)`.
pub fn bind_beta(name: &str, args: Vec<Typed>) -> Result<Typed, String> {
    if args.len() != 3 || args.iter().any(|a| !a.ty.is_numeric()) {
        return Err(format!("{name}() takes three numbers"));
    }
    let mut call = vec![lit(name.to_string())];
    call.extend(args.into_iter().map(|a| cast_to(a, KType::Real).expr));
    Ok(Typed::new(SPECIAL.call(call), KType::Real))
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let name = strings(args, 0)?.get(0).unwrap_or("").to_string();
    if name == "bitset_count_ones" {
        let n = args[1].as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let mut out = Float64Builder::with_capacity(rows);
        for r in 0..rows {
            out.append_option(n.is_valid(r).then(|| f64::from(n.value(r).count_ones())));
        }
        return Ok(Arc::new(out.finish()));
    }
    if name.starts_with("beta_") {
        let col = |i: usize| args[i].as_primitive::<Float64Type>();
        let (x, a, b) = (col(1), col(2), col(3));
        let mut out = Float64Builder::with_capacity(rows);
        for r in 0..rows {
            let valid = x.is_valid(r) && a.is_valid(r) && b.is_valid(r);
            out.append_option(
                valid
                    .then(|| beta(&name, x.value(r), a.value(r), b.value(r)))
                    .flatten(),
            );
        }
        return Ok(Arc::new(out.finish()));
    }
    let f: fn(f64) -> f64 = match name.as_str() {
        "gamma" => gamma,
        "loggamma" => ln_gamma,
        "erf" => erf,
        _ => |x| if x.abs() < 2.0 { 1.0 - erf(x) } else { erfc(x) },
    };
    let xs = args[1].as_primitive::<Float64Type>();
    let mut out = Float64Builder::with_capacity(rows);
    for r in 0..rows {
        out.append_option(xs.is_valid(r).then(|| f(xs.value(r))));
    }
    Ok(Arc::new(out.finish()))
}

const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

fn gamma(x: f64) -> f64 {
    // Whole numbers exactly: Γ(n) = (n - 1)!.
    if x.fract() == 0.0 && (1.0..=171.0).contains(&x) {
        return (1..x as u32).map(f64::from).product();
    }
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let (x, t, sum) = lanczos(x);
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

/// The Lanczos terms for x ≥ 0.5: x - 1, the shifted point t, and the series' sum.
fn lanczos(x: f64) -> (f64, f64, f64) {
    let x = x - 1.0;
    let t = x + LANCZOS_G + 0.5;
    let sum = LANCZOS[1..]
        .iter()
        .enumerate()
        .fold(LANCZOS[0], |s, (i, c)| s + c / (x + i as f64 + 1.0));
    (x, t, sum)
}

fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin())
            .abs()
            .ln()
            - ln_gamma(1.0 - x);
    }
    let (x, t, sum) = lanczos(x);
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The Maclaurin series near zero (exact to rounding for |x| < 2), the complement of
/// `erfc` beyond.
fn erf(x: f64) -> f64 {
    if x.abs() >= 2.0 {
        return 1.0 - erfc(x);
    }
    let (mut term, mut sum) = (x, x);
    for n in 1..60 {
        term *= -x * x / n as f64;
        sum += term / (2 * n + 1) as f64;
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ]
    .iter()
    .rev()
    .fold(0.0, |acc, c| c + t * acc);
    let ans = t * (-z * z + poly).exp();
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// The beta distribution's density, distribution function and its inverse. Out-of-range
/// arguments give NaN; an inverse of a probability beyond [0, 1] is null.
fn beta(name: &str, x: f64, a: f64, b: f64) -> Option<f64> {
    if a <= 0.0 || b <= 0.0 {
        return Some(f64::NAN);
    }
    let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    match name {
        "beta_pdf" if (0.0..=1.0).contains(&x) => {
            Some(((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta).exp())
        }
        "beta_cdf" if (0.0..=1.0).contains(&x) => Some(incomplete_beta(x, a, b, ln_beta)),
        "beta_inv" if (0.0..=1.0).contains(&x) => {
            // Bisection on the distribution function: 60 halvings are below f64's precision.
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..60 {
                let mid = (lo + hi) / 2.0;
                if incomplete_beta(mid, a, b, ln_beta) < x {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            Some((lo + hi) / 2.0)
        }
        "beta_inv" => None,
        _ => Some(f64::NAN),
    }
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction.
fn incomplete_beta(x: f64, a: f64, b: f64, ln_beta: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

/// Lentz's evaluation of the incomplete beta function's continued fraction.
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        for step in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + step * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + step / c;
            c = if c.abs() < TINY { TINY } else { c };
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-12)
    }

    #[test]
    fn known_values() {
        assert_eq!(gamma(5.0), 24.0);
        assert!(close(gamma(0.5), std::f64::consts::PI.sqrt()));
        assert!(close(ln_gamma(5.0), 3.178_053_830_347_945_8));
        assert!(close(erf(1.0), 0.842_700_792_949_715));
        assert_eq!(erf(0.0), 0.0);
        assert!(close(erfc(3.0), 2.209_049_699_858_54e-5));
        assert!(close(erfc(-2.0), 1.995_322_265_018_953));
        assert!(close(
            beta("beta_pdf", 0.5, 10.0, 20.0).unwrap(),
            0.746_176_019_310_951
        ));
        assert!(close(
            beta("beta_cdf", 0.9, 10.0, 20.0).unwrap(),
            0.999_999_999_999_959
        ));
        assert!(close(
            beta("beta_inv", 0.1, 10.0, 20.0).unwrap(),
            0.226_415_022_388_749
        ));
        assert!(beta("beta_cdf", 1.5, 10.0, 20.0).unwrap().is_nan());
        assert_eq!(beta("beta_inv", 1.5, 10.0, 20.0), None);
    }
}
