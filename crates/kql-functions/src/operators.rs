//! Binary operators: type rules and their DataFusion expressions, with Kusto semantics
//! (integer promotion, datetime arithmetic, case-insensitive `=~`, term-aware `has`).

use crate::coerce::{cast_to, numeric_join, to_text};
use crate::text::operator_udf;
use crate::typed::Typed;
use datafusion::functions::expr_fn::lower;
use datafusion::logical_expr::{Expr, Operator, binary_expr, not};
use kql_syntax::ast::{BinaryOp, StrOp, StrOpKind};
use kql_types::KType;

pub fn bind_binary(op: BinaryOp, l: Typed, r: Typed) -> Result<Typed, String> {
    match op {
        BinaryOp::And | BinaryOp::Or => {
            for side in [&l, &r] {
                if side.ty != KType::Bool {
                    return Err(format!(
                        "'{}' needs bool operands, got {}",
                        op_name(op),
                        side.ty
                    ));
                }
            }
            let e = if op == BinaryOp::And {
                l.expr.and(r.expr)
            } else {
                l.expr.or(r.expr)
            };
            Ok(Typed::new(e, KType::Bool))
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            arithmetic(op, l, r)
        }
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge => compare(op, l, r),
        BinaryOp::EqTilde | BinaryOp::NotTilde => {
            let e = lower(to_text(&l)).eq(lower(to_text(&r)));
            Ok(Typed::new(
                if op == BinaryOp::EqTilde { e } else { not(e) },
                KType::Bool,
            ))
        }
        BinaryOp::Str(s) => string_op(s, l, r),
    }
}

fn op_name(op: BinaryOp) -> String {
    match op {
        BinaryOp::Or => "or".into(),
        BinaryOp::And => "and".into(),
        BinaryOp::Eq => "==".into(),
        BinaryOp::NotEq => "!=".into(),
        BinaryOp::Lt => "<".into(),
        BinaryOp::Le => "<=".into(),
        BinaryOp::Gt => ">".into(),
        BinaryOp::Ge => ">=".into(),
        BinaryOp::EqTilde => "=~".into(),
        BinaryOp::NotTilde => "!~".into(),
        BinaryOp::Add => "+".into(),
        BinaryOp::Sub => "-".into(),
        BinaryOp::Mul => "*".into(),
        BinaryOp::Div => "/".into(),
        BinaryOp::Mod => "%".into(),
        BinaryOp::Str(s) => s.spelling(),
    }
}

fn df_op(op: BinaryOp) -> Operator {
    match op {
        BinaryOp::Add => Operator::Plus,
        BinaryOp::Sub => Operator::Minus,
        BinaryOp::Mul => Operator::Multiply,
        BinaryOp::Div => Operator::Divide,
        BinaryOp::Mod => Operator::Modulo,
        BinaryOp::Eq => Operator::Eq,
        BinaryOp::NotEq => Operator::NotEq,
        BinaryOp::Lt => Operator::Lt,
        BinaryOp::Le => Operator::LtEq,
        BinaryOp::Gt => Operator::Gt,
        BinaryOp::Ge => Operator::GtEq,
        _ => Operator::Eq,
    }
}

