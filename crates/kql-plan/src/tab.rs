//! A tabular value during binding: a logical plan and the Kusto type of each column.

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::expr_rewriter::normalize_col_with_schemas_and_ambiguity_check;
use datafusion::logical_expr::utils::{columnize_expr, find_window_exprs};
use datafusion::logical_expr::{
    Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, Projection, SortExpr,
};
use kql_functions::Typed;
use kql_syntax::{Diagnostic, Span};
use kql_types::KType;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Tab {
    pub plan: LogicalPlan,
    pub types: Vec<KType>,
    /// The name `as` gave this table (what `union withsource` reports).
    pub label: Option<String>,
    /// The columns depend on the data (after `bag_unpack` or `pivot` without an output
    /// schema): a name that is not a column reads as a null dynamic, as Kusto's analyser
    /// accepts it, rather than an error.
    pub open: bool,
}

impl Tab {
    /// Wraps a plan, reading Kusto types from its field metadata.
    pub fn from_plan(plan: LogicalPlan) -> Tab {
        let types = plan
            .schema()
            .fields()
            .iter()
            .map(|f| KType::of_field(f))
            .collect();
        Tab {
            plan,
            types,
            label: None,
            open: false,
        }
    }

    /// A table from a plan and the Kusto types of its columns.
    pub fn new(plan: LogicalPlan, types: Vec<KType>) -> Tab {
        Tab {
            plan,
            types,
            label: None,
            open: false,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.plan
            .schema()
            .fields()
            .iter()
            .position(|f| f.name() == name)
    }

    /// A reference to column `i`, qualified as the plan's schema qualifies it.
    pub fn col(&self, i: usize) -> Expr {
        let (q, f) = self.plan.schema().qualified_field(i);
        Expr::Column(Column::new(q.cloned(), f.name()))
    }

    pub fn typed(&self, i: usize) -> Typed {
        Typed::new(self.col(i), self.types[i])
    }

    /// Projects `items` (expression, output name), in order.
    pub fn project(self, items: Vec<(Typed, String)>, span: Span) -> Result<Tab, Diagnostic> {
        let types = items.iter().map(|(t, _)| t.ty).collect();
        let exprs: Vec<Expr> = items
            .into_iter()
            .map(|(t, name)| t.expr.alias(name))
            .collect();
        self.project_exprs(exprs, types, span)
    }

    fn project_exprs(
        self,
        exprs: Vec<Expr>,
        types: Vec<KType>,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        // Window functions (`prev`, `row_number`, ...) are computed by a window node below
        // the projection, which then reads their results as columns. Over sorted rows they
        // are ordered by the sort's keys, so that the optimizer keeps the sort below them.
        let exprs = match self.ordering() {
            Some(order) => exprs
                .into_iter()
                .map(|e| ordered_windows(e, &order))
                .collect::<datafusion::error::Result<Vec<_>>>()
                .map_err(crate::df_err(span))?,
            None => exprs,
        };
        let windows = find_window_exprs(exprs.iter());
        if windows.is_empty() {
            return self.replan(span, types, |plan| projection(plan, exprs));
        }
        // A window inside another's arguments is computed first, as a column.
        let mut inner: Vec<Expr> = Vec::new();
        for w in &windows {
            if let Expr::WindowFunction(f) = w {
                for e in find_window_exprs(f.params.args.iter()) {
                    if !inner.contains(&e) {
                        inner.push(e);
                    }
                }
            }
        }
        if !inner.is_empty() {
            let mut cols = self.all_columns();
            let base = cols.len();
            for (i, e) in inner.iter().enumerate() {
                cols.push((
                    Typed::new(e.clone(), KType::Dynamic),
                    format!("__window{base}_{i}"),
                ));
            }
            let staged = self.project(cols, span)?;
            // The staged columns are unqualified: so are the references to them.
            let exprs = exprs
                .into_iter()
                .map(|e| {
                    e.transform_down(|x| match inner.iter().position(|w| *w == x) {
                        Some(i) => Ok(Transformed::yes(Expr::Column(Column::from_name(format!(
                            "__window{base}_{i}"
                        ))))),
                        None => match x {
                            Expr::Column(c) => {
                                Ok(Transformed::yes(Expr::Column(Column::from_name(c.name))))
                            }
                            other => Ok(Transformed::no(other)),
                        },
                    })
                    .map(|t| t.data)
                })
                .collect::<datafusion::error::Result<Vec<_>>>()
                .map_err(crate::df_err(span))?;
            return staged.project_exprs(exprs, types, span);
        }
        self.build(
            span,
            |b| {
                let windowed = LogicalPlanBuilder::window_plan(b.build()?, windows)?;
                LogicalPlanBuilder::from(windowed).project(exprs)
            },
            types,
        )
    }

    /// The sort keys the rows arrive in: those of the last sort, if only operators that
    /// keep the order of rows (projections, filters, windows, limits) follow it and the
    /// keys' columns are still columns here.
    pub(crate) fn ordering(&self) -> Option<Vec<SortExpr>> {
        let mut plan = &self.plan;
        let sort = loop {
            match plan {
                LogicalPlan::Sort(s) => break s,
                LogicalPlan::Projection(p) => plan = &p.input,
                LogicalPlan::Filter(f) => plan = &f.input,
                LogicalPlan::Window(w) => plan = &w.input,
                LogicalPlan::Limit(l) => plan = &l.input,
                LogicalPlan::SubqueryAlias(a) => plan = &a.input,
                _ => return None,
            }
        };
        let schema = self.plan.schema();
        sort.expr
            .iter()
            .map(|s| {
                // The key's columns, unqualified, must all still be columns here.
                let mut present = true;
                let expr = s
                    .expr
                    .clone()
                    .transform_up(|x| match x {
                        Expr::Column(c) => {
                            present &= schema.field_with_unqualified_name(&c.name).is_ok();
                            Ok(Transformed::yes(Expr::Column(Column::from_name(c.name))))
                        }
                        other => Ok(Transformed::no(other)),
                    })
                    .ok()?
                    .data;
                present.then(|| SortExpr { expr, ..s.clone() })
            })
            .collect()
    }

    /// Every column as (typed reference, name).
    pub fn all_columns(&self) -> Vec<(Typed, String)> {
        self.names()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (self.typed(i), n))
            .collect()
    }

