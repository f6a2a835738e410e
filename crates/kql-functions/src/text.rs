//! String operators with Kusto's term rules (`has`, `hasprefix`, ...), substring tests
//! and regular-expression extraction.

use crate::text_match::{Edge, Needle, Test};
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, BooleanArray, BooleanBuilder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use kql_syntax::ast::StrOpKind;
use regex::{CaptureLocations, Regex, RegexBuilder};
use std::sync::{Arc, LazyLock};

/// Regex programs from queries are compiled with this size limit (bytes).
const REGEX_SIZE_LIMIT: usize = 8 << 20;

macro_rules! predicate_udfs {
    ($( $static:ident, $name:literal, $test:expr, $case_sensitive:literal );* $(;)?) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
                KqlUdf::new_udf($name, DataType::Boolean, |args, rows| {
                    predicate(args, rows, $test, $case_sensitive)
                })
            });
        )*
        fn predicate_list() -> Vec<Arc<ScalarUDF>> {
            vec![$($static.clone()),*]
        }
    };
}

predicate_udfs! {
    HAS, "kql_has", Test::Term(Edge::Both), false;
    HAS_CS, "kql_has_cs", Test::Term(Edge::Both), true;
    HASPREFIX, "kql_hasprefix", Test::Term(Edge::Start), false;
    HASPREFIX_CS, "kql_hasprefix_cs", Test::Term(Edge::Start), true;
    HASSUFFIX, "kql_hassuffix", Test::Term(Edge::End), false;
    HASSUFFIX_CS, "kql_hassuffix_cs", Test::Term(Edge::End), true;
    CONTAINS, "kql_contains", Test::Contains, false;
    CONTAINS_CS, "kql_contains_cs", Test::Contains, true;
    STARTSWITH, "kql_startswith", Test::StartsWith, false;
    STARTSWITH_CS, "kql_startswith_cs", Test::StartsWith, true;
    ENDSWITH, "kql_endswith", Test::EndsWith, false;
    ENDSWITH_CS, "kql_endswith_cs", Test::EndsWith, true;
}

/// `kql_has_list(text, '["a","b"]', all)`: `has_any` (all = false) or `has_all` over a
/// constant list of terms, in one pass per row.
pub static HAS_LIST: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_has_list", DataType::Boolean, has_list_body));
pub static EXTRACT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_extract", DataType::Utf8, extract_body));
pub static MATCHES_REGEX: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_matches_regex", DataType::Boolean, matches_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    let mut v = predicate_list();
    v.push(EXTRACT.clone());
    v.push(HAS_LIST.clone());
    v.push(MATCHES_REGEX.clone());
    v
}

/// The UDF implementing a string operator (without its negation).
pub fn operator_udf(kind: StrOpKind, case_sensitive: bool) -> Option<&'static Arc<ScalarUDF>> {
    Some(match (kind, case_sensitive) {
        (StrOpKind::Has, false) => &HAS,
        (StrOpKind::Has, true) => &HAS_CS,
        (StrOpKind::HasPrefix, false) => &HASPREFIX,
        (StrOpKind::HasPrefix, true) => &HASPREFIX_CS,
        (StrOpKind::HasSuffix, false) => &HASSUFFIX,
        (StrOpKind::HasSuffix, true) => &HASSUFFIX_CS,
        (StrOpKind::Contains, false) => &CONTAINS,
        (StrOpKind::Contains, true) => &CONTAINS_CS,
        (StrOpKind::StartsWith, false) => &STARTSWITH,
        (StrOpKind::StartsWith, true) => &STARTSWITH_CS,
        (StrOpKind::EndsWith, false) => &ENDSWITH,
        (StrOpKind::EndsWith, true) => &ENDSWITH_CS,
        (StrOpKind::MatchesRegex, _) => &MATCHES_REGEX,
        (StrOpKind::HasAny | StrOpKind::HasAll, _) => return None,
    })
}

