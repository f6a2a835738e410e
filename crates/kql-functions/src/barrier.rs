//! An optimisation barrier: `kql_barrier(x)` is `x`, declared volatile so that DataFusion
//! does not substitute its definition into later expressions. Without it, a chain such as
//! `extend arr = iff(c, array_concat(arr, ...), arr)` repeated twenty times makes filter
//! push-down inline every step into the next, doubling the expression each time.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, tree_node::TreeNode};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

#[derive(Debug, PartialEq, Eq, Hash)]
struct Barrier {
    signature: Signature,
}

impl ScalarUDFImpl for Barrier {
    fn name(&self) -> &str {
        "kql_barrier"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => exec_err!("kql_barrier takes one argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(v) => Ok(v),
            None => exec_err!("kql_barrier takes one argument"),
        }
    }
}

static BARRIER: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(Barrier {
        signature: Signature::any(1, Volatility::Volatile),
    }))
});

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![BARRIER.clone()]
}

/// `e` behind a barrier when it reads some column more than once (the case where inlining
/// it into an expression over its result multiplies the expression's size).
pub fn shield(e: Expr) -> Expr {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut repeated = false;
    let _ = e.apply(|x| {
        if let Expr::Column(c) = x {
            let n = seen.entry(c.name.clone()).or_default();
            *n += 1;
            repeated |= *n > 1;
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    if repeated { BARRIER.call(vec![e]) } else { e }
}
