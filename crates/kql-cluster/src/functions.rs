//! The engine's functions, as the nodes of a cluster register them and as the codecs find
//! them by name.

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use std::sync::Arc;

fn missing(kind: &str, name: &str) -> DataFusionError {
    DataFusionError::Plan(format!("no {kind} function named {name} in this kql build"))
}

pub fn udf(name: &str) -> Result<Arc<ScalarUDF>> {
    kql_functions::all_udfs()
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| missing("scalar", name))
}

pub fn udaf(name: &str) -> Result<Arc<AggregateUDF>> {
    kql_functions::all_udafs()
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| missing("aggregate", name))
}

pub fn udwf(name: &str) -> Result<Arc<WindowUDF>> {
    kql_functions::all_udwfs()
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| missing("window", name))
}

/// Adds the engine's functions to a registry (a session state's).
pub fn register(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for f in kql_functions::all_udfs() {
        registry.register_udf(f)?;
    }
    for f in kql_functions::all_udafs() {
        registry.register_udaf(f)?;
    }
    for f in kql_functions::all_udwfs() {
        registry.register_udwf(f)?;
    }
    Ok(())
}
