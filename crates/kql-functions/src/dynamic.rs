//! `dynamic` values, stored as JSON text: parsing, property and index access, and the
//! element lists that `mv-expand` unnests.

use crate::stored_json::{array_elements, compact_text, is_stored_container, member_path};
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{
    Array, ArrayRef, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use kql_types::json_skim::KeyFinder;
use serde_json::Value;
use std::sync::{Arc, LazyLock};

pub static PARSE_JSON: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_json", DataType::Utf8, parse_json_body));
pub static DYN_GET: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_dyn_get", DataType::Utf8, dyn_get_body));
pub static MV_ITEMS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_mv_items", mv_items_type(), mv_items_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![PARSE_JSON.clone(), DYN_GET.clone(), MV_ITEMS.clone()]
}

/// Field names of the structs in `kql_mv_items` lists.
pub const MV_INDEX: &str = "index";
pub const MV_VALUE: &str = "value";

fn mv_struct_fields() -> Fields {
    Fields::from(vec![
        Field::new(MV_INDEX, DataType::Int64, true),
        Field::new(MV_VALUE, DataType::Utf8, true),
    ])
}

pub fn mv_items_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(mv_struct_fields()),
        true,
    )))
}

/// Parses JSON text as Kusto's `parse_json` does: valid JSON is the value itself; other
/// text is a dynamic string; an empty string is null.
pub fn parse_text(s: &str) -> Option<Value> {
    if s.trim().is_empty() {
        return None;
    }
    Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string())))
}