    /// Groups by `group` and computes `aggr` (what `LogicalPlanBuilder::aggregate` builds,
    /// its columns resolved once).
    pub fn aggregate(
        self,
        span: Span,
        group: Vec<Expr>,
        aggr: Vec<Expr>,
        types: Vec<KType>,
    ) -> Result<Tab, Diagnostic> {
        self.replan(span, types, |plan| {
            let group = resolved(&plan, group)?;
            let aggr = resolved(&plan, aggr)?;
            Aggregate::try_new(Arc::new(plan), group, aggr).map(LogicalPlan::Aggregate)
        })
    }

    pub fn build(
        self,
        span: Span,
        f: impl FnOnce(LogicalPlanBuilder) -> datafusion::error::Result<LogicalPlanBuilder>,
        types: Vec<KType>,
    ) -> Result<Tab, Diagnostic> {
        self.replan(span, types, |plan| {
            f(LogicalPlanBuilder::from(plan))?.build()
        })
    }

    /// The table that `f` makes of this one's plan, with the column types `types`.
    fn replan(
        self,
        span: Span,
        types: Vec<KType>,
        f: impl FnOnce(LogicalPlan) -> datafusion::error::Result<LogicalPlan>,
    ) -> Result<Tab, Diagnostic> {
        Ok(Tab {
            plan: f(self.plan).map_err(crate::df_err(span))?,
            types,
            label: None,
            open: self.open,
        })
    }
}

/// `exprs` with their columns resolved against `input`, as `LogicalPlanBuilder` resolves
/// them, but with the input's `USING` join columns found once for all the expressions: the
/// builder finds them once per column, a walk of the whole input plan each time, which made
/// planning a long query quadratic (150 `extend`s took 24 s to plan).
fn resolved(input: &LogicalPlan, exprs: Vec<Expr>) -> datafusion::error::Result<Vec<Expr>> {
    let using = input.using_columns()?;
    let fallback = input.fallback_normalize_schemas();
    let schemas: [&[&DFSchema]; 2] = [&[input.schema()], &fallback];
    exprs
        .into_iter()
        .map(|e| normalize_col_with_schemas_and_ambiguity_check(e, &schemas, &using))
        .collect()
}

/// What `LogicalPlanBuilder::project` builds (a computed input's expressions read as its
/// columns), its columns resolved once.
fn projection(input: LogicalPlan, exprs: Vec<Expr>) -> datafusion::error::Result<LogicalPlan> {
    let exprs = resolved(&input, exprs)?
        .into_iter()
        .map(|e| columnize_expr(e, &input))
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    Projection::try_new(exprs, Arc::new(input)).map(LogicalPlan::Projection)
}

/// Gives the window functions of `e` that have no order of their own the order `order`.
fn ordered_windows(e: Expr, order: &[SortExpr]) -> datafusion::error::Result<Expr> {
    e.transform_up(|x| match x {
        Expr::WindowFunction(mut f)
            if f.params.order_by.is_empty() && f.params.partition_by.is_empty() =>
        {
            f.params.order_by = order.to_vec();
            Ok(Transformed::yes(Expr::WindowFunction(f)))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

/// Gives the `array_agg` aggregates of `e` that have no order of their own the order
/// `order` (the lists of `make_list`, `make_set` and `make_bag` keep the rows' order).
pub(crate) fn ordered_lists(e: Expr, order: &[SortExpr]) -> datafusion::error::Result<Expr> {
    e.transform_up(|x| match x {
        Expr::AggregateFunction(mut f)
            if f.func.name() == "array_agg" && f.params.order_by.is_empty() =>
        {
            f.params.order_by = order.to_vec();
            Ok(Transformed::yes(Expr::AggregateFunction(f)))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}
