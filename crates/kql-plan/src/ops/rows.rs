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
        let mut out = Vec::new();
        for k in keys {
            let v = self.scalar(&k.expr, Some(input))?;
            // Kusto: descending by default; nulls last when descending, first when ascending.
            let asc = k.ascending.unwrap_or(false);
            let nulls_first = k.nulls_first.unwrap_or(asc);
            if v.ty != KType::Real {
                out.push(v.expr.sort(asc, nulls_first));
                continue;
            }
            // NaN goes with the nulls: null, NaN, values when nulls come first; values,
            // NaN, null when they come last.
            let nan_as_null = datafusion::logical_expr::when(
                datafusion::functions::math::expr_fn::isnan(v.expr.clone()),
                datafusion::logical_expr::lit(datafusion::common::ScalarValue::Float64(None)),
            )
            .otherwise(v.expr.clone())
            .map_err(|e| Diagnostic::error(codes::RUNTIME, e.to_string(), k.expr.span))?;
            out.push(nan_as_null.sort(asc, nulls_first));
            out.push(v.expr.is_null().sort(!nulls_first, false));
        }
        Ok(out)
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

    /// `sample n`: n rows picked at random.
    pub(super) fn sample(
        &mut self,
        input: Tab,
        count: &Expr,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let n = self.row_count(count)?;
        let names = input.names();
        let mut cols = input.all_columns();
        cols.push((
            kql_functions::Typed::new(datafusion::functions::math::expr_fn::random(), KType::Real),
            "__sample".to_string(),
        ));
        let keyed = input.project(cols, span)?;
        let types = keyed.types.clone();
        let shuffle = datafusion::logical_expr::col("__sample").sort(true, false);
        let picked = keyed.build(span, |b| b.sort(vec![shuffle])?.limit(0, Some(n)), types)?;
        let keep = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| (picked.typed(i), name))
            .collect();
        picked.project(keep, span)
    }

    pub(super) fn row_count(&mut self, e: &Expr) -> Result<usize, Diagnostic> {
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
    input.aggregate(
        span,
        Vec::new(),
        vec![count_fn(lit(1i64)).alias("Count")],
        vec![KType::Long],
    )
}

/// `getschema`: one row per column: name, ordinal, .NET type and Kusto type.
pub(super) fn getschema(input: Tab, span: Span) -> Result<Tab, Diagnostic> {
    let rows: Vec<Vec<datafusion::logical_expr::Expr>> = input
        .names()
        .into_iter()
        .zip(&input.types)
        .enumerate()
        .map(|(i, (name, ty))| {
            vec![
                lit(name),
                lit(i32::try_from(i).unwrap_or(i32::MAX)),
                lit(ty.dotnet_name()),
                lit(ty.name()),
            ]
        })
        .collect();
    let names = ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"];
    let types = vec![KType::String, KType::Int, KType::String, KType::String];
    let plan = if rows.is_empty() {
        datafusion::logical_expr::LogicalPlanBuilder::empty(false).project(
            names
                .iter()
                .zip(&types)
                .map(|(n, t)| kql_functions::Typed::null(*t).expr.alias(*n))
                .collect::<Vec<_>>(),
        )
    } else {
        datafusion::logical_expr::LogicalPlanBuilder::values(rows).and_then(|b| {
            b.project(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        datafusion::logical_expr::col(format!("column{}", i + 1)).alias(*n)
                    })
                    .collect::<Vec<_>>(),
            )
        })
    }
    .and_then(|b| b.build())
    .map_err(crate::df_err(span))?;
    Ok(Tab::new(plan, types))
}
