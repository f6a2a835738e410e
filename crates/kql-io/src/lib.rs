//! Loading tables from files (JSON in its several export shapes), table schemas (files and
//! the built-in Defender XDR schemas), and writing results.

mod builtin;
mod columns;
mod csv;
mod decode;
mod error;
mod infer;
mod json;
mod line_blocks;
mod ndjson_line;
mod ndjson_scan;
mod ndjson_table;
mod parquet;
mod range_batches;
mod scan_filter;
pub mod schema;
mod survey;
pub mod write;

pub use builtin::{builtin_schema, builtin_table_names};
pub use csv::{load_csv, load_csv_positional};
pub use error::LoadError;
pub use json::{LoadedTable, OnError, Skipped, json_from_bytes, load_json};
pub use ndjson_scan::{ScanDecode, ScanRange, ScanSpec};
pub use ndjson_table::{NdjsonTable, SurveyedFile, is_ndjson};
pub use parquet::{load_parquet, parquet_table};
pub use scan_filter::PushedFilter;
pub use schema::{TableSchema, load_schemas};
pub use survey::Survey;
