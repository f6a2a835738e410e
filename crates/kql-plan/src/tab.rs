//! A tabular value during binding: a logical plan and the Kusto type of each column.

use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use kql_functions::Typed;
use kql_syntax::{Diagnostic, Span};
use kql_types::KType;

#[derive(Debug, Clone)]
pub struct Tab {
    pub plan: LogicalPlan,
    pub types: Vec<KType>,
    /// The name `as` gave this table (what `union withsource` reports).
    pub label: Option<String>,
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
        }
    }

    /// A table from a plan and the Kusto types of its columns.
    pub fn new(plan: LogicalPlan, types: Vec<KType>) -> Tab {
        Tab {
            plan,
            types,
            label: None,
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
        self.build(span, |b| b.project(exprs), types)
    }

    /// Every column as (typed reference, name).
    pub fn all_columns(&self) -> Vec<(Typed, String)> {
        self.names()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (self.typed(i), n))
            .collect()
    }

    pub fn build(
        self,
        span: Span,
        f: impl FnOnce(LogicalPlanBuilder) -> datafusion::error::Result<LogicalPlanBuilder>,
        types: Vec<KType>,
    ) -> Result<Tab, Diagnostic> {
        let plan = f(LogicalPlanBuilder::from(self.plan))
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        Ok(Tab {
            plan,
            types,
            label: None,
        })
    }
}
