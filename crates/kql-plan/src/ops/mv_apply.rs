//! `mv-apply`: expands arrays like `mv-expand`, then runs a sub-query on each input row's
//! expanded rows. Rows are numbered first; the sub-query's aggregations group by that number
//! and its `top`/`take` count within it; the input's other columns join back by it.

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::common::{Column, JoinType};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt};
use kql_functions::Typed;
use kql_syntax::ast::{
    Expr, ExprKind, MvExpandColumn, Name, NamedExpr, OpParam, Operator, OperatorKind,
};
use kql_syntax::{Diagnostic, Span};
use kql_types::KType;

/// The hidden row number that ties expanded rows to their input row.
const ROW: &str = "__mv_apply_row";

impl Binder<'_> {
    pub(super) fn mv_apply(
        &mut self,
        input: Tab,
        params: &[OpParam],
        columns: &[MvExpandColumn],
        limit: Option<&Expr>,
        body: &[Operator],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let outer_names = input.names();
        let mut cols = input.all_columns();
        cols.push((Typed::new(row_number(), KType::Long), ROW.to_string()));
        let numbered = input.project(cols, span)?;
        let mut sub = self.mv_expand(numbered.clone(), params, columns, None, span)?;
        if let Some(l) = limit {
            let n = self.scalar(l, None)?;
            sub = self.first_per_row(sub, n.expr, Vec::new(), span)?;
        }
        let row_name = Name {
            name: ROW.to_string(),
            span,
        };
        for op in body {
            sub = match &op.kind {
                OperatorKind::Summarize {
                    params,
                    aggregates,
                    by,
                } => {
                    let mut by = by.clone();
                    by.insert(
                        0,
                        NamedExpr {
                            names: Vec::new(),
                            expr: Expr {
                                kind: ExprKind::Name(row_name.clone()),
                                span,
                            },
                        },
                    );
                    self.summarize(sub, params, aggregates, &by, op.span)?
                }
                OperatorKind::Top { count, by } => {
                    let n = self.scalar(count, None)?;
                    let order = self.sort_exprs(&sub, std::slice::from_ref(by))?;
                    self.first_per_row(sub, n.expr, order, op.span)?
                }
                OperatorKind::Take(count) => {
                    let n = self.scalar(count, None)?;
                    self.first_per_row(sub, n.expr, Vec::new(), op.span)?
                }
                OperatorKind::Project(items) => {
                    let mut items = items.clone();
                    items.push(NamedExpr {
                        names: Vec::new(),
                        expr: Expr {
                            kind: ExprKind::Name(row_name.clone()),
                            span,
                        },
                    });
                    self.project(sub, &items, op.span)?
                }
                _ => self.operator(sub, op)?,
            };
            if sub.find(ROW).is_none() {
                return Err(Diagnostic::unsupported(
                    "this operator inside mv-apply",
                    op.name_span,
                ));
            }
        }
        // The input's columns the sub-query no longer has come back by row number.
        let sub_names = sub.names();
        let expanded: Vec<String> = columns
            .iter()
            .filter_map(|c| {
                c.name
                    .as_ref()
                    .map(|n| n.name.clone())
                    .or_else(|| super::implied_name(&c.expr))
            })
            .collect();
        let missing: Vec<String> = outer_names
            .iter()
            .filter(|n| !sub_names.contains(n) && !expanded.contains(n))
            .cloned()
            .collect();
        let result = if missing.is_empty() {
            sub
        } else {
            let mut keep: Vec<(Typed, String)> = missing
                .iter()
                .filter_map(|n| numbered.find(n).map(|i| (numbered.typed(i), n.clone())))
                .collect();
            keep.push((numbered.typed(outer_names.len()), "__outer_row".into()));
            let outer = numbered.project(keep, span)?;
            let outer_types = outer.types.clone();
            let sub_types = sub.types.clone();
            let mut types = outer_types;
            types.extend(sub_types);
            let right = sub.plan;
            let joined = outer.build(
                span,
                |b| {
                    b.join(
                        right,
                        JoinType::Inner,
                        (
                            vec![Column::from_name("__outer_row")],
                            vec![Column::from_name(ROW)],
                        ),
                        None,
                    )
                },
                types,
            )?;
            // The join keeps both sides' Kusto types (a dynamic column stays dynamic).
            joined
        };
        // Input columns first (in their order), then the sub-query's own.
        let mut out: Vec<(Typed, String)> = Vec::new();
        for n in &outer_names {
            if let Some(i) = result.find(n) {
                out.push((result.typed(i), n.clone()));
            }
        }
        for (i, n) in result.names().into_iter().enumerate() {
            if n != ROW && n != "__outer_row" && !outer_names.contains(&n) {
                out.push((result.typed(i), n));
            }
        }
        result.project(out, span)
    }

    /// The first `n` rows of each input row's expansion, in `order` if given.
    fn first_per_row(
        &mut self,
        sub: Tab,
        n: DfExpr,
        order: Vec<datafusion::logical_expr::SortExpr>,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        // `take` has no order: the rows keep the expansion's (an empty ORDER BY is not valid).
        let partitioned = row_number().partition_by(vec![DfExpr::Column(Column::from_name(ROW))]);
        let rank = if order.is_empty() {
            partitioned.build()
        } else {
            partitioned.order_by(order).build()
        }
        .map_err(crate::df_err(span))?;
        let mut cols = sub.all_columns();
        let names = sub.names();
        cols.push((Typed::new(rank, KType::Long), "__rank".into()));
        let ranked = sub.project(cols, span)?;
        let types = ranked.types.clone();
        let filtered = ranked.build(
            span,
            |b| b.filter(DfExpr::Column(Column::from_name("__rank")).lt_eq(n.clone())),
            types,
        )?;
        let keep = names
            .iter()
            .enumerate()
            .map(|(i, name)| (filtered.typed(i), name.clone()))
            .collect();
        filtered.project(keep, span)
    }
}
