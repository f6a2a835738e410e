//! `assert(condition, message)`: true, or the query fails with the message.

use crate::coerce::to_text;
use crate::table::{FunctionSpec, scalar_fn as s};
use crate::typed::Typed;
use crate::udf::{strings, udf};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use kql_types::KType;
use std::sync::Arc;

udf!(ASSERT, "kql_assert", DataType::Boolean, body);

pub static ASSERTS: &[FunctionSpec] = &[s!(
    "assert",
    [],
    2,
    2,
    bind,
    "True when the condition holds; otherwise the query fails with the message."
)];

fn bind(_: &crate::table::CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [cond, message] =
        <[Typed; 2]>::try_from(args).map_err(|_| "takes a condition and a message")?;
    if cond.ty != KType::Bool {
        return Err(format!(
            "assert() expects a bool condition, got {}",
            cond.ty
        ));
    }
    Ok(Typed::new(
        ASSERT.call(vec![cond.expr, to_text(&message)]),
        KType::Bool,
    ))
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cond = args[0].as_boolean();
    let messages = strings(args, 1)?;
    for r in 0..rows {
        if !cond.is_valid(r) || !cond.value(r) {
            return exec_err!("assertion failed: {}", messages.get(r).unwrap_or(""));
        }
    }
    Ok(Arc::new(BooleanArray::from(vec![true; rows])))
}
