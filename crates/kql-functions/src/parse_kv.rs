//! The value of one key in a text of key/value pairs, for the `parse-kv` operator:
//! `kql_parse_kv(text, key, options_json)`. Options: `pair_delimiter` and `kv_delimiter`
//! (given together), `quote` (one character, or an opening and a closing one), `escape`,
//! `greedy`, or a `regex` whose first two groups are a key and its value. Without
//! delimiters, a key is followed by `:` or `=` and its value ends at `,`, `;` or a space.

use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use serde::Deserialize;
use std::sync::{Arc, LazyLock};

pub static PARSE_KV: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_kv", DataType::Utf8, body));

/// The operator's properties, as the binder passes them (JSON).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Options {
    pub pair_delimiter: Option<String>,
    pub kv_delimiter: Option<String>,
    pub quote: Option<String>,
    pub escape: Option<String>,
    pub greedy: bool,
    pub regex: Option<String>,
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (texts, keys, options) = (strings(args, 0)?, strings(args, 1)?, strings(args, 2)?);
    let options: Options = serde_json::from_str(options.get(0).unwrap_or("{}"))
        .map_err(|e| DataFusionError::Execution(format!("parse-kv options: {e}")))?;
    let regex = match &options.regex {
        Some(r) => Some(crate::text::compile_regex(r)?),
        None => None,
    };
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let (Some(text), Some(key)) = (texts.get(r), keys.get(r)) else {
            out.append_null();
            continue;
        };
        let value = match &regex {
            Some(re) => re.captures_iter(text).find_map(|c| {
                (c.get(1)?.as_str().trim() == key)
                    .then(|| c.get(2).map_or("", |m| m.as_str()).to_string())
            }),
            None => pairs(text, &options)
                .into_iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v),
        };
        out.append_option(value);
    }
    Ok(Arc::new(out.finish()))
}

/// The quote characters: (opening, closing).
fn quotes(options: &Options) -> Vec<(char, char)> {
    let Some(q) = &options.quote else {
        return Vec::new();
    };
    let chars: Vec<char> = q.chars().collect();
    match chars.as_slice() {
        [open, close] => vec![(*open, *close)],
        other => other.iter().map(|c| (*c, *c)).collect(),
    }
}

/// A reader over the text's characters.
struct Reader<'a> {
    chars: Vec<char>,
    at: usize,
    quotes: Vec<(char, char)>,
    escape: Option<char>,
    options: &'a Options,
}

