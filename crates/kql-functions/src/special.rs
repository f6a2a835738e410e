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

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let name = strings(args, 0)?.get(0).unwrap_or("").to_string();
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
    let x = x - 1.0;
    let t = x + LANCZOS_G + 0.5;
    let sum = LANCZOS[1..]
        .iter()
        .enumerate()
        .fold(LANCZOS[0], |s, (i, c)| s + c / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin())
            .abs()
            .ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + LANCZOS_G + 0.5;
    let sum = LANCZOS[1..]
        .iter()
        .enumerate()
        .fold(LANCZOS[0], |s, (i, c)| s + c / (x + i as f64 + 1.0));
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
    }
}
