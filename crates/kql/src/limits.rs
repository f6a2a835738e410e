//! Limits on what one query may take: plan depth, time and memory. A query beyond one ends
//! with a diagnostic (code `KQL002`), never a stack overflow or the system's OOM killer.

use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use kql_syntax::diagnostic::codes;
use kql_syntax::{Diagnostic, Span};
use std::collections::HashMap;
use std::time::Duration;

/// The deepest plan the optimiser is given: its rules recurse once per level.
pub const MAX_PLAN_DEPTH: usize = 2500;

/// The longest chain of operators from the plan's root to a scan (a sub-plan shared by
/// several parents, as a `let` used twice, is measured once).
pub fn plan_depth(plan: &LogicalPlan) -> usize {
    let mut depth: HashMap<*const LogicalPlan, usize> = HashMap::new();
    let mut stack = vec![(plan, false)];
    while let Some((node, expanded)) = stack.pop() {
        let key = node as *const LogicalPlan;
        if depth.contains_key(&key) {
            continue;
        }
        let inputs = node.inputs();
        if expanded {
            let below = inputs
                .iter()
                .filter_map(|i| depth.get(&(*i as *const LogicalPlan)))
                .max()
                .copied()
                .unwrap_or(0);
            depth.insert(key, below + 1);
        } else {
            stack.push((node, true));
            stack.extend(inputs.into_iter().map(|i| (i, false)));
        }
    }
    depth
        .get(&(plan as *const LogicalPlan))
        .copied()
        .unwrap_or(1)
}

/// A diagnostic when the plan is deeper than `MAX_PLAN_DEPTH`.
pub fn check_depth(plan: &LogicalPlan, span: Span) -> Result<(), Diagnostic> {
    let depth = plan_depth(plan);
    if depth <= MAX_PLAN_DEPTH {
        return Ok(());
    }
    Err(Diagnostic::error(
        codes::LIMIT,
        format!(
            "the query's plan is {depth} operators deep, more than the limit of {MAX_PLAN_DEPTH}"
        ),
        span,
    )
    .with_help("materialize intermediate results, or merge consecutive operators"))
}

/// What a query that ran past its time limit is told.
pub fn timeout_message(limit: Duration) -> String {
    format!(
        "the query ran longer than its time limit of {} (--timeout)",
        humane_duration(limit)
    )
}

/// The diagnostic for a query that ran past its time limit.
pub fn timed_out(limit: Duration, span: Span) -> Diagnostic {
    Diagnostic::error(codes::LIMIT, timeout_message(limit), span)
}

/// A runtime error as a diagnostic; running out of the memory pool is a limit, said plainly.
pub fn runtime_error(e: DataFusionError, memory_limit: Option<usize>, span: Span) -> Diagnostic {
    let exhausted = matches!(e.find_root(), DataFusionError::ResourcesExhausted(_));
    match memory_limit {
        Some(limit) if exhausted => Diagnostic::error(
            codes::LIMIT,
            format!(
                "the query needs more memory than its limit of {} (--memory-limit)",
                humane_bytes(limit)
            ),
            span,
        )
        .with_note(e.find_root().to_string()),
        _ => Diagnostic::error(codes::RUNTIME, format!("query failed: {e}"), span),
    }
}

fn humane_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn humane_bytes(n: usize) -> String {
    const UNITS: [(&str, usize); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    UNITS
        .iter()
        .find(|(_, size)| n >= *size && n.is_multiple_of(*size))
        .map_or_else(
            || format!("{n} bytes"),
            |(unit, size)| format!("{} {unit}", n / size),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{LogicalPlanBuilder, lit};

    #[test]
    fn depth_counts_the_longest_path_once_per_shared_node() {
        let mut b = LogicalPlanBuilder::empty(true);
        for _ in 0..10 {
            b = b.filter(lit(true)).unwrap();
        }
        let ten = b.build().unwrap();
        assert_eq!(plan_depth(&ten), 11);
        // 40 self-unions: 2^40 paths, but 40 levels plus the shared chain.
        let mut plan = ten;
        for _ in 0..40 {
            plan = LogicalPlanBuilder::from(plan.clone())
                .union(plan)
                .unwrap()
                .build()
                .unwrap();
        }
        assert_eq!(plan_depth(&plan), 51);
    }

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(humane_bytes(512 << 20), "512 MiB");
        assert_eq!(humane_bytes(1000), "1000 bytes");
        assert_eq!(humane_duration(Duration::from_secs(5)), "5s");
        assert_eq!(humane_duration(Duration::from_millis(1500)), "1500ms");
    }
}
