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
            types.push(KType::from_name(&c.ty.name).ok_or_else(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("unknown type '{}'", c.ty.name),
                    c.ty.span,
                )
            })?);
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