/// The JSON text of a value, compact. `None` for JSON null: a null dynamic is SQL null.
pub fn to_json_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Parses stored dynamic JSON text (always valid JSON, written by us).
pub fn parse_stored(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

fn parse_json_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for row in 0..rows {
        if let Some(text) = input.get(row)
            && is_stored_container(text)
        {
            out.append_value(text);
            continue;
        }
        match input
            .get(row)
            .and_then(parse_text)
            .and_then(|v| to_json_text(&v))
        {
            Some(text) => out.append_value(text),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_dyn_get(json, step, ...)`: each step is a string (property) or an integer (array
/// index, negative from the end). Missing steps give null.
fn dyn_get_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let steps: Vec<Step> = args[1..]
        .iter()
        .enumerate()
        .map(|(i, a)| match a.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                strings(args, i + 1).map(Step::Key)
            }
            _ => crate::udf::longs(args, i + 1).map(Step::Index),
        })
        .collect::<Result<_>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    // The finder of each step's last key (keys are mostly the same in every row).
    let mut finders: Vec<Option<KeyFinder>> = steps.iter().map(|_| None).collect();
    for row in 0..rows {
        // Property paths over compact text are read without parsing it.
        let mut whole_path = true;
        for (step, finder) in steps.iter().zip(finders.iter_mut()) {
            match step {
                Step::Key(k) => match k.get(row) {
                    Some(key) if finder.as_ref().is_some_and(|f| f.key() == key) => {}
                    Some(key) => *finder = Some(KeyFinder::new(key)),
                    None => whole_path = false,
                },
                Step::Index(_) => whole_path = false,
            }
        }
        if whole_path
            && let Some(text) = input.get(row)
            && let Some(found) = member_path(text, finders.iter().flatten())
        {
            out.append_option(found.and_then(compact_text));
            continue;
        }
        let value = input.get(row).map(parse_stored);
        let mut cur = value.as_ref();
        for step in &steps {
            cur = cur.and_then(|v| step.apply(v, row));
        }
        match cur.and_then(to_json_text) {
            Some(text) => out.append_value(text),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

enum Step<'a> {
    Key(crate::udf::StrArg<'a>),
    Index(ArrayRef),
}

impl Step<'_> {
    fn apply<'v>(&self, v: &'v Value, row: usize) -> Option<&'v Value> {
        match self {
            Step::Key(keys) => v.as_object()?.get(keys.get(row)?),
            Step::Index(idx) => {
                let idx = idx
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::Int64Array>()?;
                if idx.is_null(row) {
                    return None;
                }
                let arr = v.as_array()?;
                let i = idx.value(row);
                let i = if i < 0 { arr.len() as i64 + i } else { i };
                arr.get(usize::try_from(i).ok()?)
            }
        }
    }
}

/// `kql_mv_items(json, bag_mode)`: the elements `mv-expand` produces for each row, with
/// their index. Null gives one null element; an empty array or bag gives none; a scalar
/// gives itself; a bag gives `{key: value}` bags (`bag_mode` "bag") or `[key, value]`
/// arrays ("array").
fn mv_items_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let modes = strings(args, 1)?;
    let struct_builder = StructBuilder::new(
        mv_struct_fields(),
        vec![
            Box::new(Int64Builder::new()),
            Box::new(StringBuilder::new()),
        ],
    );
    let mut list = ListBuilder::new(struct_builder).with_field(Arc::new(Field::new(
        "item",
        DataType::Struct(mv_struct_fields()),
        true,
    )));
    for row in 0..rows {
        let Some(text) = input.get(row) else {
            list.append_null();
            continue;
        };
        let values = list.values();
        if let Some(items) = array_elements(text) {
            for (i, item) in items.into_iter().enumerate() {
                push_item(values, i as i64, item);
            }
            list.append(true);
            continue;
        }
        let as_array = modes.get(row) == Some("array");
        let items: Vec<Value> = match parse_stored(text) {
            Value::Array(items) => items,
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    if as_array {
                        Value::Array(vec![Value::String(k), v])
                    } else {
                        Value::Object([(k, v)].into_iter().collect())
                    }
                })
                .collect(),
            scalar => vec![scalar],
        };
        let values = list.values();
        for (i, item) in items.iter().enumerate() {
            push_item(values, i as i64, to_json_text(item).as_deref());
        }
        list.append(true);
    }
    Ok(Arc::new(list.finish()))
}

fn push_item(b: &mut StructBuilder, index: i64, value: Option<&str>) {
    if let Some(ib) = b.field_builder::<Int64Builder>(0) {
        ib.append_value(index);
    }
    if let Some(vb) = b.field_builder::<StringBuilder>(1) {
        vb.append_option(value);
    }
    b.append(true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, Int64Array, StringArray};

    fn s(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    #[test]
    fn parse_json_keeps_bad_json_as_string() {
        let out = parse_json_body(
            &[s(&[Some(r#"{"a": 1}"#), Some("not json"), Some(""), None])],
            4,
        )
        .unwrap();
        let out = out.as_string::<i32>();
        assert_eq!(out.value(0), r#"{"a":1}"#);
        assert_eq!(out.value(1), r#""not json""#);
        assert!(out.is_null(2) && out.is_null(3));
    }

    #[test]
    fn property_and_index_paths() {
        let json = s(&[Some(r#"{"a": [10, {"b": "x"}]}"#), Some(r#""str""#)]);
        let key = s(&[Some("a"), Some("a")]);
        let idx: ArrayRef = Arc::new(Int64Array::from(vec![-1, 0]));
        let key2 = s(&[Some("b"), Some("b")]);
        let out = dyn_get_body(&[json, key, idx, key2], 2).unwrap();
        let out = out.as_string::<i32>();
        assert_eq!(out.value(0), r#""x""#);
        assert!(out.is_null(1));
    }

    #[test]
    fn mv_items_of_each_shape() {
        let json = s(&[
            Some("[1, 2]"),
            Some("[]"),
            None,
            Some(r#"{"k": 1}"#),
            Some("5"),
        ]);
        let modes = s(&[Some("bag"); 5]);
        let out = mv_items_body(&[json, modes], 5).unwrap();
        let list = out.as_list::<i32>();
        let lens: Vec<usize> = (0..5)
            .map(|i| {
                if list.is_null(i) {
                    usize::MAX
                } else {
                    list.value(i).len()
                }
            })
            .collect();
        assert_eq!(lens, vec![2, 0, usize::MAX, 1, 1]);
    }
}
