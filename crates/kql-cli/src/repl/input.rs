//! Reading a query over several lines: when the input is complete, and how to colour it.

/// Is the text so far a whole input? It is not while a bracket or a string is open or the
/// last line ends with `|`; an empty line or `;;` ends it anyway.
pub fn is_complete(text: &str) -> bool {
    // An empty last line (the buffer ends with the newline before it) runs what is there.
    if text.trim().is_empty() || text.ends_with('\n') || text.trim_end().ends_with(";;") {
        return true;
    }
    let (depth, in_string) = scan(text);
    depth <= 0 && !in_string && !text.trim_end().ends_with('|')
}

/// The text to run: without a trailing `;;`.
pub fn strip_terminator(text: &str) -> &str {
    let t = text.trim_end();
    t.strip_suffix(";;").unwrap_or(t).trim_end()
}

/// The bracket depth at the end of `text`, and whether a string is still open.
fn scan(text: &str) -> (i32, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '`' if chars.get(i + 1) == Some(&'`') && chars.get(i + 2) == Some(&'`') => {
                let rest: String = chars[i + 3..].iter().collect();
                match rest.find("```") {
                    Some(end) => i += 3 + rest[..end].chars().count() + 2,
                    None => return (depth, true),
                }
            }
            '\'' | '"' => {
                let verbatim = i > 0 && matches!(chars[i - 1], '@' | 'h' | 'H');
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return (depth, true),
                        Some('\\') if !verbatim => j += 2,
                        Some(q) if *q == c => break,
                        Some('\n') if !verbatim => return (depth, true),
                        Some(_) => j += 1,
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    (depth, false)
}

const KEYWORDS: &[&str] = &[
    "where",
    "extend",
    "project",
    "summarize",
    "by",
    "order",
    "sort",
    "top",
    "take",
    "limit",
    "join",
    "kind",
    "on",
    "union",
    "let",
    "and",
    "or",
    "not",
    "in",
    "has",
    "contains",
    "startswith",
    "endswith",
    "between",
    "distinct",
    "count",
    "mv-expand",
    "mv-apply",
    "parse",
    "print",
    "range",
    "datatable",
    "materialize",
    "asc",
    "desc",
    "lookup",
    "evaluate",
    "make-series",
    "from",
    "to",
    "step",
    "with",
    "true",
    "false",
];

/// ANSI colours for keywords, strings and numbers.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            out.push_str(&format!("\x1b[32m{s}\x1b[0m"));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push_str(&format!("\x1b[33m{s}\x1b[0m"));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-')) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if KEYWORDS.contains(&word.as_str()) {
                out.push_str(&format!("\x1b[1;34m{word}\x1b[0m"));
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_input_continues() {
        assert!(!is_complete("T |"));
        assert!(!is_complete("T | where (a"));
        assert!(!is_complete("print 'abc"));
        assert!(is_complete("T | take 1"));
        assert!(is_complete("T | where x == '(' "));
        assert!(is_complete("T |\n| take 1;;"));
        assert!(is_complete("T | where (a\n"));
        assert_eq!(strip_terminator("T | take 1;;"), "T | take 1");
    }
}
