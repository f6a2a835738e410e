//! Scalar functions of the table.

use crate::coerce::{cast_to, datetime_lit, numeric_join, to_text, unify};
use crate::dynamic::PARSE_JSON;
use crate::table::{CallCtx, FunctionSpec};
use crate::text::EXTRACT;
use crate::typed::Typed;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, lit, not, when};
use kql_types::KType;

const MANY: usize = usize::MAX;

use crate::table::scalar_fn as scalar;

pub static SCALARS: &[FunctionSpec] = &[
    scalar!(
        "now",
        [],
        0,
        1,
        now,
        "The current time (pinned with --now), plus an optional offset."
    ),
    scalar!("ago", [], 1, 1, ago, "now() minus a timespan."),
    scalar!(
        "tostring",
        [],
        1,
        1,
        tostring,
        "A value as text; null is the empty string."
    ),
    scalar!(
        "parse_json",
        ["todynamic", "parsejson", "toobject"],
        1,
        1,
        parse_json,
        "Parses JSON text into a dynamic value; invalid JSON is a dynamic string."
    ),
    scalar!(
        "extract",
        [],
        3,
        4,
        extract,
        "A regex capture group of the text, or the empty string."
    ),
    scalar!(
        "coalesce",
        [],
        1,
        MANY,
        coalesce,
        "The first non-null (for strings: non-empty) argument."
    ),
    scalar!(
        "isempty",
        [],
        1,
        1,
        isempty,
        "True for null or the empty string."
    ),
    scalar!(
        "isnotempty",
        ["notempty"],
        1,
        1,
        isnotempty,
        "False for null or the empty string."
    ),
    scalar!(
        "isnull",
        [],
        1,
        1,
        isnull,
        "True for null; a string is never null."
    ),
    scalar!("isnotnull", ["notnull"], 1, 1, isnotnull, "False for null."),
    scalar!("tolower", [], 1, 1, tolower, "Lower-cases text."),
    scalar!("toupper", [], 1, 1, toupper, "Upper-cases text."),
    scalar!(
        "strcat",
        [],
        1,
        64,
        strcat,
        "Concatenates the text of its arguments."
    ),
    scalar!(
        "strlen",
        [],
        1,
        1,
        strlen,
        "The number of characters of the text."
    ),
    scalar!(
        "iff",
        ["iif"],
        3,
        3,
        iff,
        "The second argument where the condition is true, else the third."
    ),
    scalar!(
        "case",
        [],
        3,
        MANY,
        case_fn,
        "The value of the first true condition, else the last argument."
    ),
    scalar!("not", [], 1, 1, not_fn, "Logical negation."),
];

fn now(ctx: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let base = Typed::new(datetime_lit(ctx.now), KType::Datetime);
    match args.into_iter().next() {
        None => Ok(base),
        Some(offset) => {
            expect(&offset, &[KType::Timespan], "now")?;
            Ok(Typed::new(base.expr + offset.expr, KType::Datetime))
        }
    }
}

fn ago(ctx: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [span] = one(args);
    expect(&span, &[KType::Timespan], "ago")?;
    // A literal span folds to a datetime literal, which filters can push down.
    if let Expr::Literal(datafusion::scalar::ScalarValue::DurationNanosecond(Some(d)), _) =
        span.expr
    {
        return Ok(Typed::new(
            datetime_lit(ctx.now.saturating_sub(d)),
            KType::Datetime,
        ));
    }
    Ok(Typed::new(
        datetime_lit(ctx.now) - span.expr,
        KType::Datetime,
    ))
}

fn tostring(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(to_text(&v), KType::String))
}

fn parse_json(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(match v.ty {
        KType::Dynamic => v,
        KType::String => Typed::new(PARSE_JSON.call(vec![v.expr]), KType::Dynamic),
        _ => Typed::new(PARSE_JSON.call(vec![to_text(&v)]), KType::Dynamic),
    })
}

fn extract(_: &CallCtx, mut args: Vec<Typed>) -> Result<Typed, String> {
    let result_type = if args.len() == 4 {
        let t = args.pop().and_then(|t| t.as_type_arg());
        Some(t.ok_or("extract(): the fourth argument is typeof(T)")?)
    } else {
        None
    };
    let mut it = args.into_iter();
    let (Some(re), Some(group), Some(text)) = (it.next(), it.next(), it.next()) else {
        return Err("extract() takes 3 arguments".into());
    };
    expect(&re, &[KType::String], "extract")?;
    expect(&group, &[KType::Int, KType::Long], "extract")?;
    if let Some(p) = re.as_str_literal() {
        crate::text::compile_regex(p).map_err(|e| e.to_string())?;
    }
    let group = cast_to(group, KType::Long);
    let found = Typed::new(
        EXTRACT.call(vec![re.expr, group.expr, to_text(&text)]),
        KType::String,
    );
    match result_type {
        Some(t) => crate::scalars_convert::to_type(found, t),
        None => Ok(found),
    }
}

