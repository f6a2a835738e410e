//! `make-graph ... partitioned-by Column (graph operators)`: one graph per value of the
//! column (the edges, and the node tables that have the column, filtered to it), each run
//! through the operators, and the union of the results.

use super::graph::{Graph, mark_components};
use crate::binder::Binder;
use crate::scope::Binding;
use crate::tab::Tab;
use datafusion::logical_expr::{LogicalPlanBuilder, lit};
use kql_functions::Typed;
use kql_syntax::ast::{Expr, MakeGraph, Name, Operator, OperatorKind};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};

impl Binder<'_> {
    pub(super) fn partitioned_graph(
        &mut self,
        input: &Expr,
        mg: &MakeGraph,
        column: &Name,
        body: &[Operator],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let edges = self.tabular(input)?;
        let Some(c) = edges.find(&column.name) else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("the edges have no column '{}'", column.name),
                column.span,
            ));
        };
        let ty = edges.types[c];
        let mut node_tables = Vec::new();
        for (table, key) in &mg.nodes {
            node_tables.push((self.tabular(table)?, key));
        }
        let saved = self.scope.clone();
        self.scope.push();
        self.scope.define("__pg_edges", Binding::Tabular(edges));
        let col = format!("['{}']", column.name.replace('\'', "\\'"));
        let out = (|| {
            let values_tab = self.query_text(
                "partitioned-by",
                &format!("__pg_edges | distinct {col}"),
                span,
            )?;
            let mut values = self.props(values_tab, span)?.cols.pop().unwrap_or_default();
            let filter = if values.is_empty() {
                // No partition: the operators still run, over an empty graph.
                values.push(datafusion::common::ScalarValue::Null);
                "false".to_string()
            } else {
                format!("{col} == __pg_value")
            };
            let mut results: Vec<Tab> = Vec::new();
            for v in values {
                self.scope
                    .define("__pg_value", Binding::Scalar(Typed::new(lit(v), ty)));
                let part = self.query_text(
                    "partitioned-by",
                    &format!("__pg_edges | where {filter}"),
                    span,
                )?;
                let mut nodes = Vec::new();
                for (t, key) in &node_tables {
                    let t = if t.find(&column.name).is_some() {
                        self.scope.define("__pg_nodes", Binding::Tabular(t.clone()));
                        self.query_text(
                            "partitioned-by",
                            &format!("__pg_nodes | where {filter}"),
                            span,
                        )?
                    } else {
                        t.clone()
                    };
                    nodes.push((t, *key));
                }
                let g = self.make_graph(part, nodes, mg, span)?;
                results.push(self.graph_body(g, body, span)?);
            }
            let mut results = results.into_iter();
            let first = results.next().ok_or_else(|| {
                Diagnostic::error(codes::RUNTIME, "partitioned-by produced nothing", span)
            })?;
            let types = first.types.clone();
            let mut plan = LogicalPlanBuilder::from(first.plan);
            for r in results {
                plan = plan.union(r.plan).map_err(crate::df_err(span))?;
            }
            Ok(Tab::new(plan.build().map_err(crate::df_err(span))?, types))
        })();
        self.scope = saved;
        out
    }

    /// Runs graph operators, then the table operators after them, on one graph.
    fn graph_body(
        &mut self,
        mut g: Graph,
        body: &[Operator],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut ops = body.iter();
        while let Some(op) = ops.next() {
            let mut tab = match &op.kind {
                OperatorKind::GraphMarkComponents(params) => {
                    g = mark_components(g, params)?;
                    continue;
                }
                OperatorKind::GraphMatch(gm) => self.graph_match(g, gm, op.span)?,
                OperatorKind::GraphToTable { nodes, params } => {
                    self.graph_to_table(g, *nodes, params, op.span)?
                }
                _ => {
                    return Err(Diagnostic::error(
                        codes::EXPR_KIND,
                        "expected a graph operator (graph-match, graph-to-table, ...)",
                        op.name_span,
                    ));
                }
            };
            for rest in ops {
                tab = self.operator(tab, rest)?;
            }
            return Ok(tab);
        }
        Err(Diagnostic::error(
            codes::EXPR_KIND,
            "partitioned-by needs graph-match, graph-shortest-paths or graph-to-table",
            span,
        ))
    }
}
