//! Window functions over serialized rows: `prev`/`next` (DataFusion's `lag`/`lead`),
//! `row_number`, `row_rank_dense`, `row_rank_min`, `row_cumsum` and `row_window_session`. Each is a window expression with an
//! empty `OVER ()`, so it sees the rows in the order the input delivers them; the binder
//! places it in a window node before the projection that uses it.

use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Builder, Int64Builder, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Field, FieldRef, Float64Type, Int64Type,
    TimestampNanosecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::functions_window::expr_fn::{lag, lead};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Expr, PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl, cast, lit, when,
};
use kql_types::KType;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

/// The body of a window function: the argument arrays of one partition, in row order.
type WindowBody = fn(&[ArrayRef], usize) -> Result<ArrayRef>;

#[derive(Debug)]
struct KqlUdwf {
    name: &'static str,
    signature: Signature,
    /// The result type from the first argument's type.
    ret: fn(Option<&DataType>) -> DataType,
    body: WindowBody,
}

impl PartialEq for KqlUdwf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for KqlUdwf {}

impl Hash for KqlUdwf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl WindowUDFImpl for KqlUdwf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(Evaluator { body: self.body }))
    }

    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let first = args.input_fields().first().map(|f| f.data_type());
        Ok(Arc::new(Field::new(args.name(), (self.ret)(first), true)))
    }
}

#[derive(Debug)]
struct Evaluator {
    body: WindowBody,
}

impl PartitionEvaluator for Evaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        (self.body)(values, num_rows)
    }
}

fn udwf(
    name: &'static str,
    ret: fn(Option<&DataType>) -> DataType,
    body: WindowBody,
) -> Arc<WindowUDF> {
    Arc::new(WindowUDF::new_from_impl(KqlUdwf {
        name,
        signature: Signature::variadic_any(Volatility::Immutable),
        ret,
        body,
    }))
}

static ROW_NUMBER: LazyLock<Arc<WindowUDF>> =
    LazyLock::new(|| udwf("kql_row_number", |_| DataType::Int64, row_number_body));
static ROW_RANK_DENSE: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| {
    udwf(
        "kql_row_rank_dense",
        |_| DataType::Int64,
        row_rank_dense_body,
    )
});
static ROW_RANK_MIN: LazyLock<Arc<WindowUDF>> =
    LazyLock::new(|| udwf("kql_row_rank_min", |_| DataType::Int64, row_rank_min_body));
static ROW_CUMSUM: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| {
    udwf(
        "kql_row_cumsum",
        |t| match t {
            Some(DataType::Float64) => DataType::Float64,
            _ => DataType::Int64,
        },
        row_cumsum_body,
    )
});
static ROW_WINDOW_SESSION: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| {
    udwf(
        "kql_row_window_session",
        |_| KType::Datetime.arrow_type(),
        row_window_session_body,
    )
});

/// The window functions behind the row functions.
pub fn udwfs() -> Vec<Arc<WindowUDF>> {
    vec![
        ROW_NUMBER.clone(),
        ROW_RANK_DENSE.clone(),
        ROW_RANK_MIN.clone(),
        ROW_CUMSUM.clone(),
        ROW_WINDOW_SESSION.clone(),
    ]
}

use crate::table::scalar_fn as f;

pub static WINDOW: &[FunctionSpec] = &[
    f!(
        "prev",
        1,
        3,
        |_, a| shifted(a, false),
        "The value of a column in an earlier row of a serialized table (offset 1 by default)."
    ),
    f!(
        "next",
        1,
        3,
        |_, a| shifted(a, true),
        "The value of a column in a later row of a serialized table (offset 1 by default)."
    ),
    f!(
        "row_number",
        0,
        2,
        row_number,
        "The row's position in a serialized table, from 1 (or a start), restarting on a condition."
    ),
    f!(
        "row_rank_dense",
        1,
        2,
        |_, a| row_rank(a, &ROW_RANK_DENSE),
        "The dense rank of the value in a sorted table: 1, 2, ... one step per distinct value."
    ),
    f!(
        "row_rank_min",
        1,
        2,
        |_, a| row_rank(a, &ROW_RANK_MIN),
        "The minimal rank of the value in a sorted table: equal values share their first row's position."
    ),
    f!(
        "row_cumsum",
        1,
        2,
        row_cumsum,
        "The running sum of a serialized table's column, restarting on a condition."
    ),
    f!(
        "row_window_session",
        3,
        4,
        row_window_session,
        "The start of each row's session: a new one when the gap to the previous row or to the session's first row is too long."
    ),
];

