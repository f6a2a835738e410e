//! The KQL function table and the UDFs that give Kusto's semantics on DataFusion.
//!
//! Every scalar function and aggregate is declared once in [`table`]: its name and
//! aliases, arity, result-column naming, and a `bind` rule that checks argument types and
//! produces the typed DataFusion expression. The binder looks functions up here and
//! never matches on function names itself.

mod aggregates;
pub mod arg_extreme;
mod array_shape;
pub mod arrays;
mod assert;
pub mod barrier;
pub mod build_dynamic;
mod build_schema;
pub mod calendar;
mod coalesce;
pub mod coerce;
pub mod convert;
pub mod dynamic;
mod geo;
mod ip_compare;
mod ip_search;
mod json_text;
pub mod net;
pub mod operators;
pub mod parse_kv;
mod paths;
mod scalars;
pub mod scalars_convert;
mod scalars_dynamic;
mod scalars_math;
mod scalars_net;
mod scalars_strings;
mod scalars_text;
mod scalars_time;
pub mod series;
pub mod series_fill;
mod series_math;
mod sha1_hash;
mod sketches;
mod special;
mod stored_json;
pub mod table;
pub mod text;
mod text_codecs;
pub mod text_extra;
mod text_match;
mod text_search;
mod time_format;
mod time_zones;
mod typed;
pub mod udf;
mod units;
pub mod values;
mod window;
pub mod xml;
mod xxhash;

pub use table::{Aggregate, CallCtx, FunctionKind, FunctionSpec, lookup};
pub use typed::Typed;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use std::sync::Arc;

/// Every UDF this crate defines, for registration in a session (or a cluster's executors).
pub fn all_udfs() -> Vec<Arc<ScalarUDF>> {
    let mut v = Vec::new();
    v.extend(dynamic::udfs());
    v.push(coalesce::COALESCE_TEXT.clone());
    v.extend(text::udfs());
    v.extend(convert::udfs());
    v.extend(build_dynamic::udfs());
    v.extend(net::udfs());
    v.extend(calendar::udfs());
    v.extend(time_zones::udfs());
    v.push(assert::ASSERT.clone());
    v.push(sha1_hash::SHA1.clone());
    v.extend(text_extra::udfs());
    v.extend(text_extra::more_udfs());
    v.extend(text_extra::string_udfs());
    v.extend(text_codecs::udfs());
    v.extend(text_search::udfs());
    v.extend(arrays::udfs());
    v.push(xml::PARSE_XML.clone());
    v.push(series_fill::SERIES_FILL.clone());
    v.extend(series::udfs());
    v.extend(series_math::udfs());
    v.extend(xxhash::udfs());
    v.extend(special::udfs());
    v.extend(units::udfs());
    v.extend(time_format::udfs());
    v.extend(ip_compare::udfs());
    v.push(parse_kv::PARSE_KV.clone());
    v.extend(paths::udfs());
    v.extend(barrier::udfs());
    v.extend(ip_search::udfs());
    v
}

/// Every aggregate function this crate defines (the others are DataFusion's).
pub fn all_udafs() -> Vec<Arc<AggregateUDF>> {
    arg_extreme::udafs()
}

/// Every window function this crate defines.
pub fn all_udwfs() -> Vec<Arc<WindowUDF>> {
    window::udwfs()
}
