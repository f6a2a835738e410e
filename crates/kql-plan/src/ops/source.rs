//! Source operators: `print` and `datatable`.

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::logical_expr::{LogicalPlanBuilder, cast};
use kql_functions::Typed;
use kql_syntax::ast::{ColumnDecl, Expr, NamedExpr};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    pub(super) fn print(&mut self, items: &[NamedExpr], span: Span) -> Result<Tab, Diagnostic> {
        let one_row = one_row(span)?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(parts) = self.several_results(item, &one_row)? {
                out.extend(parts);
                continue;
            }
            let v = self.scalar(&item.expr, None)?;
            let name = item
                .names
                .first()
                .map_or_else(|| format!("print_{i}"), |n| n.name.clone());
            out.push((v, name));
        }
        one_row.project(out, span)
    }

    pub(super) fn datatable(
        &mut self,
        columns: &[ColumnDecl],
        values: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut types = Vec::new();
        for c in columns {
            types.push(crate::literal::resolve_type(&c.ty)?);
        }
        let n = columns.len();
        if n == 0 || !values.len().is_multiple_of(n) {
            return Err(Diagnostic::error(
                codes::SYNTAX,
                format!(
                    "datatable has {n} columns but {} values (not a whole number of rows)",
                    values.len()
                ),
                span,
            ));
        }
        let names: Vec<String> = columns.iter().map(|c| c.name.name.clone()).collect();
        if values.is_empty() {
            let empty = Tab::from_plan(
                LogicalPlanBuilder::empty(false)
                    .build()
                    .map_err(crate::df_err(span))?,
            );
            let cols = types
                .iter()
                .zip(&names)
                .map(|(t, n)| (Typed::null(*t), n.clone()))
                .collect();
            return empty.project(cols, span);
        }
        let mut rows = Vec::new();
        for chunk in values.chunks(n) {
            let mut row = Vec::new();
            for (v, ty) in chunk.iter().zip(&types) {
                let b = self.scalar(v, None)?;
                row.push(cast(b.expr, ty.arrow_type()));
            }
            rows.push(row);
        }
        let plan = LogicalPlanBuilder::values(rows)
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        let raw = Tab::from_plan(plan);
        let cols = (0..n)
            .map(|i| (Typed::new(raw.col(i), types[i]), names[i].clone()))
            .collect();
        raw.project(cols, span)
    }
}

fn one_row(span: Span) -> Result<Tab, Diagnostic> {
    let plan = LogicalPlanBuilder::empty(true)
        .build()
        .map_err(crate::df_err(span))?;
    Ok(Tab::from_plan(plan))
}

/// A constant's value as a number on its own scale (nanoseconds for datetimes/timespans).
fn number(v: &datafusion::scalar::ScalarValue) -> Option<f64> {
    use datafusion::scalar::ScalarValue as S;
    match v {
        S::Int64(Some(x)) | S::TimestampNanosecond(Some(x), _) | S::DurationNanosecond(Some(x)) => {
            Some(*x as f64)
        }
        S::Int32(Some(x)) => Some(f64::from(*x)),
        S::Float64(Some(x)) => Some(*x),
        _ => None,
    }
}

/// The most rows `range` may produce.
const MAX_RANGE_ROWS: f64 = 100_000_000.0;

impl Binder<'_> {
    /// `range x from a to b step s`: rows a, a+s, ... up to b (inclusive), for numbers,
    /// datetimes and timespans. The bounds must be constants.
    pub(super) fn range(
        &mut self,
        name: &kql_syntax::ast::Name,
        from: &Expr,
        to: &Expr,
        step: &Expr,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let (a, b, s) = (
            self.scalar(from, None)?,
            self.scalar(to, None)?,
            self.scalar(step, None)?,
        );
        let ty = match (a.ty, s.ty) {
            (KType::Datetime | KType::Timespan, KType::Timespan) => a.ty,
            (x, y) if x.is_numeric() && y.is_numeric() => kql_functions::coerce::numeric_join(
                x,
                kql_functions::coerce::numeric_join(y, b.ty).unwrap_or(y),
            )
            .unwrap_or(KType::Real),
            (x, y) => {
                return Err(Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("range cannot step {x} by {y}"),
                    step.span,
                ));
            }
        };
        // Bounds are computed now (they may be `toscalar(...)` of a query).
        let (av, bv, sv) = (
            number(&self.constant(&a, from.span)?),
            number(&self.constant(&b, to.span)?),
            number(&self.constant(&s, step.span)?),
        );
        let (Some(av), Some(bv), Some(sv)) = (av, bv, sv) else {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                "range bounds must be numbers, datetimes or timespans that are not null",
                span,
            ));
        };
        let count = if sv == 0.0 || (bv - av) / sv < 0.0 {
            0.0
        } else {
            ((bv - av) / sv).floor() + 1.0
        };
        if count > MAX_RANGE_ROWS {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("range would produce {count} rows; the limit is {MAX_RANGE_ROWS}"),
                span,
            ));
        }
        let indexes = datafusion::functions_nested::expr_fn::range(
            datafusion::logical_expr::lit(0i64),
            datafusion::logical_expr::lit(count as i64),
            datafusion::logical_expr::lit(1i64),
        );
        let one = one_row(span)?;
        let listed = one.project(
            vec![(Typed::new(indexes, KType::Dynamic), "__i".to_string())],
            span,
        )?;
        let unnested = listed.build(span, |b| b.unnest_column("__i"), vec![KType::Long])?;
        let i = unnested.typed(0).expr;
        let value = match ty {
            KType::Datetime | KType::Timespan => {
                let nanos = datafusion::logical_expr::lit(av as i64)
                    + i * datafusion::logical_expr::lit(sv as i64);
                cast(nanos, ty.arrow_type())
            }
            KType::Long | KType::Int => cast(
                datafusion::logical_expr::lit(av as i64)
                    + i * datafusion::logical_expr::lit(sv as i64),
                ty.arrow_type(),
            ),
            _ => {
                datafusion::logical_expr::lit(av)
                    + cast(i, KType::Real.arrow_type()) * datafusion::logical_expr::lit(sv)
            }
        };
        unnested.project(vec![(Typed::new(value, ty), name.name.clone())], span)
    }
}
