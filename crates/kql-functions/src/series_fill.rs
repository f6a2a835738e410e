//! `make-series` cells: the aggregated (bin, value) pairs of a group as a JSON array with a
//! value for every bin of the axis.

use crate::udf::{KqlUdf, strings};
use crate::values::{json_value, type_tags};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;
use std::sync::{Arc, LazyLock};

/// `kql_series_fill(bins, values, n, default_json, 'valuetype')`: `bins` and `values` are
/// the lists of one group; bins without a value (or with a null one) get the default.
pub static SERIES_FILL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_series_fill", DataType::Utf8, series_fill_body));

fn series_fill_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (Some(bins), Some(values)) = (args[0].as_list_opt::<i32>(), args[1].as_list_opt::<i32>())
    else {
        return exec_err!("kql_series_fill: bins and values must be lists");
    };
    let n = crate::udf::longs(args, 2)?;
    let n = n.as_primitive::<Int64Type>();
    let defaults = strings(args, 3)?;
    let tag = type_tags(strings(args, 4)?.get(0).unwrap_or("real"))[0];
    let mut out = StringBuilder::with_capacity(rows, rows * 64);
    for r in 0..rows {
        let len = usize::try_from(n.value(r)).unwrap_or(0);
        let default = defaults
            .get(r)
            .map_or(Value::Null, crate::dynamic::parse_stored);
        let mut cells = vec![default.clone(); len];
        if bins.is_valid(r) && values.is_valid(r) {
            let b = bins.value(r);
            let b = b.as_primitive::<Int64Type>();
            let v = values.value(r);
            for i in 0..b.len().min(v.len()) {
                let Ok(k) = usize::try_from(b.value(i)) else {
                    continue;
                };
                let value = json_value(&v, i, tag);
                if k < len && !value.is_null() {
                    cells[k] = value;
                }
            }
        }
        out.append_value(Value::Array(cells).to_string());
    }
    Ok(Arc::new(out.finish()))
}
