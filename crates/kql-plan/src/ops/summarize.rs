//! `summarize`: group keys, aggregates (also inside scalar expressions), and
//! `arg_max`/`arg_min` with `*` or named columns.

use super::implied_name;
use crate::binder::Binder;
use crate::names::unique;
use crate::tab::Tab;
use datafusion::common::Column;
use datafusion::common::tree_node::TreeNode;
use datafusion::functions::expr_fn::{get_field, named_struct};
use datafusion::logical_expr::{Expr as DfExpr, lit};
use kql_functions::arg_extreme::{Extreme, arg_extreme as row_at};
use kql_functions::{FunctionKind, Typed, lookup};
use kql_syntax::ast::{Expr, ExprKind, Literal, Name, NamedExpr, OpParam};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};

/// One output column of the summarize, computed after the aggregation.
struct OutColumn {
    name: String,
    value: Typed,
}

impl Binder<'_> {
    pub(super) fn summarize(
        &mut self,
        input: Tab,
        _params: &[OpParam],
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut taken: Vec<String> = Vec::new();
        let mut group_exprs = Vec::new();
        let mut outputs = Vec::new();
        let mut by_columns = Vec::new();
        let mut unnamed = 0;
        for (i, item) in by.iter().enumerate() {
            let v = self.scalar(&item.expr, Some(&input))?;
            let name = key_name(item, &mut unnamed);
            if let ExprKind::Name(n) = &item.expr.kind {
                by_columns.push(n.name.clone());
            }
            let internal = format!("__by{i}");
            group_exprs.push(v.expr.alias(&internal));
            let name = unique(&name, &taken);
            taken.push(name.clone());
            outputs.push(OutColumn {
                name,
                value: Typed::new(DfExpr::Column(Column::from_name(internal)), v.ty),
            });
        }
        let mut agg_exprs: Vec<(DfExpr, String)> = Vec::new();
        let aggregates = expand_percentiles(aggregates);
        for item in &aggregates {
            // Items that give several columns from one row.
            let row_columns = if let Some((func, args, max)) = arg_extreme(&item.expr) {
                Some(self.arg_extreme(&input, func, args, max, &by_columns, &mut agg_exprs)?)
            } else if let Some(args) = take_any_columns(&item.expr) {
                Some(self.take_any_row(&input, args, &by_columns, &mut agg_exprs)?)
            } else {
                None
            };
            if let Some(cols) = row_columns {
                for (k, (default_name, value)) in cols.into_iter().enumerate() {
                    let name = item.names.get(k).map_or(default_name, |n| n.name.clone());
                    let name = unique(&name, &taken);
                    taken.push(name.clone());
                    outputs.push(OutColumn { name, value });
                }
                continue;
            }
            let value = self.aggregate_value(&item.expr, &input, &mut agg_exprs)?;
            if !references_aggregate(&value.expr) {
                return Err(Diagnostic::error(
                    codes::SYNTAX,
                    "a summarize item must use an aggregate function",
                    item.expr.span,
                ));
            }
            let name = aggregate_column(item, &mut taken);
            outputs.push(OutColumn { name, value });
        }
        let mut aggr: Vec<DfExpr> = agg_exprs.into_iter().map(|(e, n)| e.alias(n)).collect();
        // Over sorted rows, lists are gathered in that order (`order by | summarize make_list`).
        if let Some(order) = input.ordering() {
            aggr = aggr
                .into_iter()
                .map(|e| crate::tab::ordered_lists(e, &order))
                .collect::<datafusion::error::Result<_>>()
                .map_err(crate::df_err(span))?;
        }
        let grouped = input.aggregate(span, group_exprs, aggr, Vec::new())?;
        let grouped = Tab::from_plan(grouped.plan);
        grouped.project(
            outputs.into_iter().map(|o| (o.value, o.name)).collect(),
            span,
        )
    }

    /// Binds a summarize item's expression; its aggregate calls are added to `agg_exprs` and
    /// the result reads their columns.
    pub(super) fn aggregate_value(
        &mut self,
        e: &Expr,
        input: &Tab,
        agg_exprs: &mut Vec<(DfExpr, String)>,
    ) -> Result<Typed, Diagnostic> {
        self.aggs = Some(std::mem::take(agg_exprs));
        let bound = self.scalar(e, Some(input));
        *agg_exprs = self.aggs.take().unwrap_or_default();
        bound
    }

    /// `arg_max(by, cols...)`: one aggregate of a struct of the needed columns, taken from
    /// the row with the extreme value, so that every column comes from the same row.
    /// Returns the output columns (default name, value).
    fn arg_extreme(
        &mut self,
        input: &Tab,
        func: &Expr,
        args: &[Expr],
        max: bool,
        by_columns: &[String],
        agg_exprs: &mut Vec<(DfExpr, String)>,
    ) -> Result<Vec<(String, Typed)>, Diagnostic> {
        let Some(target) = args.first() else {
            return Err(Diagnostic::error(
                codes::ARG_COUNT,
                "arg_max() needs a value to maximise",
                func.span,
            ));
        };
        let key = self.scalar(target, Some(input))?;
        let prefix = if max { "max" } else { "min" };
        let key_name = implied_name(target).unwrap_or_else(|| format!("{prefix}_"));
        let mut fields: Vec<(String, Typed)> = vec![(key_name.clone(), key.clone())];
        for a in &args[1..] {
            if matches!(a.kind, ExprKind::Star) {
                for (i, name) in input.names().into_iter().enumerate() {
                    if by_columns.contains(&name) || fields.iter().any(|(n, _)| *n == name) {
                        continue;
                    }
                    fields.push((name, input.typed(i)));
                }
            } else {
                let v = self.scalar(a, Some(input))?;
                let name = implied_name(a).unwrap_or_else(|| format!("{prefix}_"));
                fields.push((name, v));
            }
        }
        let extreme = if max { Extreme::Max } else { Extreme::Min };
        let key_expr = key.expr.clone();
        Ok(one_row(fields, extreme, key_expr, agg_exprs))
    }

    /// `take_any(a, b)` or `take_any(*)`: the columns of one row of the group.
    fn take_any_row(
        &mut self,
        input: &Tab,
        args: &[Expr],
        by_columns: &[String],
        agg_exprs: &mut Vec<(DfExpr, String)>,
    ) -> Result<Vec<(String, Typed)>, Diagnostic> {
        let mut fields: Vec<(String, Typed)> = Vec::new();
        for a in args {
            if matches!(a.kind, ExprKind::Star) {
                for (i, name) in input.names().into_iter().enumerate() {
                    if !by_columns.contains(&name) && !fields.iter().any(|(n, _)| *n == name) {
                        fields.push((name, input.typed(i)));
                    }
                }
            } else {
                let v = self.scalar(a, Some(input))?;
                let name = implied_name(a).unwrap_or_else(|| format!("any_{}", fields.len()));
                fields.push((name, v));
            }
        }
        Ok(one_row(fields, Extreme::Any, lit(0i64), agg_exprs))
    }
}

