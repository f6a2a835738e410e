//! Scalar expressions: literals, names, property access, operators and function calls.

use crate::binder::{Binder, Value};
use crate::literal::{bind_literal, dynamic_json};
use crate::names::suggest;
use crate::tab::Tab;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr as DfExpr, lit};
use datafusion::scalar::ScalarValue;
use kql_functions::dynamic::DYN_GET;
use kql_functions::operators::{bind_binary, bind_has_list, bind_in};
use kql_functions::{FunctionKind, Typed, lookup};
use kql_syntax::ast::{BinaryOp, Expr, ExprKind, Name, StrOpKind, UnaryOp};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;
use serde_json::Value as Json;

impl Binder<'_> {
    /// Binds an expression that must be scalar; `row` holds the columns in scope.
    pub(crate) fn scalar(&mut self, e: &Expr, row: Option<&Tab>) -> Result<Typed, Diagnostic> {
        stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || self.scalar_inner(e, row))
    }

    fn scalar_inner(&mut self, e: &Expr, row: Option<&Tab>) -> Result<Typed, Diagnostic> {
        let type_err = |msg: String| Diagnostic::error(codes::TYPE_MISMATCH, msg, e.span);
        match &e.kind {
            // `datetime(now)` is now().
            ExprKind::Literal(kql_syntax::ast::Literal::Datetime(t)) if t.trim() == "now" => {
                Ok(Typed::new(
                    kql_functions::coerce::datetime_lit(self.ctx.now),
                    KType::Datetime,
                ))
            }
            ExprKind::Literal(l) => bind_literal(l, e.span),
            ExprKind::Dynamic(v) => Ok(match dynamic_json(v, e.span)? {
                Some(json) => Typed::new(lit(json), KType::Dynamic),
                None => Typed::null(KType::Dynamic),
            }),
            ExprKind::Name(_)
            | ExprKind::Call { .. }
            | ExprKind::Pipe { .. }
            | ExprKind::Source(_) => match self.value(e, row)? {
                Value::Scalar(t) => Ok(t),
                Value::Tabular(_) => Err(Diagnostic::error(
                    codes::EXPR_KIND,
                    "expected a scalar expression, found a tabular one",
                    e.span,
                )),
            },
            ExprKind::Member { .. } | ExprKind::Index { .. } => self.dynamic_path(e, row),
            ExprKind::Unary { op, operand } => {
                let v = self.scalar(operand, row)?;
                match op {
                    UnaryOp::Plus => Ok(v),
                    UnaryOp::Neg if v.ty.is_numeric() || v.ty == KType::Timespan => {
                        Ok(Typed::new(DfExpr::Negative(Box::new(v.expr)), v.ty))
                    }
                    UnaryOp::Neg => {
                        Err(type_err(format!("cannot negate a value of type {}", v.ty)))
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.scalar(lhs, row)?;
                if let BinaryOp::Str(s) = op
                    && matches!(s.kind, StrOpKind::HasAny | StrOpKind::HasAll)
                {
                    let items = self.list_items(rhs, row)?;
                    return bind_has_list(*s, l, items).map_err(type_err);
                }
                let r = self.scalar(rhs, row)?;
                bind_binary(*op, l, r).map_err(type_err)
            }
            ExprKind::In {
                lhs,
                negated,
                case_insensitive,
                list,
            } => {
                let l = self.scalar(lhs, row)?;
                let mut items = Vec::new();
                let mut tables = Vec::new();
                for item in list {
                    match self.list_item(item, row)? {
                        ListItem::Values(v) => items.extend(v),
                        ListItem::Table(t) => tables.push((*t, item.span)),
                    }
                }
                let mut parts = Vec::new();
                if !items.is_empty() || tables.is_empty() {
                    parts.push(
                        bind_in(l.clone(), items, false, *case_insensitive)
                            .map_err(type_err)?
                            .expr,
                    );
                }
                for (t, span) in tables {
                    parts.push(in_table(&l, t, *case_insensitive, span)?);
                }
                let any = parts.into_iter().reduce(DfExpr::or).unwrap_or(lit(false));
                Ok(Typed::new(if *negated { !any } else { any }, KType::Bool))
            }
            ExprKind::Between {
                lhs,
                negated,
                low,
                high,
            } => {
                let l = self.scalar(lhs, row)?;
                let lo = self.scalar(low, row)?;
                let mut hi = self.scalar(high, row)?;
                // `t between (start .. 1d)`: a timespan upper bound counts from the start.
                if lo.ty == KType::Datetime && hi.ty == KType::Timespan {
                    hi = bind_binary(BinaryOp::Add, lo.clone(), hi).map_err(type_err)?;
                }
                let ge = bind_binary(BinaryOp::Ge, l.clone(), lo).map_err(type_err)?;
                let le = bind_binary(BinaryOp::Le, l, hi).map_err(type_err)?;
                let both = ge.expr.and(le.expr);
                Ok(Typed::new(if *negated { !both } else { both }, KType::Bool))
            }
            ExprKind::Tuple(items) if items.len() == 1 => self.scalar(&items[0], row),
            ExprKind::Tuple(_) => Err(Diagnostic::error(
                codes::SYNTAX,
                "a list of values is not valid here",
                e.span,
            )),
            ExprKind::Star => Err(Diagnostic::error(
                codes::SYNTAX,
                "'*' is not valid here",
                e.span,
            )),
            ExprKind::NamedArg { .. } => Err(Diagnostic::error(
                codes::SYNTAX,
                "a named argument is only valid in a function call",
                e.span,
            )),
            ExprKind::TypeOf(t) => crate::literal::resolve_type(t).map(Typed::type_arg),
        }
    }

    /// The values of a `has_any` list item (constants or dynamic arrays).
    fn list_items(&mut self, item: &Expr, row: Option<&Tab>) -> Result<Vec<Typed>, Diagnostic> {
        match self.list_item(item, row)? {
            ListItem::Values(v) => Ok(v),
            ListItem::Table(_) => Err(Diagnostic::unsupported(
                "a tabular expression in a has_any list",
                item.span,
            )),
        }
    }

    /// An `in` list item: a scalar, a dynamic array literal (its elements), a list, or a
    /// table (its first column).
    fn list_item(&mut self, item: &Expr, row: Option<&Tab>) -> Result<ListItem, Diagnostic> {
        if let ExprKind::Tuple(items) = &item.kind {
            let mut out = Vec::new();
            for i in items {
                out.extend(self.list_items(i, row)?);
            }
            return Ok(ListItem::Values(out));
        }
        Ok(match self.value(item, row)? {
            Value::Scalar(t) => ListItem::Values(expand_dynamic_array(t)),
            Value::Tabular(t) => ListItem::Table(Box::new(t)),
        })
    }

    /// `a.b[0]['c']`: one `kql_dyn_get` call over the whole path.
    fn dynamic_path(&mut self, e: &Expr, row: Option<&Tab>) -> Result<Typed, Diagnostic> {
        let mut steps = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Member { target, name } => {
                    steps.push(lit(name.name.clone()));
                    cur = target;
                }
                ExprKind::Index { target, index } => {
                    let i = self.scalar(index, row)?;
                    let step = match i.ty {
                        KType::String => i.expr,
                        KType::Int | KType::Long => {
                            kql_functions::coerce::cast_to(i, KType::Long).expr
                        }
                        other => {
                            return Err(Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                format!("an index must be a string or an integer, got {other}"),
                                index.span,
                            ));
                        }
                    };
                    steps.push(step);
                    cur = target;
                }
                _ => break,
            }
        }
        steps.reverse();
        let mut base = self.scalar(cur, row)?;
        // Kusto reads properties of a string column as of its JSON.
        if base.ty == KType::String {
            base = Typed::new(
                kql_functions::dynamic::PARSE_JSON.call(vec![base.expr]),
                KType::Dynamic,
            );
        }
        if base.ty != KType::Dynamic {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("property access needs a dynamic value; this is {}", base.ty),
                cur.span,
            ));
        }
        let mut args = vec![base.expr];
        args.extend(steps);
        Ok(Typed::new(DYN_GET.call(args), KType::Dynamic))
    }

    /// A call of a function from the table (user functions are handled by `value`).
    pub(crate) fn scalar_call(
        &mut self,
        name: &Name,
        args: &[Expr],
        row: Option<&Tab>,
        span: Span,
    ) -> Result<Typed, Diagnostic> {
        let Some(spec) = lookup(&name.name) else {
            let known: Vec<String> = kql_functions::table::all()
                .map(|s| s.name.to_string())
                .collect();
            let d = Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("unknown function '{}'", name.name),
                name.span,
            );
            return Err(match suggest(&name.name, &known) {
                Some(s) => d.with_help(format!("did you mean '{s}'?")),
                None => d,
            });
        };
        spec.check_arity(args.len())
            .map_err(|m| Diagnostic::error(codes::ARG_COUNT, m, span))?;
        match &spec.kind {
            FunctionKind::Scalar(bind) => {
                let mut bound = Vec::with_capacity(args.len());
                for a in args {
                    bound.push(self.scalar(a, row)?);
                }
                bind(&self.ctx, bound).map_err(|m| Diagnostic::error(codes::TYPE_MISMATCH, m, span))
            }
            FunctionKind::Aggregate(agg) => {
                let Some(bind) = agg.bind else {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        format!("{}() must be a whole summarize item of its own", spec.name),
                        span,
                    ));
                };
                // Aggregate arguments are row expressions; nested aggregates are not allowed.
                let Some(collected) = self.aggs.take() else {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        format!("the aggregate {}() is only valid in summarize", spec.name),
                        span,
                    ));
                };
                let bound: Result<Vec<Typed>, Diagnostic> = args
                    .iter()
                    .filter(|a| !matches!(a.kind, ExprKind::Star))
                    .map(|a| self.scalar(a, row))
                    .collect();
                let mut collected = collected;
                let result = bound.and_then(|b| {
                    bind(b).map_err(|m| Diagnostic::error(codes::TYPE_MISMATCH, m, span))
                });
                let out = result.map(|t| {
                    let internal = format!("__agg{}", collected.len());
                    collected.push((t.expr, internal.clone()));
                    Typed::new(DfExpr::Column(Column::from_name(internal)), t.ty)
                });
                self.aggs = Some(collected);
                out
            }
        }
    }
}

