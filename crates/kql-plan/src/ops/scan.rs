//! `scan`: the input's rows are read while binding and matched one by one against the
//! steps, each step keeping the state of its ongoing sequence (Kusto's "scan logic").
//! Conditions and assignments are bound like other expressions over a row holding the
//! record's columns and, per step, the state's values (`s.col` reads `__scan_s_col`), then
//! compiled to physical expressions evaluated row by row.

use super::graph::memory_table;
use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, new_empty_array};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::common::config::ConfigOptions;
use datafusion::execution::context::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::optimizer::analyzer::Analyzer;
use datafusion::optimizer::simplify_expressions::{ExprSimplifier, SimplifyContext};
use datafusion::physical_expr::{PhysicalExpr, create_physical_expr};
use kql_syntax::ast::{Expr, ExprKind, Name, Scan, ScanOutput};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;
use std::sync::Arc;

/// The compiled steps: a condition and the assignments (declared column, value) of each.
struct Compiled {
    schema: Arc<datafusion::arrow::datatypes::Schema>,
    conditions: Vec<Arc<dyn PhysicalExpr>>,
    assignments: Vec<Vec<(usize, Arc<dyn PhysicalExpr>)>>,
}

/// The state of a step: the record each step up to it matched, and its sequence's id.
#[derive(Clone)]
struct State {
    slots: Vec<Option<Vec<ScalarValue>>>,
    id: i64,
}

struct Runner<'a> {
    compiled: &'a Compiled,
    types: &'a [DataType],
    steps: usize,
}

impl Runner<'_> {
    fn batch(&self, record: &[ScalarValue], state: Option<&State>) -> Result<RecordBatch, String> {
        let mut values: Vec<ScalarValue> = record.to_vec();
        for s in 0..self.steps {
            match state.and_then(|st| st.slots[s].as_ref()) {
                Some(slot) => values.extend(slot.iter().cloned()),
                None => values.extend(
                    self.types
                        .iter()
                        .map(|t| ScalarValue::try_from(t).unwrap_or(ScalarValue::Null)),
                ),
            }
        }
        let arrays = values
            .iter()
            .map(|v| v.to_array_of_size(1))
            .collect::<Result<Vec<ArrayRef>, _>>()
            .map_err(|e| e.to_string())?;
        RecordBatch::try_new(self.compiled.schema.clone(), arrays).map_err(|e| e.to_string())
    }

    fn value(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<ScalarValue, String> {
        let array = e
            .evaluate(batch)
            .and_then(|v| v.into_array(1))
            .map_err(|e| e.to_string())?;
        ScalarValue::try_from_array(&array, 0).map_err(|e| e.to_string())
    }

    /// Whether step `k` matches the record with a state; if so the extended record.
    fn step(
        &self,
        k: usize,
        record: &[ScalarValue],
        state: Option<&State>,
    ) -> Result<Option<Vec<ScalarValue>>, String> {
        let batch = self.batch(record, state)?;
        let cond = self.compiled.conditions[k]
            .evaluate(&batch)
            .and_then(|v| v.into_array(1))
            .map_err(|e| e.to_string())?;
        let cond = cond.as_boolean();
        if !(cond.is_valid(0) && cond.value(0)) {
            return Ok(None);
        }
        let mut extended = record.to_vec();
        for (column, e) in &self.compiled.assignments[k] {
            let v = Self::value(e, &batch)?;
            extended[*column] = v.cast_to(&self.types[*column]).map_err(|e| e.to_string())?;
        }
        Ok(Some(extended))
    }
}

