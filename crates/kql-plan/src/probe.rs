//! Evaluating while binding: constants that are expressions (`startofday(ago(7d))`) and the
//! values an operator's output columns depend on (`bag_unpack`, `pivot`, `make-series`).

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_functions::Typed;
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    /// Runs a plan through the catalog.
    pub(crate) fn run_probe(
        &self,
        plan: LogicalPlan,
        span: Span,
    ) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, Diagnostic> {
        self.catalog()
            .evaluate(plan)
            .map_err(|e| Diagnostic::error(codes::RUNTIME, format!("query failed: {e}"), span))
    }

    /// The non-null values of one expression over the input, as text, in row order.
    pub(crate) fn column_texts(
        &self,
        input: &Tab,
        expr: DfExpr,
        span: Span,
    ) -> Result<Vec<String>, Diagnostic> {
        let probe = input.clone().build(
            span,
            |b| b.project(vec![expr.alias("__probe")]),
            vec![KType::String],
        )?;
        let mut out = Vec::new();
        for b in self.run_probe(probe.plan, span)? {
            let col = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)
                .map_err(|e| Diagnostic::error(codes::RUNTIME, e.to_string(), span))?;
            if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                out.extend(s.iter().flatten().map(str::to_string));
            }
        }
        Ok(out)
    }

    /// The value of expressions that read no columns, or of aggregates over `input` (one
    /// row), computed now.
    pub(crate) fn constants(
        &self,
        input: Option<&Tab>,
        exprs: Vec<DfExpr>,
        span: Span,
    ) -> Result<Vec<ScalarValue>, Diagnostic> {
        let n = exprs.len();
        let named: Vec<DfExpr> = exprs
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.alias(format!("__c{i}")))
            .collect();
        let plan = match input {
            Some(t) => {
                LogicalPlanBuilder::from(t.plan.clone()).aggregate(Vec::<DfExpr>::new(), named)
            }
            None => LogicalPlanBuilder::empty(true).project(named),
        }
        .and_then(|b| b.build())
        .map_err(crate::df_err(span))?;
        let batches = self.run_probe(plan, span)?;
        let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
            return Err(Diagnostic::error(
                codes::RUNTIME,
                "a constant expression gave no value",
                span,
            ));
        };
        (0..n)
            .map(|i| {
                ScalarValue::try_from_array(b.column(i), 0)
                    .map_err(|e| Diagnostic::error(codes::RUNTIME, e.to_string(), span))
            })
            .collect()
    }

    /// A constant expression's value as a 64-bit count of ticks (datetime, timespan) or a
    /// whole number; None when it is null.
    pub(crate) fn constant_ticks(
        &mut self,
        e: &kql_syntax::ast::Expr,
    ) -> Result<Option<i64>, Diagnostic> {
        let v = self.scalar(e, None)?;
        Ok(scalar_i64(&self.constant(&v, e.span)?))
    }

    /// The value of an expression that reads no columns.
    pub(crate) fn constant(&self, v: &Typed, span: Span) -> Result<ScalarValue, Diagnostic> {
        Ok(match &v.expr {
            DfExpr::Literal(s, _) => s.clone(),
            other => self
                .constants(None, vec![other.clone()], span)?
                .into_iter()
                .next()
                .unwrap_or(ScalarValue::Null),
        })
    }
}

/// A datetime, timespan or integer scalar as i64 (nanoseconds for the first two).
pub(crate) fn scalar_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::TimestampNanosecond(x, _) | ScalarValue::DurationNanosecond(x) => *x,
        ScalarValue::Int64(x) => *x,
        ScalarValue::Int32(x) => x.map(i64::from),
        ScalarValue::Float64(x) => x.map(|f| f as i64),
        _ => None,
    }
}