/// A constant dynamic array stands for its elements in `in` and `has_any` lists.
fn expand_dynamic_array(t: Typed) -> Vec<Typed> {
    if t.ty != KType::Dynamic {
        return vec![t];
    }
    let DfExpr::Literal(ScalarValue::Utf8(Some(json)), _) = &t.expr else {
        return vec![t];
    };
    match serde_json::from_str::<Json>(json) {
        Ok(Json::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Json::String(s) => Typed::string(s),
                Json::Number(n) if n.is_i64() => Typed::long(n.as_i64().unwrap_or_default()),
                Json::Number(n) => Typed::new(lit(n.as_f64().unwrap_or(f64::NAN)), KType::Real),
                Json::Bool(b) => Typed::bool(b),
                other => Typed::string(other.to_string()),
            })
            .collect(),
        _ => vec![t],
    }
}

enum ListItem {
    Values(Vec<Typed>),
    Table(Box<Tab>),
}

/// `x in (T)`: an IN subquery over T's first column, compared as Kusto would.
fn in_table(l: &Typed, t: Tab, case_insensitive: bool, span: Span) -> Result<DfExpr, Diagnostic> {
    if t.is_empty() {
        return Err(Diagnostic::error(
            codes::EXPR_KIND,
            "the table in an 'in' list has no columns",
            span,
        ));
    }
    let col = t.typed(0);
    let (lhs, value) = if case_insensitive || l.ty.is_text() || col.ty.is_text() {
        let fold = |x: DfExpr| {
            if case_insensitive {
                datafusion::functions::expr_fn::lower(x)
            } else {
                x
            }
        };
        (
            fold(kql_functions::coerce::to_text(l)),
            fold(kql_functions::coerce::to_text(&col)),
        )
    } else {
        let ty = kql_functions::coerce::numeric_join(l.ty, col.ty).unwrap_or(l.ty);
        (
            kql_functions::coerce::cast_to(l.clone(), ty).expr,
            kql_functions::coerce::cast_to(col, ty).expr,
        )
    };
    let sub = t.project(
        vec![(Typed::new(value, KType::String), "__in".to_string())],
        span,
    )?;
    Ok(datafusion::logical_expr::expr_fn::in_subquery(
        lhs,
        std::sync::Arc::new(sub.plan),
    ))
}
