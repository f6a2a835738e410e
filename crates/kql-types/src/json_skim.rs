//! The members of an object in JSON text already known to be valid (a file the loader
//! has checked): values are skipped by their structure alone, strings by jumping from
//! quote to backslash, without checking escapes, numbers or literals again. Text that
//! does not hold together still ends in `Err`, never in a panic.

use crate::json_scan::Closed;
use std::ops::Range;

/// Calls `member(raw_key, value)` for each member of the object `text`, as
/// `json_scan::members` does, and stops after a member for which it returns true (the rest
/// of the text is not looked at); false when the text read does not hold together.
pub fn skim_members<'a>(text: &'a str, member: impl FnMut(&'a str, &'a str) -> bool) -> bool {
    skim_sliced(text.as_bytes(), |range| text.get(range), member)
}

/// `skim_members` over bytes that may not all be UTF-8 checked yet: only the keys and
/// values handed out are checked (false when one is not UTF-8), so that a member found
/// early spares the check of the rest. (`simdutf8` checks long values with SIMD, short
/// ones as the standard library does.)
pub fn skim_member_bytes<'a>(
    bytes: &'a [u8],
    member: impl FnMut(&'a str, &'a str) -> bool,
) -> bool {
    let text = |range| {
        bytes
            .get(range)
            .and_then(|b| simdutf8::basic::from_utf8(b).ok())
    };
    skim_sliced(bytes, text, member)
}

/// The walk's members as text cut by `slice`; false when the walk fails or a cut does not.
fn skim_sliced<'a>(
    s: &'a [u8],
    slice: impl Fn(Range<usize>) -> Option<&'a str>,
    mut member: impl FnMut(&'a str, &'a str) -> bool,
) -> bool {
    let mut sliced = true;
    let walked = walk(s, |key, value| match (slice(key), slice(value)) {
        (Some(k), Some(v)) => member(k, v),
        _ => {
            sliced = false;
            true
        }
    });
    walked.is_ok() && sliced
}

/// A property name, and how to count where JSON text mentions it.
pub struct KeyFinder {
    key: String,
    /// The key between quotes, when that is the only way to write it in text without a
    /// backslash (it has no character that may be escaped).
    quoted: Option<memchr::memmem::Finder<'static>>,
}

impl KeyFinder {
    pub fn new(key: &str) -> KeyFinder {
        let plain = !key
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\' | b'/' | 0..=0x1f));
        KeyFinder {
            key: key.to_string(),
            quoted: plain.then(|| memchr::memmem::Finder::new(&format!("\"{key}\"")).into_owned()),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// How many members with this name the JSON text `text` can hold, at most 2, told
    /// from its bytes: `None` when that cannot be told (a key that may be escaped, or a
    /// text with a backslash). Mentions inside strings and nested values count too: only
    /// 0 says that no member has the name, and 1 that a member found is the only one.
    pub fn mentions(&self, text: &str) -> Option<usize> {
        let quoted = self.quoted.as_ref()?;
        let bytes = text.as_bytes();
        if memchr::memchr(b'\\', bytes).is_some() {
            return None;
        }
        Some(quoted.find_iter(bytes).take(2).count())
    }
}

/// Calls `element(value)` for each element of the array `text`; false when the text does
/// not hold together.
pub fn skim_elements<'a>(text: &'a str, mut element: impl FnMut(&'a str)) -> bool {
    let s = text.as_bytes();
    let mut i = ws(s, 0);
    if s.get(i) != Some(&b'[') {
        return false;
    }
    i = ws(s, i + 1);
    if s.get(i) == Some(&b']') {
        return ws(s, i + 1) == s.len();
    }
    loop {
        let start = ws(s, i);
        let Ok(end) = value_end(s, start) else {
            return false;
        };
        let Some(value) = text.get(start..end) else {
            return false;
        };
        element(value);
        i = ws(s, end);
        match s.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return ws(s, i + 1) == s.len(),
            _ => return false,
        }
    }
}

/// The object's members as the byte ranges of each raw key and value, until `member`
/// returns true.
fn walk(s: &[u8], mut member: impl FnMut(Range<usize>, Range<usize>) -> bool) -> Result<(), ()> {
    let mut i = ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return Err(());
    }
    i = ws(s, i + 1);
    if s.get(i) == Some(&b'}') {
        return Ok(());
    }
    loop {
        i = ws(s, i);
        if s.get(i) != Some(&b'"') {
            return Err(());
        }
        let key_end = string_end(s, i)?;
        let key = i + 1..key_end - 1;
        i = ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return Err(());
        }
        let start = ws(s, i + 1);
        let end = value_end(s, start)?;
        if member(key, start..end) {
            return Ok(());
        }
        i = ws(s, end);
        match s.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Ok(()),
            _ => return Err(()),
        }
    }
}

