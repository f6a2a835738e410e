//! `top-nested`: each level groups the rows kept by the level above by one more value,
//! aggregates, and keeps the top N groups within each group of the level above.

use super::implied_name;
use crate::binder::{Binder, Value};
use crate::probe::scalar_i64;
use crate::scope::Binding;
use crate::tab::Tab;
use kql_syntax::ast::{Expr, ExprKind, Name, NamedExpr, Operator, OperatorKind, TopNestedLevel};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};

fn name_expr(text: String, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(Name { name: text, span }),
        span,
    }
}

fn named(text: String, expr: Expr, span: Span) -> NamedExpr {
    NamedExpr {
        names: vec![Name { name: text, span }],
        expr,
    }
}

impl Binder<'_> {
    pub(super) fn top_nested(
        &mut self,
        input: Tab,
        levels: &[TopNestedLevel],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let saved = self.scope.clone();
        self.scope.push();
        let out = self.top_nested_levels(input, levels, span);
        self.scope = saved;
        out
    }

    fn top_nested_levels(
        &mut self,
        input: Tab,
        levels: &[TopNestedLevel],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let op = |kind| Operator {
            kind,
            name_span: span,
            span,
        };
        if let Some(l) = levels.iter().find(|l| l.others.is_some()) {
            let at = l.others.as_ref().map_or(span, |o| o.span);
            return Err(Diagnostic::unsupported("top-nested 'with others'", at));
        }
        let mut labels = Vec::new();
        for (k, l) in levels.iter().enumerate() {
            let of = l.of.names.first().map(|n| n.name.clone());
            let of = of
                .or_else(|| implied_name(&l.of.expr))
                .unwrap_or(format!("Column{}", k + 1));
            let by = l.by.names.first().map(|n| n.name.clone());
            labels.push((of.clone(), by.unwrap_or(format!("aggregated_{of}"))));
        }
        let keys = levels
            .iter()
            .enumerate()
            .map(|(k, l)| named(format!("__e{k}"), l.of.expr.clone(), span))
            .collect();
        let base = self.operator(input, &op(OperatorKind::Extend(keys)))?;
        self.scope
            .define("__tn_base", Binding::Tabular(base.clone()));
        let mut kept = base;
        for (k, l) in levels.iter().enumerate() {
            let rows = if k == 0 {
                kept
            } else {
                let on: Vec<String> = (0..k).map(|j| format!("__e{j}")).collect();
                let text = format!(
                    "__tn_base | join kind=inner (__tn_prev) on {}",
                    on.join(", ")
                );
                self.query_text("top-nested", &text, span)?
            };
            let mut by = Vec::new();
            for j in 0..k {
                by.push(named(
                    format!("__e{j}"),
                    name_expr(format!("__e{j}"), span),
                    span,
                ));
                by.push(named(
                    format!("__a{j}"),
                    name_expr(format!("__a{j}"), span),
                    span,
                ));
            }
            by.push(named(
                format!("__e{k}"),
                name_expr(format!("__e{k}"), span),
                span,
            ));
            let summarize = OperatorKind::Summarize {
                params: Vec::new(),
                aggregates: vec![named(format!("__a{k}"), l.by.expr.clone(), span)],
                by,
            };
            let grouped = self.operator(rows, &op(summarize))?;
            self.scope.define("__tn_cur", Binding::Tabular(grouped));
            let dir = if l.ascending { "asc" } else { "desc" };
            let text = match &l.count {
                None => "__tn_cur".to_string(),
                Some(n) => {
                    let n = self.top_count(n)?;
                    if k == 0 {
                        format!("__tn_cur | top {n} by __a0 {dir}")
                    } else {
                        let order: Vec<String> = (0..k).map(|j| format!("__e{j} asc")).collect();
                        let restart: Vec<String> =
                            (0..k).map(|j| format!("__e{j} != prev(__e{j})")).collect();
                        format!(
                            "__tn_cur | order by {}, __a{k} {dir}
                             | extend __restart = {}
                             | extend __rank = row_number(1, __restart)
                             | where __rank <= {n} | project-away __restart, __rank",
                            order.join(", "),
                            restart.join(" or ")
                        )
                    }
                }
            };
            kept = self.query_text("top-nested", &text, span)?;
            self.scope
                .define("__tn_prev", Binding::Tabular(kept.clone()));
        }
        let columns: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(k, (of, agg))| format!("['{of}'] = __e{k}, ['{agg}'] = __a{k}"))
            .collect();
        // Groups come out level by level, each level's best first.
        let order: Vec<String> = levels
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let dir = if l.ascending { "asc" } else { "desc" };
                format!("__a{k} {dir}, __e{k} asc")
            })
            .collect();
        self.query_text(
            "top-nested",
            &format!(
                "__tn_prev | order by {} | project {}",
                order.join(", "),
                columns.join(", ")
            ),
            span,
        )
    }

    /// A level's constant count of groups.
    fn top_count(&mut self, n: &Expr) -> Result<i64, Diagnostic> {
        let bad = || Diagnostic::error(codes::TYPE_MISMATCH, "expected a constant count", n.span);
        let Value::Scalar(t) = self.value(n, None)? else {
            return Err(bad());
        };
        let v = self.constant(&t, n.span)?;
        scalar_i64(&v).filter(|c| *c >= 0).ok_or_else(bad)
    }
}