/// The value of a literal, also through a cast.
fn literal_value(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Cast(c) => match c.expr.as_ref() {
            Expr::Literal(v, _) => v.cast_to(c.field.data_type()).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `prev(col [, offset [, default]])` and `next(...)`.
fn shifted(a: Vec<Typed>, forward: bool) -> Result<Typed, String> {
    let mut it = a.into_iter();
    let col = it.next().ok_or("prev() needs a column")?;
    let offset = match it.next() {
        Some(o) => o
            .as_i64_literal()
            .ok_or("the offset must be a constant number")?,
        None => 1,
    };
    let shift = |e: Expr, default: Option<ScalarValue>| {
        if forward {
            lead(e, Some(offset), default)
        } else {
            lag(e, Some(offset), default)
        }
    };
    let expr = match it.next() {
        Some(d) => {
            let d = crate::coerce::cast_to(d, col.ty).expr;
            match literal_value(&d) {
                Some(v) => shift(col.expr, Some(v)),
                // A computed default: used where the shifted row does not exist.
                None => when(shift(lit(true), None).is_null(), d)
                    .otherwise(shift(col.expr, None))
                    .map_err(|e| e.to_string())?,
            }
        }
        None if col.ty == KType::String => {
            shift(col.expr, Some(ScalarValue::Utf8(Some(String::new()))))
        }
        None => shift(col.expr, None),
    };
    Ok(Typed::new(expr, col.ty))
}

fn restart_arg(a: Option<Typed>) -> Result<Expr, String> {
    match a {
        None => Ok(lit(false)),
        Some(t) if t.ty == KType::Bool => Ok(t.expr),
        Some(t) => Err(format!(
            "the restart condition must be a bool, not {}",
            t.ty
        )),
    }
}

fn row_number(_: &CallCtx, a: Vec<Typed>) -> Result<Typed, String> {
    let mut it = a.into_iter();
    let start = match it.next() {
        Some(s) if matches!(s.ty, KType::Int | KType::Long) => cast(s.expr, DataType::Int64),
        Some(s) => return Err(format!("row_number() starts at a number, not {}", s.ty)),
        None => lit(1i64),
    };
    let restart = restart_arg(it.next())?;
    Ok(Typed::new(
        ROW_NUMBER.call(vec![start, restart]),
        KType::Long,
    ))
}

fn row_rank(a: Vec<Typed>, udwf: &Arc<WindowUDF>) -> Result<Typed, String> {
    let mut it = a.into_iter();
    let value = it.next().ok_or("a rank needs a value")?;
    let restart = restart_arg(it.next())?;
    Ok(Typed::new(
        udwf.call(vec![value.expr, restart]),
        KType::Long,
    ))
}

fn row_cumsum(_: &CallCtx, a: Vec<Typed>) -> Result<Typed, String> {
    let mut it = a.into_iter();
    let term = it.next().ok_or("row_cumsum() needs a term")?;
    let (expr, ty) = match term.ty {
        KType::Int | KType::Long | KType::Bool => (cast(term.expr, DataType::Int64), KType::Long),
        KType::Real | KType::Decimal => (cast(term.expr, DataType::Float64), KType::Real),
        other => return Err(format!("row_cumsum() sums numbers, not {other}")),
    };
    let restart = restart_arg(it.next())?;
    Ok(Typed::new(ROW_CUMSUM.call(vec![expr, restart]), ty))
}

fn row_window_session(_: &CallCtx, a: Vec<Typed>) -> Result<Typed, String> {
    let mut it = a.into_iter();
    let (Some(t), Some(first), Some(gap)) = (it.next(), it.next(), it.next()) else {
        return Err("row_window_session() needs a datetime and two timespans".into());
    };
    if t.ty != KType::Datetime || first.ty != KType::Timespan || gap.ty != KType::Timespan {
        return Err(format!(
            "row_window_session() takes (datetime, timespan, timespan), not ({}, {}, {})",
            t.ty, first.ty, gap.ty
        ));
    }
    let restart = restart_arg(it.next())?;
    Ok(Typed::new(
        ROW_WINDOW_SESSION.call(vec![t.expr, first.expr, gap.expr, restart]),
        KType::Datetime,
    ))
}

fn restarts(values: &[ArrayRef], i: usize) -> Result<&BooleanArray> {
    match values.get(i).and_then(|a| a.as_boolean_opt()) {
        Some(b) => Ok(b),
        None => exec_err!("window function: argument {i} is not a bool"),
    }
}

fn row_number_body(values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let start = values[0].as_primitive::<Int64Type>();
    let restart = restarts(values, 1)?;
    let mut out = Int64Builder::with_capacity(rows);
    let mut n = 0i64;
    for i in 0..rows {
        if i == 0 || restart.value(i) {
            n = 0;
        }
        out.append_value(start.value(i) + n);
        n += 1;
    }
    Ok(Arc::new(out.finish()))
}

fn row_rank_dense_body(values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    ranks(values, rows, |rank, _| rank + 1)
}

fn row_rank_min_body(values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    ranks(values, rows, |_, position| position)
}

/// Ranks over a sorted partition: 1 at the start and at each restart; where the value
/// changes, `next(previous rank, 1-based position since the restart)`.
fn ranks(values: &[ArrayRef], rows: usize, next: fn(i64, i64) -> i64) -> Result<ArrayRef> {
    let restart = restarts(values, 1)?;
    let mut out = Int64Builder::with_capacity(rows);
    let (mut rank, mut position) = (0i64, 0i64);
    let mut previous: Option<ScalarValue> = None;
    for i in 0..rows {
        let value = ScalarValue::try_from_array(&values[0], i)?;
        position += 1;
        if i == 0 || restart.value(i) {
            (rank, position) = (1, 1);
        } else if previous.as_ref() != Some(&value) {
            rank = next(rank, position);
        }
        out.append_value(rank);
        previous = Some(value);
    }
    Ok(Arc::new(out.finish()))
}

fn row_cumsum_body(values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let restart = restarts(values, 1)?;
    if values[0].data_type() == &DataType::Float64 {
        let term = values[0].as_primitive::<Float64Type>();
        let mut out = Float64Builder::with_capacity(rows);
        let mut sum = 0.0;
        for i in 0..rows {
            if restart.value(i) {
                sum = 0.0;
            }
            if term.is_valid(i) {
                sum += term.value(i);
            }
            out.append_value(sum);
        }
        return Ok(Arc::new(out.finish()));
    }
    let term = values[0].as_primitive::<Int64Type>();
    let mut out = Int64Builder::with_capacity(rows);
    let mut sum = 0i64;
    for i in 0..rows {
        if restart.value(i) {
            sum = 0;
        }
        if term.is_valid(i) {
            sum = sum.wrapping_add(term.value(i));
        }
        out.append_value(sum);
    }
    Ok(Arc::new(out.finish()))
}

fn row_window_session_body(values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let t = values[0].as_primitive::<TimestampNanosecondType>();
    let max_first = values[1].as_primitive::<DurationNanosecondType>();
    let max_gap = values[2].as_primitive::<DurationNanosecondType>();
    let restart = restarts(values, 3)?;
    let mut out: Vec<Option<i64>> = Vec::with_capacity(rows);
    let mut session: Option<(i64, i64)> = None; // (first, previous)
    for i in 0..rows {
        if t.is_null(i) {
            out.push(None);
            continue;
        }
        let v = t.value(i);
        let start = match session {
            Some((first, prev))
                if !restart.value(i)
                    && (v - first).abs() <= max_first.value(i)
                    && (v - prev).abs() <= max_gap.value(i) =>
            {
                first
            }
            _ => v,
        };
        session = Some((start, v));
        out.push(Some(start));
    }
    Ok(Arc::new(
        TimestampNanosecondArray::from(out).with_timezone("UTC"),
    ))
}
