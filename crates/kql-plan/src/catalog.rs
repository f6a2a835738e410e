//! What the binder needs to know of the tables a query can read.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::logical_expr::LogicalPlan;
use kql_types::KType;
use std::sync::Arc;

/// The tables a query can name. Column Kusto types come from field metadata
/// ([`kql_types::KType::of_field`]).
pub trait Catalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>>;
    fn table_names(&self) -> Vec<String>;
    /// Runs a plan to completion. Operators whose output columns depend on the data
    /// (`bag_unpack`, `pivot`) evaluate their input while binding.
    fn evaluate(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>, String>;
    /// A file a query names (`externaldata`), as a table whose first columns are the
    /// declared ones; or, as a sentence, why it may not be read. None may be, by default.
    fn external_file(&self, file: &ExternalFile<'_>) -> Result<Arc<dyn TableProvider>, String> {
        Err(format!(
            "externaldata cannot read '{}': no folder is allowed here",
            file.uri
        ))
    }
}

/// What `externaldata` asks of the catalog.
pub struct ExternalFile<'a> {
    /// The URI as written: a path, or `file://`, `https://`, ...
    pub uri: &'a str,
    pub columns: &'a [(String, KType)],
    /// The `format` property (lower case), if given.
    pub format: Option<&'a str>,
    /// `ignoreFirstRecord=true`: the first record of a CSV file is a header.
    pub ignore_first_record: bool,
}
