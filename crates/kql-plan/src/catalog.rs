//! What the binder needs to know of the tables a query can read.

use datafusion::catalog::TableProvider;
use std::sync::Arc;

/// The tables a query can name. Column Kusto types come from field metadata
/// ([`kql_types::KType::of_field`]).
pub trait Catalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>>;
    fn table_names(&self) -> Vec<String>;
}
