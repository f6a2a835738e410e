//! `parse_xml`: XML to a dynamic value, as Kusto converts it: an element with only text is
//! its text; attributes are `@name` keys, text beside children or attributes is `#text`,
//! repeated child names become arrays. Invalid XML is null.

use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

pub static PARSE_XML: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_xml", DataType::Utf8, parse_xml_body));

fn parse_xml_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        out.append_option(input.get(r).and_then(parse_xml).map(|v| v.to_string()));
    }
    Ok(Arc::new(out.finish()))
}

/// Nesting deeper than this is treated as invalid (no unbounded recursion on input).
const MAX_DEPTH: usize = 256;

pub fn parse_xml(text: &str) -> Option<Value> {
    let mut p = Reader {
        s: text.as_bytes(),
        i: 0,
    };
    p.skip_prolog();
    let (name, value) = p.element(0)?;
    p.skip_misc();
    if p.i != p.s.len() {
        return None;
    }
    let mut root = Map::new();
    root.insert(name, value);
    Some(Value::Object(root))
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn starts(&self, t: &str) -> bool {
        self.s[self.i..].starts_with(t.as_bytes())
    }

    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn skip_until(&mut self, end: &str) -> Option<()> {
        let rest = std::str::from_utf8(&self.s[self.i..]).ok()?;
        let at = rest.find(end)?;
        self.i += at + end.len();
        Some(())
    }

    /// Declarations, processing instructions, comments and whitespace before the root.
    fn skip_prolog(&mut self) {
        self.skip_misc();
        while self.starts("<!DOCTYPE") {
            if self.skip_until(">").is_none() {
                return;
            }
            self.skip_misc();
        }
    }

    fn skip_misc(&mut self) {
        loop {
            self.skip_ws();
            if self.starts("<?") {
                if self.skip_until("?>").is_none() {
                    return;
                }
            } else if self.starts("<!--") {
                if self.skip_until("-->").is_none() {
                    return;
                }
            } else {
                return;
            }
        }
    }

    fn name(&mut self) -> Option<String> {
        let start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if c.is_ascii_whitespace() || matches!(c, b'>' | b'/' | b'=') {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// `<name attrs>content</name>` or `<name attrs/>`, as (name, value).
    fn element(&mut self, depth: usize) -> Option<(String, Value)> {
        if depth > MAX_DEPTH || !self.starts("<") {
            return None;
        }
        self.i += 1;
        let name = self.name()?;
        let mut obj = Map::new();
        loop {
            self.skip_ws();
            if self.starts("/>") {
                self.i += 2;
                return Some((
                    name,
                    if obj.is_empty() {
                        Value::Null
                    } else {
                        Value::Object(obj)
                    },
                ));
            }
            if self.starts(">") {
                self.i += 1;
                break;
            }
            let attr = self.name()?;
            self.skip_ws();
            if !self.starts("=") {
                return None;
            }
            self.i += 1;
            self.skip_ws();
            let quote = *self.s.get(self.i)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            self.i += 1;
            let start = self.i;
            while self.s.get(self.i) != Some(&quote) {
                self.i += 1;
                if self.i >= self.s.len() {
                    return None;
                }
            }
            let raw = std::str::from_utf8(&self.s[start..self.i]).ok()?;
            self.i += 1;
            obj.insert(format!("@{attr}"), Value::String(unescape(raw)));
        }
        let mut text = String::new();
        loop {
            if self.starts("</") {
                self.i += 2;
                let end = self.name()?;
                self.skip_ws();
                if end != name || !self.starts(">") {
                    return None;
                }
                self.i += 1;
                break;
            } else if self.starts("<!--") {
                self.skip_until("-->")?;
            } else if self.starts("<![CDATA[") {
                self.i += 9;
                let rest = std::str::from_utf8(&self.s[self.i..]).ok()?;
                let at = rest.find("]]>")?;
                text.push_str(&rest[..at]);
                self.i += at + 3;
            } else if self.starts("<?") {
                self.skip_until("?>")?;
            } else if self.starts("<") {
                let (child, value) = self.element(depth + 1)?;
                match obj.get_mut(&child) {
                    Some(Value::Array(items)) => items.push(value),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, value]);
                    }
                    None => {
                        obj.insert(child, value);
                    }
                }
            } else {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != b'<' {
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return None;
                }
                text.push_str(&unescape(std::str::from_utf8(&self.s[start..self.i]).ok()?));
            }
        }
        let text = text.trim().to_string();
        Some((
            name,
            match (obj.is_empty(), text.is_empty()) {
                (true, true) => Value::Null,
                (true, false) => Value::String(text),
                (false, true) => Value::Object(obj),
                (false, false) => {
                    obj.insert("#text".into(), Value::String(text));
                    Value::Object(obj)
                }
            },
        ))
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kusto_shapes() {
        assert_eq!(parse_xml("<e>text</e>"), Some(json!({"e": "text"})));
        assert_eq!(
            parse_xml(r#"<e name="v"/>"#),
            Some(json!({"e": {"@name": "v"}}))
        );
        assert_eq!(
            parse_xml(r#"<e name="v">t</e>"#),
            Some(json!({"e": {"@name": "v", "#text": "t"}}))
        );
        assert_eq!(
            parse_xml("<?xml version=\"1.0\"?><e><a>1</a><a>2</a><b>&lt;x&gt;</b></e>"),
            Some(json!({"e": {"a": ["1", "2"], "b": "<x>"}}))
        );
        assert_eq!(parse_xml("<e><a>1</a>"), None);
        assert_eq!(parse_xml("not xml"), None);
    }
}