/// One aggregate of a struct of `fields`, taken from the row with the `extreme` key, so
/// that every column comes from the same row. Returns the output columns (name, value).
fn one_row(
    fields: Vec<(String, Typed)>,
    extreme: Extreme,
    key: DfExpr,
    agg_exprs: &mut Vec<(DfExpr, String)>,
) -> Vec<(String, Typed)> {
    let mut struct_args = Vec::new();
    for (i, (_, v)) in fields.iter().enumerate() {
        struct_args.push(lit(format!("f{i}")));
        struct_args.push(v.expr.clone());
    }
    let internal = format!("__agg{}", agg_exprs.len());
    agg_exprs.push((
        row_at(extreme).call(vec![key, named_struct(struct_args)]),
        internal.clone(),
    ));
    let base = DfExpr::Column(Column::from_name(internal));
    fields
        .into_iter()
        .enumerate()
        .map(|(i, (name, v))| {
            (
                name,
                Typed::new(get_field(base.clone(), format!("f{i}")), v.ty),
            )
        })
        .collect()
}

/// `percentiles(x, 50, 95)` is one `percentile(x, p)` per percentage, named
/// `percentile_x_50` (or by the tuple of names given); `percentilesw(x, w, ...)` likewise
/// one `percentilew(x, w, p)` each.
fn expand_percentiles(items: &[NamedExpr]) -> Vec<NamedExpr> {
    let mut out = Vec::new();
    for item in items {
        let ExprKind::Call { name, args } = &item.expr.kind else {
            out.push(item.clone());
            continue;
        };
        let weighted = name.name == "percentilesw";
        let fixed = if weighted { 2 } else { 1 };
        if !(name.name == "percentiles" || weighted) || args.len() <= fixed {
            out.push(item.clone());
            continue;
        }
        let value = implied_name(&args[0]).unwrap_or_default();
        for (k, p) in args[fixed..].iter().enumerate() {
            let label = percent_label(p).unwrap_or_else(|| k.to_string());
            let names = match item.names.get(k) {
                Some(n) => vec![n.clone()],
                None => vec![Name {
                    name: format!("percentile_{value}_{label}"),
                    span: item.expr.span,
                }],
            };
            out.push(NamedExpr {
                names,
                expr: Expr {
                    kind: ExprKind::Call {
                        name: Name {
                            name: if weighted {
                                "percentilew"
                            } else {
                                "percentile"
                            }
                            .into(),
                            span: name.span,
                        },
                        args: args[..fixed].iter().chain([p]).cloned().collect(),
                    },
                    span: item.expr.span,
                },
            });
        }
    }
    out
}

