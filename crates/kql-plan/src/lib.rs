//! Binds KQL to a catalog of tables and lowers it to DataFusion logical plans.
//!
//! The binder walks the syntax tree statement by statement. Scalar expressions become
//! [`kql_functions::Typed`] values (a DataFusion expression with its Kusto type) through
//! the function table; tabular operators become [`Tab`]s: a `LogicalPlan` with the Kusto
//! type of each column.

mod binder;
mod catalog;
mod literal;
mod names;
mod ops;
mod pattern;
mod probe;
mod row_fields;
mod scalar;
mod scope;
mod tab;

pub use binder::{Binder, Outcome};
pub use catalog::{Catalog, ExternalFile};
pub use row_fields::PruneRowFields;
pub use tab::Tab;

use kql_syntax::{Diagnostic, Span, diagnostic::codes};

/// Turns a DataFusion planning error into a diagnostic on `span`.
pub(crate) fn df_err(span: Span) -> impl Fn(datafusion::error::DataFusionError) -> Diagnostic {
    move |e| Diagnostic::error(codes::RUNTIME, format!("planning failed: {e}"), span)
}
