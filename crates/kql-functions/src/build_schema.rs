//! `buildschema(value)`: the union of the types found in dynamic values, with
//! `{"key": type}` for bags and `{"`indexer`": type}` for arrays' elements; a place that
//! held several types lists them all.

use serde_json::{Map, Value};

/// The operations of this module.
pub const OPS: &[&str] = &["buildschema"];

#[derive(Default)]
struct Types {
    scalars: Vec<&'static str>,
    bag: Option<Vec<(String, Types)>>,
    elements: Option<Box<Types>>,
}

impl Types {
    fn add(&mut self, v: &Value) {
        let scalar = match v {
            Value::Null => return,
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_i64() || n.is_u64() => "long",
            Value::Number(_) => "double",
            Value::String(_) => "string",
            Value::Array(items) => {
                let e = self.elements.get_or_insert_with(Default::default);
                items.iter().for_each(|x| e.add(x));
                return;
            }
            Value::Object(o) => {
                let bag = self.bag.get_or_insert_with(Vec::new);
                for (k, x) in o {
                    match bag.iter_mut().find(|(name, _)| name == k) {
                        Some((_, t)) => t.add(x),
                        None => {
                            let mut t = Types::default();
                            t.add(x);
                            bag.push((k.clone(), t));
                        }
                    }
                }
                return;
            }
        };
        if !self.scalars.contains(&scalar) {
            self.scalars.push(scalar);
        }
    }

    fn to_json(&self) -> Value {
        let mut all: Vec<Value> = self.scalars.iter().map(|s| Value::from(*s)).collect();
        if let Some(bag) = &self.bag {
            let m: Map<String, Value> = bag.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
            all.push(Value::Object(m));
        }
        if let Some(e) = &self.elements {
            let mut m = Map::new();
            m.insert("`indexer`".into(), e.to_json());
            all.push(Value::Object(m));
        }
        match all.len() {
            0 => Value::Null,
            1 => all.remove(0),
            _ => Value::Array(all),
        }
    }
}

/// `buildschema` over a group's values (gathered as one array); None for other names.
pub fn apply(name: &str, v: &[Value]) -> Option<Value> {
    if name != "buildschema" {
        return None;
    }
    let mut t = Types::default();
    v.first()?.as_array()?.iter().for_each(|x| t.add(x));
    Some(t.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_merge_types_per_key() {
        let values = json!([{"x": 1, "y": 3.5}, {"x": "a", "z": [1, 2]}, {"y": {"w": "q"}, "t": ["aa"], "z": ["b"]}]);
        let s = apply("buildschema", &[values]).unwrap();
        assert_eq!(s["x"], json!(["long", "string"]));
        assert_eq!(s["y"], json!(["double", {"w": "string"}]));
        assert_eq!(s["z"], json!({"`indexer`": ["long", "string"]}));
        assert_eq!(s["t"], json!({"`indexer`": "string"}));
    }
}
