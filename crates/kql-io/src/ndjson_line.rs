//! One line of a newline-delimited JSON file: its members, or what is wrong with it as
//! `serde_json` words it; and the column each key goes to, remembered by position since
//! the lines of an export mostly repeat one key order.

use kql_types::json_scan::{members, unescape};
use kql_types::json_skim::skim_member_bytes;
use serde_json::Value;

/// What is wrong with a line, and the 1-based column.
pub type LineError = (String, usize);

/// Calls `member(position, raw_key, value)` for each member of the line's object.
/// `Ok(false)` for a blank line.
pub fn line_members<'a>(
    line: &'a [u8],
    mut member: impl FnMut(usize, &'a str, &'a str),
) -> Result<bool, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    // The SIMD check first; the standard one tells where a line that fails it goes wrong.
    let text = simdutf8::basic::from_utf8(line)
        .or_else(|_| std::str::from_utf8(line))
        .map_err(|e| ("invalid UTF-8".to_string(), e.valid_up_to() + 1))?;
    let mut position = 0;
    let walked = members(text, |k, v| {
        member(position, k, v);
        position += 1;
    });
    match walked {
        Ok(()) => Ok(true),
        Err(invalid) => Err(match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => ("invalid JSON".to_string(), invalid.0 + 1),
            Ok(_) => ("expected a JSON object on each line".to_string(), 1),
            Err(e) => (serde_message(&e), e.column()),
        }),
    }
}

/// `line_members` for a line of a file the loader found valid throughout: its members are
/// skimmed (`json_skim`) until `member` returns true, and checked as UTF-8 only as far as
/// they are read; only a line that does not hold together is walked and checked (then
/// every member is handed out).
pub fn trusted_line_members<'a>(
    line: &'a [u8],
    mut member: impl FnMut(usize, &'a str, &'a str) -> bool,
) -> Result<bool, LineError> {
    let bare = line.strip_suffix(b"\r").unwrap_or(line);
    if bare.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let mut position = 0;
    let skimmed = skim_member_bytes(bare, |k, v| {
        position += 1;
        member(position - 1, k, v)
    });
    if skimmed {
        return Ok(true);
    }
    // Members already handed out are handed out again, in order: the last of each wins.
    line_members(line, |p, k, v| {
        member(p, k, v);
    })
}

/// serde_json's message without its own "at line L column C" (the error carries those).
pub fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((what, _)) => what.to_string(),
        None => text,
    }
}

/// The lines of a block of whole lines, with their byte offsets in the block; the piece
/// after a final line end is not a line.
pub fn lines(block: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= block.len() {
            return None;
        }
        let start = at;
        let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |n| at + n);
        at = end + 1;
        Some((start, &block[start..end]))
    })
}

/// Which slot (column) each key goes to: the key seen last time at the same position is
/// compared first, so that a usual line costs no hashing.
#[derive(Default)]
pub struct KeySlots {
    by_position: Vec<(String, Option<usize>)>,
}

impl KeySlots {
    /// The slot of the raw (still escaped) key at `position`; `resolve` decides for a key
    /// not seen there before, given its unescaped text.
    pub fn slot(
        &mut self,
        position: usize,
        raw_key: &str,
        resolve: impl FnOnce(&str) -> Option<usize>,
    ) -> Option<usize> {
        if let Some((k, slot)) = self.by_position.get(position)
            && k == raw_key
        {
            return *slot;
        }
        let slot = resolve(&unescape(raw_key));
        let entry = (raw_key.to_string(), slot);
        match position.cmp(&self.by_position.len()) {
            std::cmp::Ordering::Less => self.by_position[position] = entry,
            std::cmp::Ordering::Equal => self.by_position.push(entry),
            std::cmp::Ordering::Greater => {}
        }
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_worded_by_serde_json() {
        let bad = |l: &str| line_members(l.as_bytes(), |_, _, _| {}).unwrap_err();
        assert_eq!(bad("{\"a\":"), ("EOF while parsing a value".to_string(), 5));
        assert_eq!(
            bad("[1]"),
            ("expected a JSON object on each line".to_string(), 1)
        );
        assert_eq!(
            bad("{\"a\":\"\u{1}\"}").0,
            "control character (\\u0000-\\u001F) found while parsing a string"
        );
        let e = line_members(b"{\"a\":\"\xff\"}", |_, _, _| {}).unwrap_err();
        assert_eq!(e, ("invalid UTF-8".to_string(), 7));
        assert_eq!(line_members(b"  \r", |_, _, _| {}), Ok(false));
    }

    #[test]
    fn lines_and_slots() {
        let got: Vec<_> = lines(b"a\n\nbc\nd").collect();
        assert_eq!(got, [(0, &b"a"[..]), (2, b""), (3, b"bc"), (6, b"d")]);
        assert_eq!(lines(b"a\n").count(), 1);
        let mut slots = KeySlots::default();
        let mut asked = 0;
        for _ in 0..3 {
            let s = slots.slot(0, "k\\u0041", |k| {
                asked += 1;
                assert_eq!(k, "kA");
                Some(7)
            });
            assert_eq!(s, Some(7));
        }
        assert_eq!(asked, 1);
    }
}
