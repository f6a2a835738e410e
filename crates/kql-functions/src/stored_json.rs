//! Stored dynamic values (JSON text) read without building them. The engine stores a
//! dynamic value as valid JSON text, compact as `serde_json` writes it (loaders and
//! functions check or write it so); these readers rely on its validity and skim it by
//! structure, and check compactness where they hand text on. `None` says that only a full
//! parse can tell; the callers then parse. Text that breaks the rule never panics a reader.

use kql_types::json_scan::{checked_document, is_compact, unescape};
use kql_types::json_skim::{KeyFinder, skim_elements, skim_members};
use std::borrow::Cow;

/// The raw text of the value at `keys` (object properties, outermost first): `Some(None)`
/// when a property is missing or a step meets a value that is not an object.
pub fn member_path<'a, 'k>(
    text: &'a str,
    keys: impl IntoIterator<Item = &'k KeyFinder>,
) -> Option<Option<&'a str>> {
    let mut cur = text;
    for key in keys {
        match cur.as_bytes().first()? {
            b'{' => {}
            b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9' => return Some(None),
            _ => return None,
        }
        // A name the text does not mention is missing; one it mentions once is read where
        // it is found. Otherwise the last of repeated keys wins, as serde_json reads them.
        let mentions = key.mentions(cur);
        if mentions == Some(0) {
            return Some(None);
        }
        let mut found = None;
        let whole = skim_members(cur, |raw, value| {
            let same = if raw.contains('\\') {
                unescape(raw) == key.key()
            } else {
                raw == key.key()
            };
            if same {
                found = Some(value);
            }
            same && mentions == Some(1)
        });
        if !whole {
            return None;
        }
        match found {
            Some(v) => cur = v,
            None => return Some(None),
        }
    }
    Some(Some(cur))
}

/// `tostring` of a stored value: a string's text, "" for null, other values as they are
/// when compact.
pub fn tostring_text(json: &str) -> Option<Cow<'_, str>> {
    let bytes = json.as_bytes();
    match bytes.first()? {
        b'"' if bytes.len() >= 2 && bytes[bytes.len() - 1] == b'"' => {
            Some(unescape(&json[1..json.len() - 1]))
        }
        b'n' if json == "null" => Some(Cow::Borrowed("")),
        b'{' | b'[' | b't' | b'f' | b'-' | b'0'..=b'9' if is_compact(bytes) => {
            Some(Cow::Borrowed(json))
        }
        _ => None,
    }
}

/// The elements of a stored array, each as compact text (`None` for a JSON null);
/// `None` when `text` is not a compact array.
pub fn array_elements(text: &str) -> Option<Vec<Option<&str>>> {
    if !text.starts_with('[') || !is_compact(text.as_bytes()) {
        return None;
    }
    let mut items = Vec::new();
    skim_elements(text, |item| items.push((item != "null").then_some(item))).then_some(items)
}

/// Whether `text` is an object or array already written as the engine stores it (what
/// `parse_json` then returns unchanged).
pub fn is_stored_container(text: &str) -> bool {
    let bytes = text.as_bytes();
    matches!(bytes.first(), Some(b'{' | b'['))
        && checked_document(bytes).is_some_and(|(_, compact)| compact)
}

/// A valid JSON value's text as the engine stores it: compact.
pub fn compact_text(value: &str) -> Option<Cow<'_, str>> {
    if value == "null" {
        return None;
    }
    if is_compact(value.as_bytes()) {
        return Some(Cow::Borrowed(value));
    }
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    Some(Cow::Owned(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_texts() {
        let j = r#"{"a":{"b":[1,2],"c":"x\"y"},"a\u0031":5,"d":null,"a":{"b":7}}"#;
        let path = |text: &str, keys: &[&str]| -> Option<Option<String>> {
            let finders: Vec<KeyFinder> = keys.iter().map(|k| KeyFinder::new(k)).collect();
            member_path(text, &finders).map(|v| v.map(str::to_string))
        };
        let some = |v: &str| Some(Some(v.to_string()));
        assert_eq!(path(j, &["a", "b"]), some("7"));
        assert_eq!(path(j, &["a1"]), some("5"));
        assert_eq!(path(j, &["zz"]), Some(None));
        assert_eq!(path(j, &["d", "x"]), Some(None));
        assert_eq!(path("[1]", &["a"]), Some(None));
        assert_eq!(path(r#"{"x":1,oops,"a":2}"#, &["a"]), None);
        assert_eq!(path(" {}", &["a"]), None);
        // Told from the bytes: absent, or the only member of that name.
        assert_eq!(path(r#"{"b":{"a":1},"c":3}"#, &["z"]), Some(None));
        assert_eq!(path(r#"{"b":{"a":1},"a":2,"c":3}"#, &["a"]), some("2"));
        assert_eq!(path(r#"{"a":1,"b":[2,"#, &["a"]), some("1"));
        assert_eq!(tostring_text(r#""x\"y""#).as_deref(), Some("x\"y"));
        assert_eq!(tostring_text("null").as_deref(), Some(""));
        assert_eq!(tostring_text("[1,2]").as_deref(), Some("[1,2]"));
        assert_eq!(tostring_text("[1, 2]"), None);
        assert_eq!(tostring_text("not json"), None);
        assert_eq!(tostring_text(r#""\u0041\n""#).as_deref(), Some("A\n"));
        assert_eq!(
            array_elements(r#"[1,null,"a\"]",{"b":[2]}]"#),
            Some(vec![
                Some("1"),
                None,
                Some(r#""a\"]""#),
                Some(r#"{"b":[2]}"#)
            ])
        );
        assert_eq!(array_elements("[]"), Some(vec![]));
        assert_eq!(array_elements("[1, 2]"), None);
        assert_eq!(array_elements(r#"{"a":1}"#), None);
        assert_eq!(compact_text("null"), None);
        assert!(is_stored_container(r#"{"a":[1,"b c"]}"#));
        assert!(
            !is_stored_container(r#"{"a": 1}"#)
                && !is_stored_container("{x")
                && !is_stored_container("1")
        );
        assert_eq!(compact_text("[1, 2.50]").as_deref(), Some("[1,2.5]"));
    }
}
