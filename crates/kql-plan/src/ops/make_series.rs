//! `make-series`: per group, one dynamic array per aggregate with a value for every step of
//! the axis (the default where a step has no rows), and the axis itself as an array.

use super::implied_name;
use super::summarize::{aggregate_column, key_name};
use crate::binder::Binder;
use crate::names::unique;
use crate::probe::scalar_i64;
use crate::tab::Tab;
use datafusion::common::Column;
use datafusion::functions_aggregate::expr_fn::{array_agg, max, min};
use datafusion::logical_expr::{Expr as DfExpr, cast, lit};
use kql_functions::Typed;
use kql_functions::coerce::{datetime_lit, timespan_lit};
use kql_functions::series_fill::SERIES_FILL;
use kql_syntax::ast::MakeSeries;
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::{KType, datetime_text, format_timespan};
use serde_json::Value;

/// More bins than this is almost certainly a wrong step.
const MAX_BINS: i64 = 1_000_000;

impl Binder<'_> {
    pub(super) fn make_series(
        &mut self,
        input: Tab,
        ms: &MakeSeries,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let axis = self.scalar(&ms.axis, Some(&input))?;
        if !matches!(
            axis.ty,
            KType::Datetime | KType::Timespan | KType::Long | KType::Int
        ) {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!(
                    "make-series needs a datetime, timespan or integer axis; this is {}",
                    axis.ty
                ),
                ms.axis.span,
            ));
        }
        let ticks = cast(
            axis.expr.clone(),
            datafusion::arrow::datatypes::DataType::Int64,
        );
        let step = self
            .constant_ticks(&ms.step)?
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "make-series needs a positive constant step",
                    ms.step.span,
                )
            })?;
        let from = match &ms.from {
            Some(e) => self.constant_ticks(e)?,
            None => None,
        };
        let to = match &ms.to {
            Some(e) => self.constant_ticks(e)?,
            None => None,
        };
        // Bounds not given come from the data: `from` the first value's bin, `to` the last
        // value, which the series then includes.
        let (from, to, inclusive) = match (from, to) {
            (Some(f), Some(t)) => (f, t, ms.inclusive),
            (f, t) => {
                let found = self.constants(
                    Some(&input),
                    vec![min(ticks.clone()), max(ticks.clone())],
                    span,
                )?;
                let lo = scalar_i64(&found[0]);
                let hi = scalar_i64(&found[1]);
                match (f.or(lo.map(|v| v - v.rem_euclid(step))), t.or(hi)) {
                    (Some(start), Some(end)) => (start, end, t.is_none() || ms.inclusive),
                    _ => (0, 0, false),
                }
            }
        };
        let span_ticks = to.saturating_sub(from).max(0);
        let mut bins = span_ticks / step + i64::from(span_ticks % step != 0);
        if inclusive && span_ticks % step == 0 && to >= from {
            bins += 1;
        }
        if bins > MAX_BINS {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("make-series would make {bins} bins; use a larger step"),
                ms.step.span,
            ));
        }
        let end = from.saturating_add(bins.saturating_mul(step));
        let lit_of = |v: i64| match axis.ty {
            KType::Datetime => datetime_lit(v),
            KType::Timespan => timespan_lit(v),
            _ => lit(v),
        };
        let in_range = axis
            .expr
            .clone()
            .gt_eq(lit_of(from))
            .and(axis.expr.clone().lt(lit_of(end)));
        let types = input.types.clone();
        let rows = input.build(span, |b| b.filter(in_range), types)?;
        // 1. Aggregate per group and bin.
        let mut taken = Vec::new();
        let mut group_exprs = Vec::new();
        let mut by_out = Vec::new();
        let mut unnamed = 0;
        for (i, item) in ms.by.iter().enumerate() {
            let v = self.scalar(&item.expr, Some(&rows))?;
            let name = key_name(item, &mut unnamed);
            let name = unique(&name, &taken);
            taken.push(name.clone());
            group_exprs.push(v.expr.alias(format!("__by{i}")));
            by_out.push((format!("__by{i}"), v.ty, name));
        }
        let bin_expr = (ticks - lit(from)) / lit(step);
        group_exprs.push(bin_expr.alias("__bin"));
        let mut agg_exprs: Vec<(DfExpr, String)> = Vec::new();
        let mut values = Vec::new();
        for (item, default) in &ms.aggregates {
            let value = self.aggregate_value(&item.expr, &rows, &mut agg_exprs)?;
            let name = aggregate_column(item, &mut taken);
            let default = match default {
                Some(d) => {
                    let d = self.scalar(d, None)?;
                    self.constant_json(&d, span)?
                }
                None => Value::from(0),
            };
            values.push((value, name, default));
        }
        let aggr: Vec<DfExpr> = agg_exprs.into_iter().map(|(e, n)| e.alias(n)).collect();
        let per_bin = rows.aggregate(span, group_exprs, aggr, Vec::new())?;
        let per_bin = Tab::from_plan(per_bin.plan);
        let mut cols: Vec<(Typed, String)> = by_out
            .iter()
            .map(|(internal, ty, _)| (Typed::new(col(internal), *ty), internal.clone()))
            .collect();
        cols.push((Typed::new(col("__bin"), KType::Long), "__bin".into()));
        for (j, (v, _, _)) in values.iter().enumerate() {
            cols.push((v.clone(), format!("__v{j}")));
        }
        let per_bin = per_bin.project(cols, span)?;
        // 2. Collect each group's bins and values into lists.
        let groups: Vec<DfExpr> = by_out.iter().map(|(i, _, _)| col(i)).collect();
        let mut lists = vec![array_agg(col("__bin")).alias("__bins")];
        for j in 0..values.len() {
            lists.push(array_agg(col(&format!("__v{j}"))).alias(format!("__vals{j}")));
        }
        let grouped = per_bin.aggregate(span, groups, lists, Vec::new())?;
        let grouped = Tab::from_plan(grouped.plan);
        // 3. The output: group keys, one series per aggregate, the axis.
        let mut out: Vec<(Typed, String)> = by_out
            .into_iter()
            .map(|(internal, ty, name)| (Typed::new(col(&internal), ty), name))
            .collect();
        for (j, (v, name, default)) in values.into_iter().enumerate() {
            let series = SERIES_FILL.call(vec![
                col("__bins"),
                col(&format!("__vals{j}")),
                lit(bins),
                lit(default.to_string()),
                lit(v.ty.name()),
            ]);
            out.push((Typed::new(series, KType::Dynamic), name));
        }
        let axis_values: Vec<Value> = (0..bins)
            .map(|k| {
                let v = from + k * step;
                match axis.ty {
                    KType::Datetime => Value::String(datetime_text(v)),
                    KType::Timespan => Value::String(format_timespan(v)),
                    _ => Value::from(v),
                }
            })
            .collect();
        let axis_name = implied_name(&ms.axis).unwrap_or_else(|| "Column1".into());
        let axis_name = unique(&axis_name, &taken);
        out.push((
            Typed::new(lit(Value::Array(axis_values).to_string()), KType::Dynamic),
            axis_name,
        ));
        grouped.project(out, span)
    }

    /// A constant's value as JSON (a `default=` value).
    fn constant_json(&self, v: &Typed, span: Span) -> Result<Value, Diagnostic> {
        let scalar = self.constant(v, span)?;
        let array = scalar
            .to_array()
            .map_err(|e| Diagnostic::error(codes::RUNTIME, e.to_string(), span))?;
        Ok(kql_functions::values::json_value(&array, 0, v.ty))
    }
}

fn col(name: &str) -> DfExpr {
    DfExpr::Column(Column::from_name(name))
}
