//! Filters applied while a scan decodes (late materialisation): each `where` pushed into
//! the scan is evaluated in turn over the columns it reads, decoded for the rows still
//! kept, and the other columns are decoded only for the rows that pass them all (a scan
//! of a file whose lines repeat no key also reads each column from the lines only then).
//! The plan still filters above the scan (the push-down is inexact), so this only saves
//! work.

use crate::decode::build_column;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::arrow::compute::{filter, prep_null_mask_filter};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::physical_expr::PhysicalExpr;
use kql_types::KType;
use std::sync::Arc;

/// A predicate over some of the decoded columns.
#[derive(Debug, Clone)]
pub struct PushedFilter {
    predicate: Arc<dyn PhysicalExpr>,
    /// Positions, among the decoded columns, of the columns it reads (in `schema`'s order).
    columns: Vec<usize>,
    schema: SchemaRef,
}

impl PushedFilter {
    /// A predicate whose input is `schema`: the decoded columns at `columns`, in that order
    /// (see [`PushedFilter::input_schema`]).
    pub fn new(predicate: Arc<dyn PhysicalExpr>, columns: Vec<usize>, schema: SchemaRef) -> Self {
        PushedFilter {
            predicate,
            columns,
            schema,
        }
    }

    /// The input of a predicate over the decoded columns at `columns`.
    pub fn input_schema(columns: &[usize], decoded: &[(String, KType)]) -> Result<SchemaRef> {
        let fields = columns
            .iter()
            .map(|&c| match decoded.get(c) {
                Some((name, ty)) => Ok(ty.field(name.clone())),
                None => Err(DataFusionError::Internal(format!(
                    "a scan filter reads column {c} of {}",
                    decoded.len()
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Schema::new(fields)))
    }

    pub fn predicate(&self) -> &Arc<dyn PhysicalExpr> {
        &self.predicate
    }

    /// The decoded columns it reads.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }
}

/// The filters the scan can evaluate; the columns they read are added to `decoded` (the
/// table's column indices the scan decodes, the output's first).
pub fn push_filters(
    state: &dyn Session,
    table: &Schema,
    filters: &[Expr],
    decoded: &mut Vec<usize>,
) -> Vec<PushedFilter> {
    let mut pushed = Vec::new();
    for f in filters.iter().filter(|f| !f.is_volatile()) {
        let mut reads: Vec<usize> = f
            .column_refs()
            .iter()
            .filter_map(|c| table.index_of(&c.name).ok())
            .collect();
        reads.sort_unstable();
        reads.dedup();
        let Ok(schema) = table.project(&reads) else {
            continue;
        };
        let Ok(df_schema) = DFSchema::try_from(schema.clone()) else {
            continue;
        };
        let Ok(predicate) = state.create_physical_expr(unnormalize_col(f.clone()), &df_schema)
        else {
            continue;
        };
        let columns = reads
            .iter()
            .map(|t| match decoded.iter().position(|d| d == t) {
                Some(p) => p,
                None => {
                    decoded.push(*t);
                    decoded.len() - 1
                }
            })
            .collect();
        pushed.push(PushedFilter {
            predicate,
            columns,
            schema: Arc::new(schema),
        });
    }
    pushed
}

/// Column `c` of `spans` decoded for the rows `kept` (`None`: all of them).
fn build(
    spans: &[Vec<Option<&str>>],
    types: &[KType],
    c: usize,
    kept: Option<&[usize]>,
) -> Result<ArrayRef> {
    let built = match kept {
        None => build_column(&spans[c], types[c]),
        Some(rows) => {
            let picked: Vec<Option<&str>> = rows.iter().map(|&r| spans[c][r]).collect();
            build_column(&picked, types[c])
        }
    };
    built.map_err(DataFusionError::Execution)
}

/// The rows of a batch still kept as filters are applied, and the columns decoded to
/// judge them.
pub struct Passed {
    decoded: Vec<Option<ArrayRef>>,
    /// The rows kept, by index in the batch (`None`: all of them).
    kept: Option<Vec<usize>>,
    rows: usize,
}

impl Passed {
    /// All `rows` rows of a batch of `width` decoded columns.
    pub fn all(width: usize, rows: usize) -> Passed {
        Passed {
            decoded: vec![None; width],
            kept: None,
            rows,
        }
    }

    /// The rows kept, by index in the batch.
    pub fn kept(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match &self.kept {
            Some(rows) => Box::new(rows.iter().copied()),
            None => Box::new(0..self.rows),
        }
    }

    /// Keeps the rows that pass `f`; false when none is left. `spans[c][r]` is the raw
    /// value of decoded column `c` in row `r`: the filter's columns must be there for the
    /// kept rows.
    pub fn apply(
        &mut self,
        f: &PushedFilter,
        spans: &[Vec<Option<&str>>],
        types: &[KType],
    ) -> Result<bool> {
        let n = self.rows;
        let mut arrays = Vec::with_capacity(f.columns.len());
        for &c in &f.columns {
            if self.decoded[c].is_none() {
                self.decoded[c] = Some(build(spans, types, c, self.kept.as_deref())?);
            }
            arrays.extend(self.decoded[c].clone());
        }
        let options = RecordBatchOptions::new().with_row_count(Some(n));
        let batch = RecordBatch::try_new_with_options(f.schema.clone(), arrays, &options)?;
        let result = f.predicate.evaluate(&batch)?.into_array(n)?;
        let Some(mask) = result.as_any().downcast_ref::<BooleanArray>() else {
            return Ok(true);
        };
        let mask = if mask.null_count() > 0 {
            prep_null_mask_filter(mask)
        } else {
            mask.clone()
        };
        if mask.true_count() == n {
            return Ok(true);
        }
        let passed: Vec<usize> = (0..n)
            .filter(|&i| mask.value(i))
            .map(|i| self.kept.as_ref().map_or(i, |k| k[i]))
            .collect();
        for d in self.decoded.iter_mut().flatten() {
            *d = filter(d.as_ref(), &mask)?;
        }
        self.rows = passed.len();
        self.kept = Some(passed);
        Ok(self.rows > 0)
    }

    /// The first `output` decoded columns of the kept rows, and how many rows they have.
    /// `spans` must hold every column's values for the kept rows.
    pub fn output(
        mut self,
        spans: &[Vec<Option<&str>>],
        types: &[KType],
        output: usize,
    ) -> Result<(Vec<ArrayRef>, usize)> {
        let mut out = Vec::with_capacity(output);
        for c in 0..output {
            match self.decoded[c].take() {
                Some(a) => out.push(a),
                None => out.push(build(spans, types, c, self.kept.as_deref())?),
            }
        }
        Ok((out, self.rows))
    }
}