fn ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the closing quote of the string that opens at `i`.
fn string_end(s: &[u8], i: usize) -> Result<usize, ()> {
    match crate::json_scan::string_close(s, i + 1, |_| true) {
        Closed::At(end) => Ok(end),
        Closed::Rejected | Closed::Unclosed => Err(()),
    }
}

/// The index after the value that starts at `i`.
fn value_end(s: &[u8], i: usize) -> Result<usize, ()> {
    match s.get(i).ok_or(())? {
        b'"' => string_end(s, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match s.get(j).ok_or(())? {
                    b'"' => {
                        j = string_end(s, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while s
                .get(j)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            if j == i { Err(()) } else { Ok(j) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_scan::members;

    #[test]
    fn skimming_finds_what_the_checking_walk_finds() {
        for text in [
            r#"{"a":1,"b\"c":{"x":[1,"]}",{"y":"\\"}]},"d":"e\\f\"","n":null,"t":true}"#,
            r#" { "a" : -1.5e3 , "b" : [ ] , "c" : { } } "#,
            "{}",
            r#"{"RawEventData":"{\"UserId\":\"u@x.com\",\"Items\":[{\"Id\":1}]}"}"#,
        ] {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            members(text, |k, v| want.push((k, v))).unwrap();
            assert!(skim_members(text, |k, v| {
                got.push((k, v));
                false
            }));
            assert_eq!(got, want, "{text}");
        }
        for broken in [
            "",
            "{",
            r#"{"a""#,
            r#"{"a":"#,
            r#"{"a":"x"#,
            r#"{"a":[1,"#,
            "[1]",
            r#"{"a":1 x"#,
        ] {
            assert!(!skim_members(broken, |_, _| false), "{broken}");
        }
    }

    #[test]
    fn skimming_stops_where_asked() {
        let mut got = Vec::new();
        let text = r#"{"a":1,"b":"x","c":[2],"d":"#;
        assert!(skim_members(text, |k, v| {
            got.push((k, v));
            k == "b"
        }));
        assert_eq!(got, [("a", "1"), ("b", r#""x""#)]);
        // Bytes are checked as UTF-8 only as far as they are read.
        let bytes = b"{\"a\":\"\xc3\xa9\",\"b\":\"\xff\"}";
        let mut first = None;
        assert!(skim_member_bytes(bytes, |k, v| {
            first = Some((k, v));
            true
        }));
        assert_eq!(first, Some(("a", "\"\u{e9}\"")));
        assert!(!skim_member_bytes(bytes, |_, _| false));
        assert!(!skim_members(text, |_, _| false));
    }

    #[test]
    fn keys_told_from_bytes() {
        let text = r#"{"a":1,"b":{"a":2},"c":"x"}"#;
        let count = |key: &str, text: &str| KeyFinder::new(key).mentions(text);
        assert_eq!(count("a", text), Some(2));
        assert_eq!(count("b", text), Some(1));
        assert_eq!(count("z", text), Some(0));
        assert_eq!(count("a/b", text), None);
        assert_eq!(count("a", r#"{"\u0061":1}"#), None);
        assert_eq!(count("a", r#"{"b":"\"a\""}"#), None);
        assert_eq!(KeyFinder::new("k").key(), "k");
    }

    #[test]
    fn elements_of_arrays() {
        let mut got = Vec::new();
        assert!(skim_elements(r#"[1,"a,]",{"b":[2]},null,[]]"#, |v| got.push(v)));
        assert_eq!(got, ["1", r#""a,]""#, r#"{"b":[2]}"#, "null", "[]"]);
        assert!(skim_elements(" [ ] ", |_| panic!("no element")));
        for broken in ["", "[", "[1", "[1,", "{}", "[1]x", r#"["a]"#] {
            assert!(!skim_elements(broken, |_| {}), "{broken}");
        }
    }
}