/// A string operator over the rows: each distinct needle (mostly one) is prepared once.
fn predicate(args: &[ArrayRef], rows: usize, test: Test, case_sensitive: bool) -> Result<ArrayRef> {
    let hay = strings(args, 0)?;
    let needles = strings(args, 1)?;
    let mut needle: Option<(&str, Needle)> = None;
    let mut buf = String::new();
    let mut out = BooleanBuilder::with_capacity(rows);
    for r in 0..rows {
        let n = needles.get(r).unwrap_or("");
        let prepared = match needle.take() {
            Some((text, prepared)) if text == n => (text, prepared),
            _ => (n, Needle::new(test, n, case_sensitive)),
        };
        out.append_value(prepared.1.matches(hay.get(r).unwrap_or(""), &mut buf));
        needle = Some(prepared);
    }
    Ok(Arc::new(out.finish()))
}

/// Does `needle` occur in `hay` aligned to term boundaries? (`has`, case-insensitive, for
/// a needle met once.)
pub fn has_term(hay: &str, needle: &str) -> bool {
    Needle::new(Test::Term(Edge::Both), needle, false).matches(hay, &mut String::new())
}

/// Rewrites the RE2 forms (Kusto's regex dialect) that Rust's regex reads differently: a `[`
/// inside a character class is a literal, `\0` is NUL, `\Z` is the end of text.
pub fn re2_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('0') if !chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                    out.push_str("\\x00")
                }
                Some('Z') => out.push_str("\\z"),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '[' if in_class && chars.peek() != Some(&':') => out.push_str("\\["),
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` first in a class is a literal.
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
                continue;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            // RE2 reads a brace that does not start a repetition `{n}`, `{n,}`, `{n,m}` as text.
            '{' if !in_class => {
                let rest: String = chars.clone().collect();
                match repetition_len(&rest) {
                    Some(n) => {
                        out.push('{');
                        for _ in 0..n {
                            if let Some(c) = chars.next() {
                                out.push(c);
                            }
                        }
                    }
                    None => out.push_str("\\{"),
                }
            }
            '}' if !in_class => out.push_str("\\}"),
            other => out.push(other),
        }
        class_start = false;
    }
    out
}

/// The length of `n}`, `n,}` or `n,m}` at the start of `s` (after a `{`), if it is one.
fn repetition_len(s: &str) -> Option<usize> {
    let close = s.find('}')?;
    let body = &s[..close];
    let (lo, hi) = body.split_once(',').unwrap_or((body, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    (digits(lo) && (hi.is_empty() || digits(hi))).then_some(close + 1)
}

/// Compiles a regex from a query (RE2 syntax), with a size limit.
pub fn compile_regex(pattern: &str) -> Result<Regex> {
    RegexBuilder::new(&re2_to_rust(pattern))
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| DataFusionError::Execution(format!("invalid regular expression: {e}")))
}

/// Compiles each distinct pattern once while walking the rows, with the positions of its
/// groups, kept across rows for `captures_read`.
struct RegexCache {
    last: Option<(String, Regex, CaptureLocations)>,
}

impl RegexCache {
    fn get(&mut self, pattern: &str) -> Result<(&Regex, &mut CaptureLocations)> {
        if self.last.as_ref().is_none_or(|(p, _, _)| p != pattern) {
            let re = compile_regex(pattern)?;
            let locations = re.capture_locations();
            self.last = Some((pattern.to_string(), re, locations));
        }
        match &mut self.last {
            Some((_, re, locations)) => Ok((re, locations)),
            None => unreachable!("set just above"),
        }
    }
}

fn has_list_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let hay = strings(args, 0)?;
    let lists = strings(args, 1)?;
    let all = args[2].as_any().downcast_ref::<BooleanArray>();
    let mut terms: Option<(&str, Vec<Needle>)> = None;
    let mut buf = String::new();
    let mut out = BooleanBuilder::with_capacity(rows);
    for r in 0..rows {
        let list = lists.get(r).unwrap_or("[]");
        let (list, needles) = match terms.take() {
            Some((l, needles)) if l == list => (l, needles),
            _ => {
                let parsed: Vec<String> = serde_json::from_str(list).unwrap_or_default();
                let needles = parsed
                    .iter()
                    .map(|t| Needle::new(Test::Term(Edge::Both), t, false))
                    .collect();
                (list, needles)
            }
        };
        let h = hay.get(r).unwrap_or("");
        let mut hit = |n: &Needle| n.matches(h, &mut buf);
        out.append_value(if all.is_some_and(|a| a.value(r)) {
            needles.iter().all(&mut hit)
        } else {
            needles.iter().any(&mut hit)
        });
        terms = Some((list, needles));
    }
    Ok(Arc::new(out.finish()))
}

/// `kql_extract(regex, group, text)`: the group's text, or "" when there is no match.
fn extract_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let patterns = strings(args, 0)?;
    let groups = crate::udf::longs(args, 1)?;
    let groups = groups
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .ok_or_else(|| DataFusionError::Internal("group index is not Int64".into()))?;
    let texts = strings(args, 2)?;
    let mut cache = RegexCache { last: None };
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    for r in 0..rows {
        let (Some(p), Some(t)) = (patterns.get(r), texts.get(r)) else {
            out.append_value("");
            continue;
        };
        let (re, locs) = cache.get(p)?;
        let group = usize::try_from(groups.value(r)).unwrap_or(usize::MAX);
        let found = re
            .captures_read(locs, t)
            .and_then(|_| locs.get(group))
            .map_or("", |(start, end)| &t[start..end]);
        out.append_value(found);
    }
    Ok(Arc::new(out.finish()))
}

fn matches_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(args, 0)?;
    let patterns = strings(args, 1)?;
    let mut cache = RegexCache { last: None };
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let (re, _) = cache.get(patterns.get(r).unwrap_or(""))?;
        out.push(Some(re.is_match(texts.get(r).unwrap_or(""))));
    }
    Ok(Arc::new(BooleanArray::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_takes_the_group_of_each_row() {
        use datafusion::arrow::array::{AsArray, Int64Array, StringArray};
        let patterns: ArrayRef = Arc::new(StringArray::from(vec![
            "id=([0-9]+)",
            "id=([0-9]+)",
            "id=([0-9]+)",
            "(a)(b)?",
            "(a)(b)?",
        ]));
        let groups: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1, 2, 5]));
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("x id=42 y"),
            Some("id=7"),
            Some("none"),
            Some("a"),
            None,
        ]));
        let out = extract_body(&[patterns, groups, texts], 5).unwrap();
        let got: Vec<Option<&str>> = out.as_string::<i32>().iter().collect();
        assert_eq!(
            got,
            [Some("42"), Some("id=7"), Some(""), Some(""), Some("")]
        );
    }

    #[test]
    fn bad_regex_is_an_error_not_a_panic() {
        assert!(compile_regex("(unclosed").is_err());
    }

    #[test]
    fn re2_forms_compile() {
        assert_eq!(re2_to_rust("[[]"), "[\\[]");
        assert_eq!(re2_to_rust("[]a]"), "[\\]a]");
        assert_eq!(re2_to_rust("a\\0b\\Z"), "a\\x00b\\z");
        assert_eq!(re2_to_rust("[[:alpha:]]"), "[[:alpha:]]");
        assert_eq!(re2_to_rust("a{2,3}b{,}c{x}"), "a{2,3}b\\{,\\}c\\{x\\}");
        assert!(compile_regex("\"Details\":\"{(.*?):").is_ok());
        assert!(compile_regex("\\<\\w{ 38,42} \\@").is_ok());
        assert!(compile_regex("(\\$|%24)([^jJ]*[jJ])([[])").is_ok());
        assert!(compile_regex("x[[]y").unwrap().is_match("x[y"));
    }
}