impl Reader<'_> {
    fn starts(&self, s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .enumerate()
                .all(|(i, c)| self.chars.get(self.at + i) == Some(&c))
    }

    /// A quoted token if one starts here (the quotes removed, escapes applied).
    fn quoted(&mut self) -> Option<String> {
        let open = *self.chars.get(self.at)?;
        let &(_, close) = self.quotes.iter().find(|(o, _)| *o == open)?;
        self.at += 1;
        let mut out = String::new();
        while let Some(&c) = self.chars.get(self.at) {
            self.at += 1;
            if Some(c) == self.escape {
                if let Some(&next) = self.chars.get(self.at) {
                    out.push(next);
                    self.at += 1;
                }
            } else if c == close {
                break;
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    /// Text up to (not including) the first place `stop` says to stop, or the end.
    fn until(&mut self, stop: impl Fn(&Self) -> bool) -> String {
        let start = self.at;
        while self.at < self.chars.len() && !stop(self) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    /// Whether a new pair starts right after the pair delimiter at the current position:
    /// its text up to the next pair delimiter holds a key/value delimiter.
    fn pair_follows(&self, pair: &str, kv: &str) -> bool {
        let rest: String = self.chars[self.at + pair.chars().count()..]
            .iter()
            .collect();
        let segment = rest.split(pair).next().unwrap_or("");
        segment.contains(kv)
    }
}

/// The key/value pairs of a text, in order.
fn pairs(text: &str, options: &Options) -> Vec<(String, String)> {
    let mut r = Reader {
        chars: text.chars().collect(),
        at: 0,
        quotes: quotes(options),
        escape: options.escape.as_ref().and_then(|e| e.chars().next()),
        options,
    };
    let (Some(pair), Some(kv)) = (&options.pair_delimiter, &options.kv_delimiter) else {
        return auto_pairs(&mut r);
    };
    let mut out = Vec::new();
    while r.at < r.chars.len() {
        let key = match r.quoted() {
            Some(k) => k,
            None => r.until(|r| r.starts(kv) || r.starts(pair)),
        };
        if !r.starts(kv) {
            r.until(|r| r.starts(pair));
            r.at += pair.chars().count();
            continue;
        }
        r.at += kv.chars().count();
        let value = match r.quoted() {
            Some(v) => {
                r.until(|r| r.starts(pair));
                v
            }
            None if r.options.greedy => r.until(|r| r.starts(pair) && r.pair_follows(pair, kv)),
            None => r.until(|r| r.starts(pair)),
        };
        out.push((key.trim().to_string(), value.trim().to_string()));
        r.at += pair.chars().count();
    }
    out
}

/// Pairs without declared delimiters: `key: value` or `key=value`, values ending at a
/// comma, semicolon or space (unless quoted).
fn auto_pairs(r: &mut Reader) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let word = |c: &char| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.';
    while r.at < r.chars.len() {
        let key = r.until(|r| !word(&r.chars[r.at]));
        if key.is_empty() {
            r.at += 1;
            continue;
        }
        r.until(|r| r.chars[r.at] != ' ');
        if !matches!(r.chars.get(r.at), Some(':' | '=')) {
            continue;
        }
        r.at += 1;
        r.until(|r| r.chars[r.at] != ' ');
        let value = match r.quoted() {
            Some(v) => v,
            None => r.until(|r| matches!(r.chars[r.at], ',' | ';' | ' ')),
        };
        out.push((key, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str, key: &str, options: &str) -> Option<String> {
        let o: Options = serde_json::from_str(options).unwrap();
        pairs(text, &o)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn delimiters_quotes_and_greed() {
        let o = r#"{"pair_delimiter":",","kv_delimiter":":"}"#;
        let t = "ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info";
        assert_eq!(get(t, "Text", o).unwrap(), "The service is up");
        let o = r#"{"pair_delimiter":" ","kv_delimiter":"=","quote":"()"}"#;
        let t = "src=10.1.1.123 failure=(connection aborted) (event time)=(2021-01-01 10:00:54)";
        assert_eq!(get(t, "event time", o).unwrap(), "2021-01-01 10:00:54");
        assert_eq!(get(t, "failure", o).unwrap(), "connection aborted");
        let t = "name=John Doe phone=555 5555 city=New York";
        let plain = r#"{"pair_delimiter":" ","kv_delimiter":"="}"#;
        assert_eq!(get(t, "name", plain).unwrap(), "John");
        let greedy = r#"{"pair_delimiter":" ","kv_delimiter":"=","greedy":true}"#;
        assert_eq!(get(t, "phone", greedy).unwrap(), "555 5555");
        assert_eq!(get(t, "city", greedy).unwrap(), "New York");
        let t = r#"x=1 failure="the remote host sent \"bye!\"" time=2"#;
        let o = r#"{"pair_delimiter":" ","kv_delimiter":"=","quote":"\"","escape":"\\"}"#;
        assert_eq!(
            get(t, "failure", o).unwrap(),
            r#"the remote host sent "bye!""#
        );
    }

    #[test]
    fn delimiters_found_automatically() {
        let t = "2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: Started";
        assert_eq!(get(t, "ThreadId", "{}").unwrap(), "458745723");
        assert_eq!(get(t, "Text", "{}").unwrap(), "Started");
        let t = r"ThreadId:1, Text: 'The service \' is up'";
        assert_eq!(
            get(t, "Text", r#"{"quote":"'","escape":"\\"}"#).unwrap(),
            "The service ' is up"
        );
    }
}
