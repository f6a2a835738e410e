//! `mv-expand`: one row per element of dynamic arrays or property bags, in parallel for
//! several columns, with `with_itemindex`.

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::common::{Column, UnnestOptions};
use datafusion::functions::expr_fn::get_field;
use datafusion::logical_expr::{Expr as DfExpr, lit};
use kql_functions::Typed;
use kql_functions::dynamic::{MV_INDEX, MV_ITEMS, MV_VALUE};
use kql_syntax::ast::{Expr, ExprKind, MvExpandColumn, OpParam};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    pub(super) fn mv_expand(
        &mut self,
        input: Tab,
        params: &[OpParam],
        columns: &[MvExpandColumn],
        limit: Option<&Expr>,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let limit = match limit {
            Some(l) => Some(self.row_count(l)?),
            None => None,
        };
        let mut bag_mode = "bag";
        let mut index_name = None;
        for p in params {
            let value = p.word().unwrap_or_default();
            match p.name.name.as_str() {
                "with_itemindex" => index_name = Some(value),
                "bagexpansion" | "kind" if value == "bag" || value == "array" => {
                    bag_mode = if value == "array" { "array" } else { "bag" }
                }
                _ => {
                    return Err(Diagnostic::unsupported(
                        format!("mv-expand option '{}'", p.name.name),
                        p.name.span,
                    ));
                }
            }
        }
        // 1. Keep the input columns and add each expansion's element list.
        let mut cols = input.all_columns();
        let mut targets = Vec::new();
        for (k, c) in columns.iter().enumerate() {
            let v = self.scalar(&c.expr, Some(&input))?;
            if v.ty != KType::Dynamic {
                return Err(Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("mv-expand needs a dynamic array or bag; this is {}", v.ty),
                    c.expr.span,
                ));
            }
            let name = match (&c.name, &c.expr.kind) {
                (Some(n), _) => n.name.clone(),
                (None, ExprKind::Name(n)) => n.name.clone(),
                (None, _) => {
                    super::implied_name(&c.expr).unwrap_or_else(|| format!("Column{}", k + 1))
                }
            };
            let to = match &c.to_type {
                None => KType::Dynamic,
                Some(t) => crate::literal::resolve_type(t)?,
            };
            let internal = format!("__mv{k}");
            cols.push((
                Typed::new(MV_ITEMS.call(vec![v.expr, lit(bag_mode)]), KType::Dynamic),
                internal.clone(),
            ));
            targets.push((internal, name, to));
        }
        let input_names = input.names();
        let with_lists = input.project(cols, span)?;
        // 2. Unnest all lists together (Kusto expands them in parallel).
        let unnest_cols: Vec<Column> = targets
            .iter()
            .map(|(i, _, _)| Column::from_name(i.clone()))
            .collect();
        let types = with_lists.types.clone();
        // `limit n`: the first n elements of each row (by position, over all the lists).
        let position = datafusion::functions::core::expr_fn::coalesce(
            targets
                .iter()
                .map(|(i, _, _)| get_field(DfExpr::Column(Column::from_name(i.clone())), MV_INDEX))
                .collect(),
        );
        let unnested = with_lists.build(
            span,
            |b| {
                let b = b.unnest_columns_with_options(unnest_cols, UnnestOptions::default())?;
                match limit {
                    Some(n) => b.filter(position.lt(lit(n as i64))),
                    None => Ok(b),
                }
            },
            types,
        )?;
        // 3. Replace or append the expanded columns, then the index column.
        let mut out: Vec<(Typed, String)> = Vec::new();
        for (i, name) in input_names.into_iter().enumerate() {
            out.push((unnested.typed(i), name));
        }
        for (internal, name, to) in &targets {
            let item = DfExpr::Column(Column::from_name(internal.clone()));
            let value = Typed::new(get_field(item, MV_VALUE), KType::Dynamic);
            let value = super::convert_to(value, *to, span)?;
            match out.iter().position(|(_, n)| n == name) {
                Some(i) => out[i].0 = value,
                None => out.push((value, name.clone())),
            }
        }
        if let (Some(index), Some((first, _, _))) = (index_name, targets.first()) {
            let item = DfExpr::Column(Column::from_name(first.clone()));
            out.push((Typed::new(get_field(item, MV_INDEX), KType::Long), index));
        }
        unnested.project(out, span)
    }
}