/// The arguments of `take_any(a, b)` or `take_any(*)`: several columns of one row.
fn take_any_columns(e: &Expr) -> Option<&[Expr]> {
    match &e.kind {
        ExprKind::Call { name, args }
            if matches!(name.name.as_str(), "take_any" | "any")
                && (args.len() > 1 || args.iter().any(|a| matches!(a.kind, ExprKind::Star))) =>
        {
            Some(args)
        }
        _ => None,
    }
}

/// How a constant percentage appears in a column name: `95`, `99_9`.
fn percent_label(p: &Expr) -> Option<String> {
    match &p.kind {
        ExprKind::Literal(Literal::Long(v) | Literal::Int(v)) => Some(v.to_string()),
        ExprKind::Literal(Literal::Real(v)) => Some(v.to_string().replace('.', "_")),
        _ => None,
    }
}

/// `arg_max(...)`/`arg_min(...)` at the top of a summarize item.
fn arg_extreme(e: &Expr) -> Option<(&Expr, &[Expr], bool)> {
    let ExprKind::Call { name, args } = &e.kind else {
        return None;
    };
    match lookup(&name.name)?.name {
        "arg_max" => Some((e, args, true)),
        "arg_min" => Some((e, args, false)),
        _ => None,
    }
}

/// The name of a `by` key: its own, else Kusto's for the expression; keys with neither are
/// numbered among themselves (`Column1` for the first).
pub(super) fn key_name(item: &NamedExpr, unnamed: &mut usize) -> String {
    match item.names.first() {
        Some(n) => n.name.clone(),
        None => implied_name(&item.expr).unwrap_or_else(|| {
            *unnamed += 1;
            format!("Column{unnamed}")
        }),
    }
}

/// The output name of an aggregate item: its own, or Kusto's (`count_`, `sum_X`), made
/// unique among `taken`, to which it is added.
pub(super) fn aggregate_column(item: &NamedExpr, taken: &mut Vec<String>) -> String {
    let name = match item.names.first() {
        Some(n) => n.name.clone(),
        None => aggregate_name(&item.expr).unwrap_or_else(|| format!("Column{}", taken.len() + 1)),
    };
    let name = unique(&name, taken);
    taken.push(name.clone());
    name
}

/// `count()` → `count_`; `sum(X)` → `sum_X`; `dcount(a.b)` → `dcount_a_b`.
fn aggregate_name(e: &Expr) -> Option<String> {
    let ExprKind::Call { name, args } = &e.kind else {
        return None;
    };
    let spec = lookup(&name.name)?;
    let FunctionKind::Aggregate(agg) = &spec.kind else {
        return None;
    };
    let arg = args.first().and_then(implied_name).unwrap_or_default();
    // `percentile(x, 95)` → `percentile_x_95`.
    if spec.name == "percentile"
        && let Some(p) = args.get(1).and_then(percent_label)
    {
        return Some(format!("{}_{arg}_{p}", agg.column_prefix));
    }
    Some(format!("{}_{arg}", agg.column_prefix))
}

fn references_aggregate(e: &DfExpr) -> bool {
    let mut found = false;
    let _ = e.apply(|x| {
        if let DfExpr::Column(c) = x
            && c.name.starts_with("__agg")
        {
            found = true;
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    found
}