fn coalesce(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let (exprs, ty) = unify(args)?;
    if ty == KType::String {
        // Kusto: the first non-empty string.
        return Ok(Typed::new(
            crate::coalesce::COALESCE_TEXT.call(exprs),
            KType::String,
        ));
    }
    Ok(Typed::new(f::coalesce(exprs), ty))
}

fn empty_test(v: &Typed) -> Expr {
    if v.ty.is_text() {
        v.expr.clone().is_null().or(v.expr.clone().eq(lit("")))
    } else {
        v.expr.clone().is_null()
    }
}

fn isempty(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(empty_test(&v), KType::Bool))
}

fn isnotempty(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(not(empty_test(&v)), KType::Bool))
}

fn isnull(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    // A string is never null in Kusto.
    if v.ty == KType::String {
        return Ok(Typed::bool(false));
    }
    Ok(Typed::new(v.expr.is_null(), KType::Bool))
}

fn isnotnull(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    if v.ty == KType::String {
        return Ok(Typed::bool(true));
    }
    Ok(Typed::new(v.expr.is_not_null(), KType::Bool))
}

fn tolower(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(f::lower(to_text(&v)), KType::String))
}

fn toupper(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(f::upper(to_text(&v)), KType::String))
}

fn strcat(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    Ok(Typed::new(
        f::concat(args.iter().map(to_text).collect()),
        KType::String,
    ))
}

fn strlen(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    Ok(Typed::new(
        datafusion::logical_expr::cast(f::character_length(to_text(&v)), KType::Long.arrow_type()),
        KType::Long,
    ))
}

fn iff(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(c), Some(a), Some(b)) = (it.next(), it.next(), it.next()) else {
        return Err("iff() takes 3 arguments".into());
    };
    expect(&c, &[KType::Bool], "iff")?;
    let (mut vals, ty) = unify(vec![a, b])?;
    let b = vals.pop().unwrap_or(lit(""));
    let a = vals.pop().unwrap_or(lit(""));
    let e = when(c.expr, a).otherwise(b).map_err(|e| e.to_string())?;
    Ok(Typed::new(e, ty))
}

fn case_fn(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    if args.len().is_multiple_of(2) {
        return Err("case() takes pairs of condition and value, then a default value".into());
    }
    let mut conds = Vec::new();
    let mut values = Vec::new();
    let mut it = args.into_iter();
    while let Some(x) = it.next() {
        match it.next() {
            Some(v) => {
                expect(&x, &[KType::Bool], "case")?;
                conds.push(x.expr);
                values.push(v);
            }
            None => values.push(x),
        }
    }
    let (mut vals, ty) = unify(values)?;
    let default = vals.pop().unwrap_or(lit(""));
    let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
    for (c, v) in conds.into_iter().zip(vals) {
        builder = Some(match builder {
            None => when(c, v),
            Some(mut b) => b.when(c, v),
        });
    }
    let e = match builder {
        Some(mut b) => b.otherwise(default).map_err(|e| e.to_string())?,
        None => default,
    };
    Ok(Typed::new(e, ty))
}

fn not_fn(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [v] = one(args);
    expect(&v, &[KType::Bool], "not")?;
    Ok(Typed::new(not(v.expr), KType::Bool))
}

/// The single argument of a one-argument function (arity is checked before binding).
fn one(args: Vec<Typed>) -> [Typed; 1] {
    let mut it = args.into_iter();
    [it.next().unwrap_or_else(|| Typed::null(KType::String))]
}

fn expect(v: &Typed, allowed: &[KType], func: &str) -> Result<(), String> {
    if allowed.contains(&v.ty) || (v.ty == KType::Dynamic) {
        return Ok(());
    }
    if allowed
        .iter()
        .any(|a| numeric_join(*a, v.ty).is_some() && a.is_numeric())
    {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
    Err(format!(
        "{func}(): expected an argument of type {}, got {}",
        names.join(" or "),
        v.ty
    ))
}
