//! Loading tables from files (JSON in its several export shapes), table schemas (files and
//! the built-in Defender XDR schemas), and writing results.

mod builtin;
mod columns;
mod error;
mod infer;
mod json;
pub mod schema;
pub mod write;

pub use builtin::{builtin_schema, builtin_table_names};
pub use error::LoadError;
pub use json::{LoadedTable, load_json};
pub use schema::{TableSchema, load_schemas};
