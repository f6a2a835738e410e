//! Literals: typed constants, and `dynamic(...)` values as JSON text.

use datafusion::logical_expr::lit;
use datafusion::scalar::ScalarValue;
use kql_functions::Typed;
use kql_functions::coerce::{datetime_lit, timespan_lit};
use kql_syntax::ast::{DynValue, Literal};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::{KType, parse_datetime, parse_timespan};
use serde_json::{Map, Number, Value};

pub fn bind_literal(l: &Literal, span: Span) -> Result<Typed, Diagnostic> {
    let bad = |what: &str, text: &str| {
        Diagnostic::error(
            codes::BAD_LITERAL,
            format!("invalid {what} literal '{text}'"),
            span,
        )
    };
    Ok(match l {
        Literal::Null => Typed::new(lit(ScalarValue::Null), KType::Dynamic),
        Literal::Bool(b) => Typed::bool(*b),
        Literal::Long(v) => Typed::long(*v),
        Literal::Int(v) => Typed::new(lit(*v as i32), KType::Int),
        Literal::Real(v) => Typed::new(lit(*v), KType::Real),
        Literal::Decimal(text) => {
            let Some(v) = decimal_units(text) else {
                return Err(Diagnostic::unsupported(
                    format!("decimal literal '{text}'"),
                    span,
                ));
            };
            let (precision, scale) = match KType::Decimal.arrow_type() {
                datafusion::arrow::datatypes::DataType::Decimal128(p, s) => (p, s),
                _ => (38, 18),
            };
            Typed::new(
                lit(ScalarValue::Decimal128(Some(v), precision, scale)),
                KType::Decimal,
            )
        }
        Literal::String(s) => Typed::string(s.clone()),
        Literal::Datetime(text) => {
            let v = datetime_literal(text).ok_or_else(|| bad("datetime", text))?;
            Typed::new(datetime_lit(v), KType::Datetime)
        }
        Literal::Timespan(v) => Typed::new(timespan_lit(*v), KType::Timespan),
        Literal::TimespanText(text) => {
            let v = parse_timespan(text).ok_or_else(|| bad("timespan", text))?;
            Typed::new(timespan_lit(v), KType::Timespan)
        }
        Literal::Guid(text) => Typed::new(lit(text.to_lowercase()), KType::Guid),
        Literal::TypedNull(ty) => {
            let t = KType::from_name(ty).ok_or_else(|| bad("type", ty))?;
            Typed::null(t)
        }
    })
}

/// The JSON text of a `dynamic(...)` literal; None for `dynamic(null)`.
pub fn dynamic_json(v: &DynValue, span: Span) -> Result<Option<String>, Diagnostic> {
    let value = to_json(v, span)?;
    Ok(kql_functions::dynamic::to_json_text(&value))
}

fn to_json(v: &DynValue, span: Span) -> Result<Value, Diagnostic> {
    Ok(match v {
        DynValue::Null => Value::Null,
        DynValue::Bool(b) => Value::Bool(*b),
        DynValue::Long(i) => Value::Number((*i).into()),
        DynValue::Real(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        DynValue::String(s) => Value::String(s.clone()),
        DynValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(i, span))
                .collect::<Result<_, _>>()?,
        ),
        DynValue::Object(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), to_json(v, span)?);
            }
            Value::Object(m)
        }
        DynValue::Scalar(l) => match l {
            Literal::Datetime(text) => {
                let v = datetime_literal(text).ok_or_else(|| {
                    Diagnostic::error(
                        codes::BAD_LITERAL,
                        format!("invalid datetime literal '{text}'"),
                        span,
                    )
                })?;
                Value::String(kql_types::datetime_text(v))
            }
            Literal::Timespan(v) => Value::String(kql_types::format_timespan(*v)),
            Literal::Guid(g) => Value::String(g.to_lowercase()),
            Literal::Long(i) | Literal::Int(i) => Value::Number((*i).into()),
            Literal::Real(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::String(s) => Value::String(s.clone()),
            _ => Value::Null,
        },
    })
}

/// A constant of type `ty` from plain text (`--param` values): `5`, `2024-01-01`, `1h`, `abc`.
pub fn parse_typed(text: &str, ty: KType) -> Option<Typed> {
    let t = text.trim();
    Some(match ty {
        KType::String => Typed::string(text),
        KType::Guid => Typed::new(lit(t.to_lowercase()), KType::Guid),
        KType::Long => Typed::long(t.parse().ok()?),
        KType::Int => Typed::new(lit(t.parse::<i32>().ok()?), KType::Int),
        KType::Real => Typed::new(lit(t.parse::<f64>().ok()?), KType::Real),
        KType::Bool => Typed::bool(match t.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return None,
        }),
        KType::Datetime => Typed::new(datetime_lit(parse_datetime(t)?), KType::Datetime),
        KType::Timespan => Typed::new(timespan_lit(parse_timespan(t)?), KType::Timespan),
        KType::Dynamic => {
            let v = kql_functions::dynamic::parse_text(t)?;
            Typed::new(
                lit(kql_functions::dynamic::to_json_text(&v)?),
                KType::Dynamic,
            )
        }
        KType::Decimal => return None,
    })
}

/// The text of a `datetime(...)` literal: any text `todatetime` reads (also quoted), or
/// `year, month, day[, hour, minute, second]`.
fn datetime_literal(text: &str) -> Option<i64> {
    let unquoted = text.trim().trim_matches(|c| c == '"' || c == '\'');
    if let Some(v) = parse_datetime(unquoted) {
        return Some(v);
    }
    let parts: Vec<u32> = unquoted
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let at = |i: usize| parts.get(i).copied().unwrap_or(0);
    if !(3..=6).contains(&parts.len()) {
        return None;
    }
    let text = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        at(0),
        at(1),
        at(2),
        at(3),
        at(4),
        at(5)
    );
    parse_datetime(&text)
}

/// The Kusto type a type name denotes (`string`, `long`, `double`, ...).
pub fn resolve_type(t: &kql_syntax::ast::TypeName) -> Result<KType, Diagnostic> {
    KType::from_name(&t.name).ok_or_else(|| {
        Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!("unknown type '{}'", t.name),
            t.span,
        )
    })
}

/// A decimal literal's text (`-123.45`) in units of 10^-18, as Kusto's decimal column
/// holds it here; None beyond 20 integer digits or with an exponent.
fn decimal_units(text: &str) -> Option<i128> {
    let (negative, digits) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim().trim_start_matches('+')),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() > 20 || !all_digits(whole) || !all_digits(fraction) || digits.is_empty() {
        return None;
    }
    let mut units: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    for i in 0..18 {
        let d = fraction
            .as_bytes()
            .get(i)
            .map_or(0, |b| i128::from(b - b'0'));
        units = units * 10 + d;
    }
    Some(if negative { -units } else { units })
}
