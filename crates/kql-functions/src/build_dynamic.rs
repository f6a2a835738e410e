//! UDFs that build dynamic values: `pack_array`, `bag_pack`, the JSON form of aggregated
//! lists (`make_list`, `make_set`), `array_length`, `split`.

use crate::udf::{KqlUdf, strings};
use crate::values::{json_value, type_tags};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use kql_types::KType;
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

/// `kql_pack_array(v1, ..., vn, 'type1,...,typen')`
pub static PACK_ARRAY: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_pack_array", DataType::Utf8, pack_array_body));
/// `kql_bag_pack(k1, v1, ..., kn, vn, 'type1,...,typen')`
pub static BAG_PACK: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_bag_pack", DataType::Utf8, bag_pack_body));
/// `kql_list_json(list, 'elementtype', max, distinct)`: an aggregated list as a JSON array.
pub static LIST_JSON: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_list_json", DataType::Utf8, list_json_body));
pub static ARRAY_LENGTH: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_array_length", DataType::Int64, array_length_body));
/// `kql_merge_bags(list)`: the property bags of an aggregated list merged into one (the
/// first value of a key wins; values that are not bags are skipped).
pub static MERGE_BAGS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_merge_bags", DataType::Utf8, merge_bags_body));
/// `kql_split(text, delimiter)` → JSON array of strings.
pub static SPLIT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_split", DataType::Utf8, split_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        PACK_ARRAY.clone(),
        BAG_PACK.clone(),
        LIST_JSON.clone(),
        ARRAY_LENGTH.clone(),
        SPLIT.clone(),
    ]
}

fn tags_arg(args: &[ArrayRef]) -> Result<Vec<KType>> {
    let Some(last) = args.len().checked_sub(1) else {
        return exec_err!("missing type tags");
    };
    Ok(type_tags(strings(args, last)?.get(0).unwrap_or("")))
}

fn pack_array_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let tags = tags_arg(args)?;
    let values = &args[..args.len() - 1];
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let items: Vec<Value> = values
            .iter()
            .zip(&tags)
            .map(|(a, t)| json_value(a, r, *t))
            .collect();
        out.append_value(Value::Array(items).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn bag_pack_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let tags = tags_arg(args)?;
    let pairs = &args[..args.len() - 1];
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let mut m = Map::new();
        for (k, chunk) in pairs.chunks(2).enumerate() {
            let [key, value] = chunk else { continue };
            let key = strings(std::slice::from_ref(key), 0)?
                .get(r)
                .unwrap_or("")
                .to_string();
            m.insert(
                key,
                json_value(value, r, tags.get(k).copied().unwrap_or(KType::String)),
            );
        }
        out.append_value(Value::Object(m).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn list_json_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let list = args[0].as_list_opt::<i32>();
    let tag = type_tags(strings(args, 1)?.get(0).unwrap_or("string"))[0];
    let max = crate::udf::longs(args, 2)?;
    let max = max.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let distinct = args[3].as_boolean();
    let keep_nulls = args
        .get(4)
        .is_some_and(|k| !k.is_empty() && k.as_boolean().value(0));
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        let mut items: Vec<Value> = Vec::new();
        if let Some(list) = list.filter(|l| l.is_valid(r)) {
            let values = list.value(r);
            for i in 0..values.len() {
                // Kusto's make_list and make_set skip nulls (make_list_with_nulls keeps them).
                let v = json_value(&values, i, tag);
                // make_set adds the elements of an array value, not the array.
                let candidates = match v {
                    Value::Array(elems) if distinct.value(r) => elems,
                    other => vec![other],
                };
                for v in candidates {
                    if (v.is_null() && !keep_nulls) || (distinct.value(r) && items.contains(&v)) {
                        continue;
                    }
                    items.push(v);
                }
            }
        }
        let limit = usize::try_from(max.value(r)).unwrap_or(usize::MAX);
        items.truncate(limit);
        out.append_value(Value::Array(items).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn merge_bags_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let list = args[0].as_list_opt::<i32>();
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        let mut bag = Map::new();
        if let Some(list) = list.filter(|l| l.is_valid(r)) {
            let values = list.value(r);
            let texts = strings(std::slice::from_ref(&values), 0)?;
            for i in 0..values.len() {
                if let Some(Value::Object(m)) = texts.get(i).map(crate::dynamic::parse_stored) {
                    for (k, v) in m {
                        bag.entry(k).or_insert(v);
                    }
                }
            }
        }
        out.append_value(Value::Object(bag).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn array_length_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let len = input
            .get(r)
            .map(crate::dynamic::parse_stored)
            .and_then(|v| v.as_array().map(|a| a.len() as i64));
        out.append_option(len);
    }
    Ok(Arc::new(out.finish()))
}

fn split_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let text = strings(args, 0)?;
    let delim = strings(args, 1)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let t = text.get(r).unwrap_or("");
        let d = delim.get(r).unwrap_or("");
        let parts: Vec<Value> = if d.is_empty() {
            vec![Value::String(t.to_string())]
        } else {
            t.split(d).map(|p| Value::String(p.to_string())).collect()
        };
        out.append_value(Value::Array(parts).to_string());
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};

    #[test]
    fn pack_array_keeps_types() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let b: ArrayRef = Arc::new(StringArray::from(vec!["x"]));
        let d: ArrayRef = Arc::new(StringArray::from(vec![r#"{"k":1}"#]));
        let tags: ArrayRef = Arc::new(StringArray::from(vec!["long,string,dynamic"]));
        let out = pack_array_body(&[a, b, d, tags], 1).unwrap();
        assert_eq!(out.as_string::<i32>().value(0), r#"[1,"x",{"k":1}]"#);
    }

    #[test]
    fn split_and_length() {
        let t: ArrayRef = Arc::new(StringArray::from(vec!["a,b,,c"]));
        let d: ArrayRef = Arc::new(StringArray::from(vec![","]));
        let out = split_body(&[t, d], 1).unwrap();
        assert_eq!(out.as_string::<i32>().value(0), r#"["a","b","","c"]"#);
        let n = array_length_body(&[out], 1).unwrap();
        assert_eq!(
            n.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(0),
            4
        );
    }
}
