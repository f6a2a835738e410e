//! Conversion functions: `todatetime`, `totimespan`, `tolong`, `toint`, `toreal`, `tobool`,
//! `toguid`. Bad input gives null, never an error.

use crate::coerce::{cast_to, to_text};
use crate::convert::{TODATETIME, TOGUID, TOTIMESPAN};
use crate::table::{FunctionKind::Scalar, FunctionSpec};
use crate::typed::Typed;
use datafusion::functions::expr_fn::btrim;
use datafusion::logical_expr::{lit, try_cast};
use kql_types::KType;

macro_rules! conv {
    ($name:literal, [$($alias:literal),*], $bind:expr, $doc:literal) => {
        FunctionSpec { name: $name, aliases: &[$($alias),*], min_args: 1, max_args: 1, kind: Scalar($bind), doc: $doc }
    };
}

pub static CONVERSIONS: &[FunctionSpec] = &[
    conv!(
        "todatetime",
        [],
        |_, a| via_text(a, KType::Datetime),
        "A datetime from text (the forms Kusto accepts), else null."
    ),
    conv!(
        "totimespan",
        ["totime"],
        |_, a| via_text(a, KType::Timespan),
        "A timespan from text, else null."
    ),
    conv!(
        "tolong",
        ["toint64"],
        |_, a| numeric(a, KType::Long),
        "A long from a number or text, else null."
    ),
    conv!(
        "toint",
        [],
        |_, a| numeric(a, KType::Int),
        "An int from a number or text, else null."
    ),
    conv!(
        "toreal",
        ["todouble"],
        |_, a| numeric(a, KType::Real),
        "A real from a number or text, else null."
    ),
    conv!(
        "tobool",
        ["toboolean"],
        |_, a| numeric(a, KType::Bool),
        "A bool from true/false text or a number, else null."
    ),
    conv!(
        "toguid",
        [],
        |_, a| via_text(a, KType::Guid),
        "A guid from text."
    ),
];

fn first(args: Vec<Typed>) -> Typed {
    args.into_iter()
        .next()
        .unwrap_or_else(|| Typed::null(KType::String))
}

fn via_text(args: Vec<Typed>, to: KType) -> Result<Typed, String> {
    let v = first(args);
    if v.ty == to {
        return Ok(v);
    }
    let text = to_text(&v);
    Ok(match to {
        KType::Datetime => Typed::new(TODATETIME.call(vec![text]), to),
        KType::Timespan => Typed::new(TOTIMESPAN.call(vec![text]), to),
        KType::Guid => Typed::new(TOGUID.call(vec![text]), to),
        _ => Typed::new(text, to),
    })
}

fn numeric(args: Vec<Typed>, to: KType) -> Result<Typed, String> {
    let v = first(args);
    if v.ty == to {
        return Ok(v);
    }
    if v.ty.is_numeric() || v.ty == KType::Bool {
        if to == KType::Bool {
            return Ok(Typed::new(
                cast_to(v, KType::Real).expr.not_eq(lit(0.0)),
                KType::Bool,
            ));
        }
        return Ok(cast_to(v, to));
    }
    // Text (or the text of a dynamic value): parse leniently; bad input is null.
    let text = btrim(vec![to_text(&v)]);
    let parsed = match to {
        KType::Long | KType::Int => {
            // "1.5" converts to 1 in Kusto: parse as real, then truncate.
            let real = try_cast(text, KType::Real.arrow_type());
            try_cast(real, to.arrow_type())
        }
        _ => try_cast(text, to.arrow_type()),
    };
    Ok(Typed::new(parsed, to))
}

/// Converts a value to `ty` as the `to*` functions do (bad input is null); text of any value
/// for `string`, `parse_json` for `dynamic`.
pub fn to_type(v: Typed, ty: KType) -> Result<Typed, String> {
    match ty {
        KType::String => Ok(Typed::new(to_text(&v), KType::String)),
        KType::Dynamic if v.ty == KType::Dynamic => Ok(v),
        KType::Dynamic => Ok(Typed::new(
            crate::dynamic::PARSE_JSON.call(vec![to_text(&v)]),
            KType::Dynamic,
        )),
        KType::Datetime | KType::Timespan | KType::Guid => via_text(vec![v], ty),
        KType::Long | KType::Int | KType::Real | KType::Bool => numeric(vec![v], ty),
        KType::Decimal => Err("conversion to decimal is not supported yet".into()),
    }
}