impl Binder<'_> {
    pub(super) fn scan_steps(
        &mut self,
        input: Tab,
        sc: &Scan,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let err = |m: String| Diagnostic::error(codes::RUNTIME, m, span);
        let mut match_id = None;
        for p in &sc.params {
            match (p.name.name.as_str(), p.word()) {
                ("with_match_id", Some(n)) => match_id = Some(n),
                _ => {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        format!("unknown scan option '{}'", p.name.name),
                        p.name.span,
                    ));
                }
            }
        }
        if let Some(s) = sc.steps.iter().find(|s| s.output == ScanOutput::Last) {
            return Err(Diagnostic::unsupported(
                "scan steps with output=last",
                s.name.span,
            ));
        }
        let rows = self.props(input, span)?;
        let (mut names, mut ktypes, mut types) = (
            rows.names.clone(),
            rows.types.clone(),
            rows.data_types.clone(),
        );
        let mut defaults = Vec::new();
        for (decl, default) in &sc.declare {
            let ty = crate::literal::resolve_type(&decl.ty)?;
            let dt = ty.arrow_type();
            let value = match default {
                Some(d) => {
                    let t = self.scalar(d, None)?;
                    self.constant(&t, d.span)?
                        .cast_to(&dt)
                        .map_err(|e| err(e.to_string()))?
                }
                None => ScalarValue::try_from(&dt).map_err(|e| err(e.to_string()))?,
            };
            names.push(decl.name.name.clone());
            ktypes.push(ty);
            types.push(dt);
            defaults.push(value);
        }
        let compiled = self.compile_steps(sc, &names, &ktypes, &types, rows.cols.len(), span)?;
        let runner = Runner {
            compiled: &compiled,
            types: &types,
            steps: sc.steps.len(),
        };
        let n = sc.steps.len();
        let mut states: Vec<Option<State>> = vec![None; n];
        let (mut out, mut ids): (Vec<Vec<ScalarValue>>, Vec<i64>) = (Vec::new(), Vec::new());
        let mut next_id = 0;
        for r in 0..rows.rows() {
            let mut record: Vec<ScalarValue> = rows.cols.iter().map(|c| c[r].clone()).collect();
            record.extend(defaults.iter().cloned());
            for k in (0..n).rev() {
                let mut emit = |ext: Vec<ScalarValue>, id: i64| {
                    if sc.steps[k].output == ScanOutput::All {
                        out.push(ext);
                        ids.push(id);
                    }
                };
                if k > 0
                    && let Some(prev) = &states[k - 1]
                    && let Some(ext) = runner.step(k, &record, Some(prev)).map_err(err)?
                {
                    let mut st = states[k - 1].take().unwrap_or(State {
                        slots: vec![None; n],
                        id: 0,
                    });
                    st.slots[k] = Some(ext.clone());
                    emit(ext, st.id);
                    states[k] = Some(st);
                    continue;
                }
                if (states[k].is_some() || k == 0)
                    && let Some(ext) = runner.step(k, &record, states[k].as_ref()).map_err(err)?
                {
                    let st = states[k].get_or_insert_with(|| {
                        next_id += 1;
                        State {
                            slots: vec![None; n],
                            id: next_id - 1,
                        }
                    });
                    st.slots[k] = Some(ext.clone());
                    let id = st.id;
                    emit(ext, id);
                }
            }
        }
        let mut columns = Vec::new();
        for c in 0..names.len() {
            let array: ArrayRef = if out.is_empty() {
                new_empty_array(&types[c])
            } else {
                ScalarValue::iter_to_array(out.iter().map(|row| row[c].clone()))
                    .map_err(|e| err(e.to_string()))?
            };
            columns.push((names[c].clone(), ktypes[c], array));
        }
        if let Some(id) = match_id {
            let array: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(ids));
            columns.push((id, KType::Long, array));
        }
        memory_table(columns, span)
    }

    /// Binds and compiles the steps' conditions and assignments.
    fn compile_steps(
        &mut self,
        sc: &Scan,
        names: &[String],
        ktypes: &[KType],
        types: &[DataType],
        inputs: usize,
        span: Span,
    ) -> Result<Compiled, Diagnostic> {
        let err = |m: String| Diagnostic::error(codes::RUNTIME, m, span);
        let steps: Vec<String> = sc.steps.iter().map(|s| s.name.name.clone()).collect();
        let mut env = Vec::new();
        for prefix in std::iter::once(None).chain(steps.iter().map(Some)) {
            for c in 0..names.len() {
                let name = match prefix {
                    None => names[c].clone(),
                    Some(s) => format!("__scan_{s}_{}", names[c]),
                };
                env.push((name, ktypes[c], new_empty_array(&types[c])));
            }
        }
        let env = memory_table(env, span)?;
        let state_refs = |e: &Expr| {
            e.rewrite(&mut |x| match &x.kind {
                ExprKind::Member { target, name } => match &target.kind {
                    ExprKind::Name(s) if steps.contains(&s.name) => Some(Expr {
                        kind: ExprKind::Name(Name {
                            name: format!("__scan_{}_{}", s.name, name.name),
                            span: x.span,
                        }),
                        span: x.span,
                    }),
                    _ => None,
                },
                _ => None,
            })
        };
        let mut exprs = Vec::new();
        let mut assignments = Vec::new();
        for step in &sc.steps {
            let cond = self.scalar(&state_refs(&step.condition), Some(&env))?;
            if cond.ty != KType::Bool {
                return Err(Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("a scan step's condition must be a bool, not {}", cond.ty),
                    step.condition.span,
                ));
            }
            exprs.push(cond.expr);
            let mut assigned = Vec::new();
            for (column, value) in &step.assignments {
                let at = names
                    .iter()
                    .position(|n| *n == column.name)
                    .filter(|&i| i >= inputs)
                    .ok_or_else(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("'{}' is not a declared column of the scan", column.name),
                            column.span,
                        )
                    })?;
                let v = self.scalar(&state_refs(value), Some(&env))?;
                assigned.push((at, exprs.len()));
                exprs.push(v.expr);
            }
            assignments.push(assigned);
        }
        let aliased: Vec<_> = exprs
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.alias(format!("__scan_expr{i}")))
            .collect();
        let plan = LogicalPlanBuilder::from(env.plan)
            .project(aliased)
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        let analyzed = Analyzer::new()
            .execute_and_check(plan, &ConfigOptions::default(), |_, _| {})
            .map_err(|e| err(e.to_string()))?;
        let LogicalPlan::Projection(p) = analyzed else {
            return Err(err("scan steps did not compile to a projection".into()));
        };
        let props = ExecutionProps::new();
        let planning = PhysicalPlanningContext::default();
        let simplifier = ExprSimplifier::new(
            SimplifyContext::builder()
                .with_schema(p.input.schema().clone())
                .build(),
        );
        let physical = p
            .expr
            .iter()
            .map(|e| {
                let e = simplifier.simplify(e.clone())?;
                create_physical_expr(&e, p.input.schema(), &props, &planning)
            })
            .collect::<datafusion::error::Result<Vec<_>>>()
            .map_err(|e| err(e.to_string()))?;
        let mut conditions = Vec::new();
        let mut compiled_assignments = Vec::new();
        for (s, assigned) in assignments.into_iter().enumerate() {
            let first = sc.steps[..s]
                .iter()
                .map(|st| 1 + st.assignments.len())
                .sum::<usize>();
            conditions.push(physical[first].clone());
            compiled_assignments.push(
                assigned
                    .into_iter()
                    .map(|(column, i)| (column, physical[i].clone()))
                    .collect(),
            );
        }
        Ok(Compiled {
            schema: Arc::new(p.input.schema().as_arrow().clone()),
            conditions,
            assignments: compiled_assignments,
        })
    }
}
