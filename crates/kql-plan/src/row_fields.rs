//! An optimizer rule for the rows that `arg_max(x, *)`, `arg_min` and `take_any(*)` keep:
//! they aggregate a struct of every column of the input (`summarize.rs`), and the plan above
//! often reads only a few of its fields. Where a projection right above the aggregation reads
//! the struct only field by field, the struct keeps just those fields, so the columns no one
//! reads are not carried through the aggregation, and the scans below need not read them.

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions::expr_fn::named_struct;
use datafusion::logical_expr::expr::{AggregateFunction, Alias};
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, Projection};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use kql_functions::arg_extreme::udafs;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The rule; add it to a session's optimizer rules.
#[derive(Debug, Default)]
pub struct PruneRowFields;

impl OptimizerRule for PruneRowFields {
    fn name(&self) -> &str {
        "kql_prune_row_fields"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Projection(projection) = &plan else {
            return Ok(Transformed::no(plan));
        };
        let LogicalPlan::Aggregate(aggregate) = projection.input.as_ref() else {
            return Ok(Transformed::no(plan));
        };
        let reads = FieldReads::of(&projection.expr)?;
        let mut pruned = false;
        let aggr_expr = aggregate
            .aggr_expr
            .iter()
            .map(|e| {
                let narrower = narrowed(e, &reads);
                pruned |= narrower.is_some();
                narrower.unwrap_or_else(|| e.clone())
            })
            .collect();
        if !pruned {
            return Ok(Transformed::no(plan));
        }
        let aggregate = Aggregate::try_new(
            aggregate.input.clone(),
            aggregate.group_expr.clone(),
            aggr_expr,
        )?;
        let projection = Projection::try_new(
            projection.expr.clone(),
            Arc::new(LogicalPlan::Aggregate(aggregate)),
        )?;
        Ok(Transformed::yes(LogicalPlan::Projection(projection)))
    }
}

/// How a projection reads the columns of its input: by field name only, or otherwise.
#[derive(Default)]
struct FieldReads {
    fields: HashMap<String, HashSet<String>>,
    whole: HashSet<String>,
}

impl FieldReads {
    fn of(exprs: &[Expr]) -> Result<FieldReads> {
        let mut reads = FieldReads::default();
        for e in exprs {
            e.apply(|x| {
                if let Some((column, field)) = field_read(x) {
                    reads
                        .fields
                        .entry(column.to_string())
                        .or_default()
                        .insert(field.to_string());
                    return Ok(TreeNodeRecursion::Jump);
                }
                if let Expr::Column(c) = x {
                    reads.whole.insert(c.name.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(reads)
    }
}

/// `get_field(column, 'name')`: the column's and the field's names.
fn field_read(e: &Expr) -> Option<(&str, &str)> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    match (f.func.name(), f.args.as_slice()) {
        (
            "get_field",
            [
                Expr::Column(c),
                Expr::Literal(ScalarValue::Utf8(Some(name)), _),
            ],
        ) => Some((&c.name, name)),
        _ => None,
    }
}

/// The row aggregate `e` with only the fields of its struct that `reads` reads, or `None`
/// when it is not one, it is read whole, or it would keep every field.
fn narrowed(e: &Expr, reads: &FieldReads) -> Option<Expr> {
    let Expr::Alias(Alias {
        expr,
        relation,
        name,
        metadata,
    }) = e
    else {
        return None;
    };
    let Expr::AggregateFunction(AggregateFunction { func, params }) = expr.as_ref() else {
        return None;
    };
    let row_aggregate = udafs().iter().any(|u| u.name() == func.name());
    if !row_aggregate || reads.whole.contains(name) {
        return None;
    }
    let Some(Expr::ScalarFunction(row)) = params.args.get(1) else {
        return None;
    };
    if row.func.name() != "named_struct" {
        return None;
    }
    let used = reads.fields.get(name);
    let kept: Vec<Expr> = row
        .args
        .chunks(2)
        .enumerate()
        .filter(|(i, pair)| {
            // A struct keeps at least its first field.
            *i == 0
                || matches!(pair, [Expr::Literal(ScalarValue::Utf8(Some(field)), _), _]
                    if used.is_some_and(|u| u.contains(field)))
        })
        .flat_map(|(_, pair)| pair.iter().cloned())
        .collect();
    if kept.len() == row.args.len() {
        return None;
    }
    let mut params = params.clone();
    params.args[1] = named_struct(kept);
    let aggregate = Expr::AggregateFunction(AggregateFunction {
        func: func.clone(),
        params,
    });
    Some(Expr::Alias(Alias {
        expr: Box::new(aggregate),
        relation: relation.clone(),
        name: name.clone(),
        metadata: metadata.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::functions::expr_fn::get_field;
    use datafusion::logical_expr::{col, lit, table_scan};
    use datafusion::optimizer::OptimizerContext;
    use kql_functions::arg_extreme::{Extreme, arg_extreme};

    /// `summarize arg_max(a, *) by g` over (g, a, b, c), then `project` of what `reads` gives.
    fn plan(reads: Vec<Expr>) -> Result<LogicalPlan> {
        let schema = Schema::new(vec![
            Field::new("g", DataType::Int64, true),
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Utf8, true),
        ]);
        let row = named_struct(vec![
            lit("f0"),
            col("a"),
            lit("f1"),
            col("b"),
            lit("f2"),
            col("c"),
        ]);
        table_scan(Some("t"), &schema, None)?
            .aggregate(
                vec![col("g")],
                vec![
                    arg_extreme(Extreme::Max)
                        .call(vec![col("a"), row])
                        .alias("__agg0"),
                ],
            )?
            .project(reads)?
            .build()
    }

    fn pruned(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        PruneRowFields.rewrite(plan, &OptimizerContext::new())
    }

    #[test]
    fn keeps_the_fields_read() -> Result<()> {
        let out = pruned(plan(vec![col("g"), get_field(col("__agg0"), "f2")])?)?;
        assert!(out.transformed);
        let text = out.data.display_indent().to_string();
        assert!(
            text.contains("named_struct(Utf8(\"f0\"), t.a, Utf8(\"f2\"), t.c)"),
            "{text}"
        );
        assert!(!text.contains("t.b"), "{text}");
        Ok(())
    }

    #[test]
    fn keeps_a_struct_read_whole() -> Result<()> {
        let reads = vec![get_field(col("__agg0"), "f2"), col("__agg0")];
        assert!(!pruned(plan(reads)?)?.transformed);
        // Every field read: nothing to prune.
        let reads = ["f0", "f1", "f2"]
            .map(|f| get_field(col("__agg0"), f))
            .to_vec();
        assert!(!pruned(plan(reads)?)?.transformed);
        Ok(())
    }
}
