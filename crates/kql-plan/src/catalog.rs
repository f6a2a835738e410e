//! What the binder needs to know of the tables a query can read.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::logical_expr::LogicalPlan;
use std::sync::Arc;

/// The tables a query can name. Column Kusto types come from field metadata
/// ([`kql_types::KType::of_field`]).
pub trait Catalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>>;
    fn table_names(&self) -> Vec<String>;
    /// Runs a plan to completion. Operators whose output columns depend on the data
    /// (`bag_unpack`, `pivot`) evaluate their input while binding.
    fn evaluate(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>, String>;
}