fn arithmetic(op: BinaryOp, l: Typed, r: Typed) -> Result<Typed, String> {
    use KType::*;
    let (lt, rt) = (l.ty, r.ty);
    let (l, r) = (undynamic(l, rt), undynamic(r, lt));
    let result = match (l.ty, op, r.ty) {
        (Datetime, BinaryOp::Sub, Datetime) => Timespan,
        (Datetime, BinaryOp::Add | BinaryOp::Sub, Timespan) => Datetime,
        (Timespan, BinaryOp::Add, Datetime) => Datetime,
        (Timespan, BinaryOp::Add | BinaryOp::Sub, Timespan) => Timespan,
        (Timespan, BinaryOp::Div, Timespan) => {
            let e = binary_expr(
                cast_to(l, Long).expr,
                Operator::Divide,
                cast_to(r, Real).expr,
            );
            return Ok(Typed::new(e, Real));
        }
        (Timespan, BinaryOp::Mul | BinaryOp::Div, Int | Long | Real)
        | (Int | Long | Real, BinaryOp::Mul, Timespan) => {
            // Computed on nanoseconds, then back to a duration.
            let (ts, n) = if l.ty == Timespan { (l, r) } else { (r, l) };
            let n = cast_to(n, Real);
            let e = binary_expr(cast_to(ts, Real).expr, df_op(op), n.expr);
            return Ok(cast_to(
                Typed::new(cast_to(Typed::new(e, Real), Long).expr, Long),
                Timespan,
            ));
        }
        (a, _, b) => match numeric_join(a, b) {
            Some(t) if op == BinaryOp::Mod => {
                // Kusto's modulo is never negative: -14 % 12 == 10, 14 % -12 == 2.
                let (x, y) = (cast_to(l, t).expr, cast_to(r, t).expr);
                let m = datafusion::functions::expr_fn::abs(y.clone());
                let e = binary_expr(
                    binary_expr(x, Operator::Modulo, y) + m.clone(),
                    Operator::Modulo,
                    m,
                );
                return Ok(Typed::new(e, t));
            }
            Some(t) => {
                let e = binary_expr(cast_to(l, t).expr, df_op(op), cast_to(r, t).expr);
                return Ok(Typed::new(e, t));
            }
            None => {
                return Err(format!(
                    "operator '{}' cannot be applied to {a} and {b}",
                    op_name(op)
                ));
            }
        },
    };
    Ok(Typed::new(binary_expr(l.expr, df_op(op), r.expr), result))
}

/// A dynamic operand next to a typed one converts to that type (as Kusto does).
fn undynamic(v: Typed, other: KType) -> Typed {
    if v.ty != KType::Dynamic || other == KType::Dynamic {
        return v;
    }
    match other {
        KType::String | KType::Guid => Typed::new(to_text(&v), KType::String),
        KType::Bool => Typed::new(
            datafusion::logical_expr::try_cast(to_text(&v), KType::Bool.arrow_type()),
            KType::Bool,
        ),
        t if t.is_numeric() => {
            let text = Typed::new(to_text(&v), KType::String);
            Typed::new(
                datafusion::logical_expr::try_cast(text.expr, KType::Real.arrow_type()),
                KType::Real,
            )
        }
        _ => v,
    }
}

fn compare(op: BinaryOp, l: Typed, r: Typed) -> Result<Typed, String> {
    use KType::*;
    let (lt, rt) = (l.ty, r.ty);
    let (l, r) = (undynamic(l, rt), undynamic(r, lt));
    let equality = matches!(op, BinaryOp::Eq | BinaryOp::NotEq);
    let (le, re) = match (l.ty, r.ty) {
        (a, b) if a == b => (l.expr, r.expr),
        (String | Guid, String | Guid) => (l.expr, r.expr),
        // A string next to a number: equal as text, ordered as numbers.
        (String | Guid, n) | (n, String | Guid) if n.is_numeric() && equality => {
            (to_text(&l), to_text(&r))
        }
        (String | Guid, n) | (n, String | Guid) if n.is_numeric() => (
            datafusion::logical_expr::try_cast(to_text(&l), Real.arrow_type()),
            datafusion::logical_expr::try_cast(to_text(&r), Real.arrow_type()),
        ),
        (Bool, n) | (n, Bool) if n.is_numeric() => (cast_to(l, Long).expr, cast_to(r, Long).expr),
        // A bool next to text: equal when the text is its name, in any case.
        (Bool, String) | (String, Bool) => (lower(to_text(&l)), lower(to_text(&r))),
        (a, b) => match numeric_join(a, b) {
            Some(t) => (cast_to(l, t).expr, cast_to(r, t).expr),
            None => {
                return Err(format!(
                    "cannot compare {a} with {b} using '{}'",
                    op_name(op)
                ));
            }
        },
    };
    Ok(Typed::new(null_aware(op, le, re), Bool))
}

