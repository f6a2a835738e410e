//! A validating JSON tokenizer over text: it walks an object's members and hands out each
//! key and the raw text of its value, without building values (what the loader and the
//! dynamic functions read JSON with). It accepts exactly what `serde_json` accepts (the
//! same nesting limit, surrogate pairs checked by `serde_json` itself), so that text it
//! rejects is located and described by `serde_json`.

use crate::string_windows::{Windows, string_windows};
use std::borrow::Cow;
use wide::u8x16;

/// The text of a JSON string's contents (between the quotes, already validated).
pub fn unescape(inner: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let mut chars = rest[at + 1..].chars();
        match chars.next() {
            // A `\u` escape (and surrogate pairs) is serde_json's to read, for the whole text.
            Some('u') => {
                let quoted = format!("\"{inner}\"");
                return Cow::Owned(serde_json::from_str(&quoted).unwrap_or(quoted));
            }
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(c) => out.push(c),
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `serde_json`'s nesting limit.
const MAX_DEPTH: usize = 128;

/// The line is not one JSON object (the byte offset where that was seen).
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid(pub usize);

/// Calls `member(raw_key, value)` for each member of the object that is the whole `line`
/// (JSON whitespace around it allowed): `raw_key` is the key's text between its quotes,
/// still escaped; `value` the text of the value. (Every cut falls next to an ASCII byte.)
pub fn members<'a>(line: &'a str, mut member: impl FnMut(&'a str, &'a str)) -> Result<(), Invalid> {
    let mut t = Tokens::new(line.as_bytes());
    t.ws();
    t.expect(b'{')?;
    t.ws();
    if t.peek() == Some(b'}') {
        t.i += 1;
    } else {
        loop {
            t.ws();
            let key_start = t.i;
            t.string()?;
            let key = &line[key_start + 1..t.i - 1];
            t.ws();
            t.expect(b':')?;
            t.ws();
            let start = t.i;
            t.value(1)?;
            member(key, &line[start..t.i]);
            t.ws();
            match t.next()? {
                b',' => continue,
                b'}' => break,
                _ => return Err(Invalid(t.i - 1)),
            }
        }
    }
    t.ws();
    if t.i == line.len() {
        Ok(())
    } else {
        Err(Invalid(t.i))
    }
}

/// Whether `text` is one JSON value (whitespace around it allowed), and its first byte.
pub fn document(text: &[u8]) -> Option<u8> {
    checked_document(text).map(|(first, _)| first)
}

/// `document`, and in the same pass whether the text is compact (`is_compact`).
pub fn checked_document(text: &[u8]) -> Option<(u8, bool)> {
    let mut t = Tokens::new(text);
    t.ws();
    let first = t.peek()?;
    t.value(0).ok()?;
    t.ws();
    (t.i == text.len()).then_some((first, !t.loose))
}

/// Whether `value` (one valid JSON value, no whitespace around it) is already written the
/// way `serde_json` writes it back: no whitespace, no fractions or exponents, no `-0`, no
/// integer too long for 64 bits, and only the escapes `serde_json` writes itself.
pub fn is_compact(value: &[u8]) -> bool {
    let mut in_string = false;
    let mut digits = 0;
    let mut i = 0;
    while i < value.len() {
        if in_string {
            // Only quotes and escapes matter inside a string.
            match string_close(value, i, |b| matches!(b, b'"' | b'\\' | b'n' | b'r' | b't')) {
                Closed::At(end) => {
                    i = end;
                    in_string = false;
                    digits = 0;
                    continue;
                }
                Closed::Rejected => return false,
                Closed::Unclosed => return true,
            }
        }
        let b = value[i];
        match b {
            b'"' => in_string = true,
            b' ' | b'\t' | b'\n' | b'\r' | b'.' => return false,
            b'e' | b'E' if digits > 0 => return false,
            b'-' if value.get(i + 1) == Some(&b'0') => return false,
            _ => {}
        }
        digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
        if digits > 18 {
            return false;
        }
        i += 1;
    }
    true
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that equals `byte`, and maybe of bytes above such a
/// byte (a borrow runs upwards): the lowest bit set is always exact.
fn equal_bytes(w: u64, byte: u8) -> u64 {
    let x = w ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The first byte of `w` (in memory order) that would end a run of plain string bytes: a
/// quote, a backslash or a control character.
fn first_special(w: u64) -> Option<usize> {
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    let m = control | equal_bytes(w, b'"') | equal_bytes(w, b'\\');
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// The eight bytes of `s` from `i`, as a little-endian word.
fn word(s: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = s.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// How a string's text ends.
pub(crate) enum Closed {
    /// At its closing quote: the offset after it.
    At(usize),
    /// At an escape that was not wanted.
    Rejected,
    /// The text ends inside the string.
    Unclosed,
}

/// Walks the text of a string from `i` to its closing quote, handing the byte after each
/// backslash to `escape`, which may reject it. The text is taken 16 bytes at a time while 16
/// are left, each quote and backslash of a block from one mask of them; from a backslash on,
/// 64 bytes at a time while 64 are left (`string_windows`).
pub(crate) fn string_close(s: &[u8], mut i: usize, mut escape: impl FnMut(u8) -> bool) -> Closed {
    'blocks: while let Some(block) = s.get(i..i + 16).and_then(|b| b.try_into().ok()) {
        let base = i;
        let mut m = quotes_or_backslashes(block);
        i = base + 16;
        while m != 0 {
            let at = base + m.trailing_zeros() as usize;
            if s.get(at) == Some(&b'"') {
                return Closed::At(at + 1);
            }
            // Escape-dense text from here: 64 bytes at a time while 64 are left.
            match string_windows(s, at, false, |k| s.get(k).is_some_and(|&b| escape(b))) {
                Windows::At(end) => return Closed::At(end),
                Windows::Rejected(_) => return Closed::Rejected,
                Windows::Short(j) if j > at => {
                    i = j;
                    continue 'blocks;
                }
                Windows::Short(_) => {}
            }
            if !s.get(at + 1).is_some_and(|&b| escape(b)) {
                return Closed::Rejected;
            }
            let after = at + 2;
            if after >= base + 16 {
                i = after;
                break;
            }
            m &= u32::MAX << (after - base);
        }
    }
    loop {
        let Some(at) = quote_or_backslash(s, i) else {
            return Closed::Unclosed;
        };
        if s.get(at) == Some(&b'"') {
            return Closed::At(at + 1);
        }
        if !s.get(at + 1).is_some_and(|&b| escape(b)) {
            return Closed::Rejected;
        }
        i = at + 2;
    }
}

/// A bit for each byte of `block` (16 bytes) that is a quote, a backslash or a control
/// character, in memory order.
fn specials(block: &[u8; 16]) -> u32 {
    let v = u8x16::new(*block);
    v.min(u8x16::splat(0x1f)).simd_eq(v).to_bitmask() | quotes_or_backslashes(block)
}

/// A bit for each quote and backslash of `block`, in memory order.
pub(crate) fn quotes_or_backslashes(block: &[u8; 16]) -> u32 {
    let v = u8x16::new(*block);
    (v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\'))).to_bitmask()
}

/// Where the run of plain string bytes from `i` ends: eight bytes at a time, the last few
/// one by one.
fn plain_run(s: &[u8], mut i: usize) -> usize {
    while let Some(w) = word(s, i) {
        if let Some(at) = first_special(w) {
            return i + at;
        }
        i += 8;
    }
    while s
        .get(i)
        .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
    {
        i += 1;
    }
    i
}

/// The first quote or backslash at or after `i`: a word at a time nearby (strings in
/// exports are short between escapes), then by `memchr`.
pub(crate) fn quote_or_backslash(s: &[u8], i: usize) -> Option<usize> {
    let mut at = i;
    while at < i + 16 {
        let Some(w) = word(s, at) else {
            break;
        };
        let m = equal_bytes(w, b'"') | equal_bytes(w, b'\\');
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(b'"', b'\\', s.get(at..)?).map(|k| at + k)
}

/// Judges the escape whose escaped byte (after the backslash) is at `k`: the offset after
/// it, or `None` for an escape JSON does not have. `loose` is set for an escape `serde_json`
/// does not write, `unicode` for a `\u` escape.
#[inline]
fn escape_end(s: &[u8], k: usize, loose: &mut bool, unicode: &mut bool) -> Option<usize> {
    match s.get(k)? {
        b'"' | b'\\' | b'n' | b'r' | b't' => Some(k + 1),
        b'/' | b'b' | b'f' => {
            *loose = true;
            Some(k + 1)
        }
        b'u' => {
            *loose = true;
            let hex = s.get(k + 1..k + 5)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            *unicode = true;
            Some(k + 5)
        }
        _ => None,
    }
}

struct Tokens<'a> {
    s: &'a [u8],
    i: usize,
    /// Something `is_compact` rejects was seen: whitespace between tokens, a fraction, an
    /// exponent, `-0`, an integer of more than 18 digits, or an escape `serde_json` does
    /// not write.
    loose: bool,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8]) -> Self {
        Tokens {
            s,
            i: 0,
            loose: false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Result<u8, Invalid> {
        let b = self.peek().ok_or(Invalid(self.i))?;
        self.i += 1;
        Ok(b)
    }

    fn expect(&mut self, want: u8) -> Result<(), Invalid> {
        if self.peek() == Some(want) {
            self.i += 1;
            Ok(())
        } else {
            Err(Invalid(self.i))
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
            self.loose = true;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), Invalid> {
        match self.peek().ok_or(Invalid(self.i))? {
            b'"' => self.string(),
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Invalid(self.i)),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Invalid> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Invalid(self.i))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), Invalid> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                self.loose |= negative;
            }
            Some(b'1'..=b'9') => {
                self.loose |= self.digits() > 18;
            }
            _ => return Err(Invalid(self.i)),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.loose = true;
            if self.digits() == 0 {
                return Err(Invalid(self.i));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            self.loose = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid(self.i));
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), Invalid> {
        let start = self.i;
        self.expect(b'"')?;
        let mut unicode = false;
        loop {
            if let Some(end) = self.string_blocks(&mut unicode)? {
                self.i = end;
                break;
            }
            // Fewer than 16 bytes are left: a run and the byte that ends it.
            self.i = plain_run(self.s, self.i);
            let at = self.i;
            match self.next()? {
                b'"' => break,
                b'\\' => self.i = self.escape(at, &mut unicode)?,
                0..=0x1f => return Err(Invalid(at)),
                _ => {}
            }
        }
        // Surrogate pairs are serde_json's to judge.
        if unicode && serde_json::from_slice::<String>(&self.s[start..self.i]).is_err() {
            return Err(Invalid(start));
        }
        Ok(())
    }

    /// Reads a string 16 bytes at a time while 16 are left, each quote, backslash and
    /// control byte of a block taken from one mask of them, and from a backslash on 64 bytes
    /// at a time while 64 are left (`string_windows`): the offset after the closing quote
    /// when it was found.
    fn string_blocks(&mut self, unicode: &mut bool) -> Result<Option<usize>, Invalid> {
        'blocks: while let Some(block) = self
            .s
            .get(self.i..self.i + 16)
            .and_then(|b| b.try_into().ok())
        {
            let base = self.i;
            let mut m = specials(block);
            self.i = base + 16;
            while m != 0 {
                let at = base + m.trailing_zeros() as usize;
                match self.s.get(at) {
                    Some(b'"') => return Ok(Some(at + 1)),
                    Some(b'\\') => {
                        // Escape-dense text from here: 64 bytes at a time while 64 are left.
                        let (s, loose) = (self.s, &mut self.loose);
                        let judge = |k| escape_end(s, k, loose, unicode).is_some();
                        match string_windows(s, at, true, judge) {
                            Windows::At(end) => return Ok(Some(end)),
                            Windows::Rejected(k) => return Err(Invalid(k)),
                            Windows::Short(j) if j > at => {
                                self.i = j;
                                continue 'blocks;
                            }
                            Windows::Short(_) => {}
                        }
                        let after = self.escape(at, unicode)?;
                        if after >= base + 16 {
                            self.i = after;
                            break;
                        }
                        m &= u32::MAX << (after - base);
                    }
                    _ => return Err(Invalid(at)),
                }
            }
        }
        Ok(None)
    }

    /// Checks the escape whose backslash is at `at`; the offset after it.
    #[inline]
    fn escape(&mut self, at: usize, unicode: &mut bool) -> Result<usize, Invalid> {
        escape_end(self.s, at + 1, &mut self.loose, unicode).ok_or(Invalid(at + 1))
    }

    fn object(&mut self, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid(self.i));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                _ => return Err(Invalid(self.i - 1)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid(self.i));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b']' => return Ok(()),
                _ => return Err(Invalid(self.i - 1)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Result<Vec<(String, String)>, Invalid> {
        let mut out = Vec::new();
        members(line, |k, v| out.push((k.to_string(), v.to_string())))?;
        Ok(out)
    }

    #[test]
    fn members_and_their_raw_values() {
        let got = pairs(r#" {"a": 1, "b\"c":{"x":[1, "y"]},"d":"e\\f","n":null,"t":true} "#);
        let got = got.unwrap();
        let want = [
            ("a", "1"),
            ("b\\\"c", r#"{"x":[1, "y"]}"#),
            ("d", r#""e\\f""#),
            ("n", "null"),
            ("t", "true"),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, v), (wk, wv)) in got.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
        assert_eq!(pairs("{}").unwrap().len(), 0);
    }

    #[test]
    fn accepts_what_serde_json_accepts() {
        let cases = [
            r#"{"a":1}"#,
            r#"{"a":-0.5e+3}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\ud83d"}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":[1,]}"#,
            r#"{"a":{"b":1,}}"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":tru}"#,
            r#"{"a" 1}"#,
            r#"{"a":1"#,
            r#"[1]"#,
            r#"{"a":-}"#,
        ];
        for case in cases {
            let serde = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(case);
            assert_eq!(pairs(case).is_ok(), serde.is_ok(), "{case}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        assert!(pairs(&deep).is_err());
    }

    #[test]
    fn compact_text_is_recognised() {
        for (text, compact) in [
            (r#"{"a":[1,2,{"b":"c d"}],"t":true,"f":false}"#, true),
            (r#"{"a": 1}"#, false),
            (r#"{"a":1.5}"#, false),
            (r#"{"a":1e5}"#, false),
            (r#"{"a":-0}"#, false),
            (r#"{"a":-10}"#, true),
            (r#"{"a":"\/"}"#, false),
            (r#"{"a":"\"\\\n"}"#, true),
            (r#"[12345678901234567890]"#, false),
        ] {
            assert_eq!(is_compact(text.as_bytes()), compact, "{text}");
            let first = text.as_bytes()[0];
            assert_eq!(checked_document(text.as_bytes()), Some((first, compact)));
            if compact {
                let v: serde_json::Value = serde_json::from_str(text).unwrap();
                assert_eq!(v.to_string(), text);
            }
        }
    }

    #[test]
    fn plain_runs_end_where_a_byte_by_byte_scan_ends() {
        let text = "abcdefghij\u{e9}klmnopqrstuvwxyz0123456789\"tail\\x\u{1}\u{7f}\u{ff}\
                    \\\"\\\\\"\u{1f} \u{20}\u{21}\u{5b}\u{5d}\u{80}\"\"\\";
        let bytes = text.as_bytes();
        for start in 0..=bytes.len() {
            let slow = (start..bytes.len())
                .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(bytes.len());
            assert_eq!(plain_run(bytes, start), slow, "from {start}");
            let quote = (start..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\'));
            assert_eq!(quote_or_backslash(bytes, start), quote, "from {start}");
        }
        // Seeded random bytes, rich in the bytes that end runs and their neighbours.
        let alphabet = b"\"\\\x00\x01\x1f\x20\x21\x5b\x5c\x5d\x7f\x80\xa2\xdc\xffab";
        let mut state: u64 = 3;
        for _ in 0..3000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (state >> 58) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|k| alphabet[((state >> (k % 50)) as usize + k * 7) % alphabet.len()])
                .collect();
            for start in 0..=len {
                let slow = (start..len)
                    .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                    .unwrap_or(len);
                assert_eq!(plain_run(&bytes, start), slow, "{bytes:?} from {start}");
                let quote = (start..len).find(|&i| matches!(bytes[i], b'"' | b'\\'));
                assert_eq!(
                    quote_or_backslash(&bytes, start),
                    quote,
                    "{bytes:?} {start}"
                );
            }
        }
    }

    /// Seeded byte mutations of export-like lines: the walk accepts exactly what serde_json
    /// accepts, and neither it nor the skim panics.
    #[test]
    fn mutated_lines_are_judged_as_serde_json_judges_them() {
        let seeds = [
            r#"{"Timestamp":"2024-05-01T10:00:00Z","Raw":"{\"a\":[1,{\"b\":null}]}","n":-1.5e3,"t":true,"o":{"x":[{}]}}"#,
            r#"{"k\u00e9y":"\ud83d\ude00 \/ \t","arr":[1,2,[3,[4]]],"f":false}"#,
        ];
        let alphabet = b"{}[]\",:\\ 0123456789-+.eEtrufalsn\x01\xc3\xa9u";
        let mut state: u64 = 42;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n.max(1)
        };
        for seed in seeds {
            for _ in 0..4000 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..1 + next(3) {
                    let at = next(bytes.len());
                    match next(3) {
                        0 => bytes[at] = alphabet[next(alphabet.len())],
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, alphabet[next(alphabet.len())]),
                    }
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                let serde =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text);
                assert_eq!(members(text, |_, _| {}).is_ok(), serde.is_ok(), "{text}");
                crate::json_skim::skim_members(text, |_, _| false);
                // One pass tells what the two checks tell.
                let checked = checked_document(text.as_bytes());
                assert_eq!(checked.map(|c| c.0), document(text.as_bytes()), "{text}");
                if let Some((_, compact)) = checked {
                    assert_eq!(compact, is_compact(text.as_bytes()), "{text}");
                }
            }
        }
    }

    /// Each JSON string (quotes included) is accepted by the walk exactly when serde_json
    /// accepts it, with `is_compact`'s flag, and the skim ends it where the walk does; over
    /// a thousand are accepted and a thousand rejected.
    fn strings_judged_as_serde_json_judges_them(strings: &[Vec<u8>]) {
        let mut accepted = 0;
        for bytes in strings {
            let serde = serde_json::from_slice::<String>(bytes).is_ok();
            let ours = checked_document(bytes);
            let text = String::from_utf8_lossy(bytes);
            assert_eq!(ours.is_some(), serde, "{text}");
            let Some((_, compact)) = ours else {
                continue;
            };
            assert_eq!(compact, is_compact(bytes), "{text}");
            let doc = format!("{{\"k\":{text},\"z\":1}}");
            let mut values = Vec::new();
            assert!(crate::json_skim::skim_members(&doc, |_, v| {
                values.push(v.to_string());
                false
            }));
            assert_eq!(values, [text.to_string(), "1".to_string()]);
            accepted += 1;
        }
        let rejected = strings.len() - accepted;
        assert!(accepted > 1000 && rejected > 1000, "{accepted} {rejected}");
    }

    /// Seeded random strings dense with escapes, quotes and control bytes, across word
    /// and block boundaries: a string is accepted exactly when serde_json accepts it, the
    /// compact flag is `is_compact`'s, and the skim finds the same end of it.
    #[test]
    fn escape_dense_strings_are_judged_as_serde_json_judges_them() {
        let alphabet = b"\\\"\\\\nrtu/bfx0aDcE19 \x01\x7f\xc3\xa9";
        let mut state: u64 = 11;
        let mut strings = Vec::new();
        for _ in 0..40_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (state >> 58) as usize + 2;
            let mut bytes = vec![b'"'];
            bytes.extend(
                (0..len)
                    .map(|k| alphabet[((state >> (k % 40)) as usize ^ (k * 13)) % alphabet.len()]),
            );
            bytes.push(b'"');
            // UTF-8 is checked apart, for whole lines.
            if std::str::from_utf8(&bytes).is_ok() {
                strings.push(bytes);
            }
        }
        strings_judged_as_serde_json_judges_them(&strings);
    }

    /// Long strings of JSON text held in strings (escape-dense for hundreds of bytes, read
    /// 64 bytes at a time), with rare other escapes, stray quotes and bad bytes: judged as
    /// serde_json judges them, at every alignment of the escapes to the windows.
    #[test]
    fn long_escaped_documents_are_judged_as_serde_json_judges_them() {
        let pieces: [&[u8]; 14] = [
            b"\\\"",
            b"\\\"",
            b"\\\"",
            b"\\\\",
            b"abc",
            b"Id",
            b":[{",
            b"\\n",
            b"\\/",
            b"\\u00e9",
            b"\\\\\\\"",
            b"\"",
            b"\\x",
            b"\x01",
        ];
        let mut state: u64 = 5;
        let mut strings = Vec::new();
        for round in 0..6000 {
            let mut bytes = b"\"".to_vec();
            bytes.extend(std::iter::repeat_n(b'a', round % 67));
            let len = 40 + round % 90;
            for _ in 0..len {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 40) as usize % 1000;
                // Mostly the first seven pieces; the last four are rare.
                let piece = match r {
                    0..=899 => r % 7,
                    900..=979 => 7 + r % 3,
                    980..=989 => 10,
                    _ => 11 + r % 3,
                };
                bytes.extend_from_slice(pieces[piece]);
            }
            bytes.push(b'"');
            strings.push(bytes);
        }
        strings_judged_as_serde_json_judges_them(&strings);
    }

    #[test]
    fn documents() {
        assert_eq!(document(b" [1, 2] "), Some(b'['));
        assert_eq!(document(b"{\"a\":1} x"), None);
        assert_eq!(document(b""), None);
    }
}
