//! Row-level operators: `order by`, `top`, `take`, `distinct`, `count`.

use super::implied_name;
use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::functions_aggregate::expr_fn::count as count_fn;
use datafusion::logical_expr::{SortExpr, lit};
use kql_syntax::ast::{Expr, ExprKind, SortKey};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    pub(super) fn sort_exprs(
        &mut self,
        input: &Tab,
        keys: &[SortKey],
    ) -> Result<Vec<SortExpr>, Diagnostic> {
        keys.iter()
            .map(|k| {
                let v = self.scalar(&k.expr, Some(input))?;
                // Kusto: descending by default; nulls last when descending, first when ascending.
                let asc = k.ascending.unwrap_or(false);
                let nulls_first = k.nulls_first.unwrap_or(asc);
                Ok(v.expr.sort(asc, nulls_first))
            })
            .collect()
    }

    pub(super) fn sort(
        &mut self,
        input: Tab,
        keys: &[SortKey],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let sorts = self.sort_exprs(&input, keys)?;
        let types = input.types.clone();
        input.build(span, |b| b.sort(sorts), types)
    }

    pub(super) fn top(
        &mut self,
        input: Tab,
        count: &Expr,
        by: &SortKey,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let n = self.row_count(count)?;
        let sorts = self.sort_exprs(&input, std::slice::from_ref(by))?;
        let types = input.types.clone();
        input.build(
            span,
            |b| b.sort_with_limit(sorts, Some(n))?.limit(0, Some(n)),
            types,
        )
    }

    pub(super) fn take(&mut self, input: Tab, count: &Expr, span: Span) -> Result<Tab, Diagnostic> {
        let n = self.row_count(count)?;
        let types = input.types.clone();
        input.build(span, |b| b.limit(0, Some(n)), types)
    }

    fn row_count(&mut self, e: &Expr) -> Result<usize, Diagnostic> {
        let v = self.scalar(e, None)?;
        v.as_i64_literal()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "expected a constant, non-negative row count",
                    e.span,
                )
            })
    }

    pub(super) fn distinct(
        &mut self,
        input: Tab,
        cols: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        if cols.len() == 1 && matches!(cols[0].kind, ExprKind::Star) {
            let types = input.types.clone();
            return input.build(span, |b| b.distinct(), types);
        }
        let mut items = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            let v = self.scalar(c, Some(&input))?;
            let name = implied_name(c).unwrap_or_else(|| format!("Column{}", i + 1));
            items.push((v, name));
        }
        let projected = input.project(items, span)?;
        let types = projected.types.clone();
        projected.build(span, |b| b.distinct(), types)
    }
}

pub(super) fn count(input: Tab, span: Span) -> Result<Tab, Diagnostic> {
    input.build(
        span,
        |b| {
            b.aggregate(
                Vec::<datafusion::logical_expr::Expr>::new(),
                vec![count_fn(lit(1i64)).alias("Count")],
            )
        },
        vec![KType::Long],
    )
}
