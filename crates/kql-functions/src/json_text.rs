//! Text to and from dynamic values, in the `kql_json_op` family:
//! `unicode_codepoints_from_string`, `parse_csv`, `has_any_index`,
//! `base64_encode_fromarray`, `base64_decode_toguid`, `base64_encode_fromguid`,
//! `dynamic_to_json` (keys sorted).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The operations of this module.
pub const OPS: &[&str] = &[
    "unicode_codepoints_from_string",
    "parse_csv",
    "has_any_index",
    "base64_encode_fromarray",
    "base64_decode_toguid",
    "base64_encode_fromguid",
    "dynamic_to_json",
    "gettype",
];

/// One operation on one row's values; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    if op == "gettype" {
        // The runtime type of a dynamic value, named as Kusto's gettype() names it.
        return Some(Value::from(match v.first().unwrap_or(&Value::Null) {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => "int",
                Some(_) => "long",
                None => "real",
            },
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "dictionary",
        }));
    }
    let first = v.first()?;
    Some(match op {
        "unicode_codepoints_from_string" => Value::Array(
            first
                .as_str()?
                .chars()
                .map(|c| Value::from(c as u32))
                .collect(),
        ),
        "parse_csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(first.as_str()?.as_bytes());
            let record = reader.records().next()?.ok()?;
            Value::Array(
                record
                    .iter()
                    .map(|f| Value::String(f.to_string()))
                    .collect(),
            )
        }
        "has_any_index" => {
            let text = first.as_str()?;
            let lookups = v.get(1)?.as_array()?;
            let found = lookups.iter().position(|l| {
                let term = match l {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                !term.is_empty() && crate::text::has_term(text, &term)
            });
            Value::from(found.map_or(-1, |i| i as i64))
        }
        "base64_encode_fromarray" => {
            let bytes: Option<Vec<u8>> = first
                .as_array()?
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            Value::String(STANDARD.encode(bytes?))
        }
        "base64_decode_toguid" => {
            let bytes = STANDARD.decode(first.as_str()?).ok()?;
            let bytes: [u8; 16] = bytes.try_into().ok()?;
            Value::String(guid_text(&bytes))
        }
        "base64_encode_fromguid" => Value::String(STANDARD.encode(guid_bytes(first.as_str()?)?)),
        "dynamic_to_json" => Value::String(sorted(first).to_string()),
        _ => return None,
    })
}

/// The value with every bag's keys in order (the canonical form `dynamic_to_json` prints).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// .NET's byte order of a GUID: the first three groups little-endian, the rest as written.
const GUID_ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

fn guid_text(bytes: &[u8; 16]) -> String {
    let b: Vec<u8> = GUID_ORDER.iter().map(|i| bytes[*i]).collect();
    let hex =
        |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        hex(0..4),
        hex(4..6),
        hex(6..8),
        hex(8..10),
        hex(10..16)
    )
}

fn guid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut written = [0u8; 16];
    for (i, byte) in written.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    let mut out = [0u8; 16];
    for (i, at) in GUID_ORDER.iter().enumerate() {
        out[*at] = written[i];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codepoints_csv_and_guids() {
        let cps = apply("unicode_codepoints_from_string", &[json!("Ku")]).unwrap();
        assert_eq!(cps, json!([75, 117]));
        let csv = apply("parse_csv", &[json!("aa,\"b,b\",\"say \"\"hi\"\"\"\nx,y")]).unwrap();
        assert_eq!(csv, json!(["aa", "b,b", "say \"hi\""]));
        let g = apply("base64_decode_toguid", &[json!("JpbpECu8dUy7Pv5gbeJXAA==")]).unwrap();
        assert_eq!(g, json!("10e99626-bc2b-4c75-bb3e-fe606de25700"));
        let b = apply(
            "base64_encode_fromguid",
            &[json!("ae3133f2-6e22-49ae-b06a-16e6a9b212eb")],
        );
        assert_eq!(b, Some(json!("8jMxriJurkmwahbmqbIS6w==")));
        let i = apply(
            "has_any_index",
            &[json!("this is an example"), json!(["not", "example"])],
        );
        assert_eq!(i, Some(json!(1)));
    }
}
