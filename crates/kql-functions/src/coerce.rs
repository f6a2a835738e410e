//! Conversions the binding rules share: text of any value, literals of datetimes and
//! timespans, numeric promotion.

use crate::convert::{DYN_TOSTRING, TOSTRING};
use crate::typed::Typed;
use datafusion::logical_expr::{Expr, cast, lit};
use datafusion::scalar::ScalarValue;
use kql_types::KType;

/// The value as Kusto text (what `tostring` gives), never null.
pub fn to_text(t: &Typed) -> Expr {
    match t.ty {
        KType::String | KType::Guid => {
            datafusion::functions::expr_fn::coalesce(vec![t.expr.clone(), lit("")])
        }
        KType::Dynamic => DYN_TOSTRING.call(vec![t.expr.clone()]),
        _ => TOSTRING.call(vec![t.expr.clone()]),
    }
}

pub fn datetime_lit(nanos: i64) -> Expr {
    lit(ScalarValue::TimestampNanosecond(
        Some(nanos),
        Some("UTC".into()),
    ))
}

pub fn timespan_lit(nanos: i64) -> Expr {
    lit(ScalarValue::DurationNanosecond(Some(nanos)))
}

/// The numeric type two operands promote to: int and long give long; real wins over both.
pub fn numeric_join(a: KType, b: KType) -> Option<KType> {
    use KType::*;
    Some(match (a, b) {
        (Real, x) | (x, Real) if x.is_numeric() => Real,
        (Decimal, x) | (x, Decimal) if x.is_numeric() => Decimal,
        (Int | Long, Int | Long) => Long,
        _ => return None,
    })
}

/// Casts to the Arrow type of `ty` unless the expression already has that Kusto type.
pub fn cast_to(t: Typed, ty: KType) -> Typed {
    if t.ty == ty {
        return t;
    }
    Typed::new(cast(t.expr, ty.arrow_type()), ty)
}

/// The common type of branch values (`iff`, `case`, `coalesce`), casting numerics.
pub fn unify(values: Vec<Typed>) -> Result<(Vec<Expr>, KType), String> {
    // A dynamic branch makes the result dynamic: other values are wrapped as dynamic.
    if values.iter().any(|v| v.ty == KType::Dynamic) {
        let exprs = values.into_iter().map(|v| to_dynamic(v).expr).collect();
        return Ok((exprs, KType::Dynamic));
    }
    let mut ty: Option<KType> = None;
    for v in &values {
        if is_untyped_null(&v.expr) {
            continue;
        }
        ty = Some(match ty {
            None => v.ty,
            Some(t) if t == v.ty => t,
            Some(t) => numeric_join(t, v.ty)
                .ok_or_else(|| format!("branches have different types: {t} and {}", v.ty))?,
        });
    }
    let ty = ty.unwrap_or(KType::String);
    Ok((
        values.into_iter().map(|v| cast_to(v, ty).expr).collect(),
        ty,
    ))
}

fn is_untyped_null(e: &Expr) -> bool {
    matches!(e, Expr::Literal(ScalarValue::Null, _))
}

/// A scalar as a dynamic value (JSON text).
pub fn to_dynamic(v: Typed) -> Typed {
    if v.ty == KType::Dynamic || is_untyped_null(&v.expr) {
        return Typed::new(v.expr, KType::Dynamic);
    }
    let e = crate::text_extra::TO_DYNAMIC.call(vec![v.expr, lit(v.ty.name())]);
    Typed::new(e, KType::Dynamic)
}