/// Kusto compares with null differently from SQL: `5 == null` is false and `5 != null` true;
/// only `null == null` (and any ordering with a null) is null.
fn null_aware(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    let plain = binary_expr(l.clone(), df_op(op), r.clone());
    let one_null_gives = match op {
        BinaryOp::Eq => false,
        BinaryOp::NotEq => true,
        _ => return plain,
    };
    let non_null_literal = |e: &Expr| matches!(e, Expr::Literal(v, _) if !v.is_null());
    if non_null_literal(&l) || non_null_literal(&r) {
        return datafusion::functions::expr_fn::coalesce(vec![
            plain,
            datafusion::logical_expr::lit(one_null_gives),
        ]);
    }
    let both_null = l.clone().is_null().and(r.clone().is_null());
    let one_null = l.is_null().or(r.is_null());
    datafusion::logical_expr::when(
        both_null,
        datafusion::logical_expr::lit(datafusion::scalar::ScalarValue::Boolean(None)),
    )
    .when(one_null, datafusion::logical_expr::lit(one_null_gives))
    .otherwise(plain.clone())
    .unwrap_or(plain)
}

fn string_op(op: StrOp, l: Typed, r: Typed) -> Result<Typed, String> {
    let Some(udf) = operator_udf(op.kind, op.case_sensitive) else {
        return Err(format!("'{}' needs a list of values", op.spelling()));
    };
    if op.kind == StrOpKind::MatchesRegex
        && let Some(p) = r.as_str_literal()
    {
        crate::text::compile_regex(p).map_err(|e| e.to_string())?;
    }
    let e = udf.call(vec![to_text(&l), to_text(&r)]);
    Ok(Typed::new(if op.negated { not(e) } else { e }, KType::Bool))
}

/// `has_any` / `has_all` over a list of values.
pub fn bind_has_list(op: StrOp, l: Typed, items: Vec<Typed>) -> Result<Typed, String> {
    let term = StrOp {
        kind: StrOpKind::Has,
        negated: false,
        case_sensitive: false,
    };
    let all = op.kind == StrOpKind::HasAll;
    // Constant terms: one call over the whole list.
    let constants: Option<Vec<String>> = items
        .iter()
        .map(|i| i.as_str_literal().map(str::to_string))
        .collect();
    let acc = match constants {
        Some(terms) => {
            let list = serde_json::Value::from(terms).to_string();
            crate::text::HAS_LIST.call(vec![
                to_text(&l),
                datafusion::logical_expr::lit(list),
                datafusion::logical_expr::lit(all),
            ])
        }
        None => {
            let parts = items
                .into_iter()
                .map(|i| string_op(term, l.clone(), i).map(|t| t.expr))
                .collect::<Result<Vec<Expr>, String>>()?;
            balanced(parts, all).unwrap_or_else(|| datafusion::logical_expr::lit(all))
        }
    };
    Ok(Typed::new(
        if op.negated { not(acc) } else { acc },
        KType::Bool,
    ))
}

/// Combines predicates with `and`/`or` as a balanced tree, so that long lists stay shallow.
pub fn balanced(mut parts: Vec<Expr>, all: bool) -> Option<Expr> {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) if all => a.and(b),
                Some(b) => a.or(b),
                None => a,
            });
        }
        parts = next;
    }
    parts.pop()
}

/// `x in (a, b)`, `!in`, `in~` over scalar values.
pub fn bind_in(
    l: Typed,
    items: Vec<Typed>,
    negated: bool,
    case_insensitive: bool,
) -> Result<Typed, String> {
    let fold = |t: &Typed| {
        if case_insensitive {
            lower(to_text(t))
        } else {
            t.expr.clone()
        }
    };
    if case_insensitive || l.ty.is_text() {
        let list = items
            .iter()
            .map(|i| {
                if case_insensitive {
                    fold(i)
                } else {
                    to_text(i)
                }
            })
            .collect();
        let lhs = if case_insensitive {
            fold(&l)
        } else {
            to_text(&l)
        };
        return Ok(Typed::new(lhs.in_list(list, negated), KType::Bool));
    }
    let mut ty = l.ty;
    for i in &items {
        if i.ty != ty {
            ty = numeric_join(ty, i.ty).unwrap_or(ty);
        }
    }
    let list = items.into_iter().map(|i| cast_to(i, ty).expr).collect();
    Ok(Typed::new(
        cast_to(l, ty).expr.in_list(list, negated),
        KType::Bool,
    ))
}
