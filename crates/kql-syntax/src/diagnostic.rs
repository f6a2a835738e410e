//! Diagnostics: what went wrong, where, and how to fix it; plain-text rendering with a caret.

use crate::span::{LineIndex, Span};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a query, with the span it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// A stable code: `KS…` where Kusto has one with the same meaning, else `KQL…`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            notes: Vec::new(),
            help: None,
        }
    }

    /// "not supported yet: <feature>", for valid KQL the engine does not run yet.
    pub fn unsupported(feature: impl AsRef<str>, span: Span) -> Self {
        Diagnostic::error(
            codes::UNSUPPORTED,
            format!("not supported yet: {}", feature.as_ref()),
            span,
        )
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Renders `origin:line:col: error[code]: message`, the source line and a caret.
    pub fn render(&self, source: &str, origin: &str) -> String {
        let index = LineIndex::new(source);
        let start = index.line_col(self.span.start);
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!(
            "{origin}:{}:{}: {kind}[{}]: {}\n",
            start.line, start.column, self.code, self.message
        );
        let line = index.line_text(start.line);
        let gutter = start.line.to_string();
        let pad = " ".repeat(gutter.len());
        let end = index.line_col(self.span.end.max(self.span.start));
        let width = if end.line == start.line {
            end.column.saturating_sub(start.column).max(1)
        } else {
            line.chars().count().saturating_sub(start.column - 1).max(1)
        };
        let (shown, column, width) = excerpt(line, start.column, width);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{gutter} | {shown}");
        let _ = writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(column - 1),
            "^".repeat(width)
        );
        for note in &self.notes {
            let _ = writeln!(out, "{pad} = note: {note}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

/// Lines longer than this are shown as a window around the caret.
const MAX_SHOWN: usize = 120;

/// The part of `line` to show, and the caret's 1-based column and width within it: long
/// lines (a query pasted on one line, generated text) are cut to a window around the span.
fn excerpt(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    // A span may point past the line's text (at a line break the line index counts apart).
    let column = column.clamp(1, chars.len() + 1);
    if chars.len() <= MAX_SHOWN {
        return (line.to_string(), column, width);
    }
    let first = column.saturating_sub(MAX_SHOWN / 3 + 1).min(chars.len());
    let last = (first + MAX_SHOWN).min(chars.len());
    let mut shown = String::new();
    if first > 0 {
        shown.push('…');
    }
    shown.extend(&chars[first..last]);
    if last < chars.len() {
        shown.push('…');
    }
    let column = column - first + usize::from(first > 0);
    let width = width.min((MAX_SHOWN + 2).saturating_sub(column)).max(1);
    (shown, column, width)
}

/// The catalog of diagnostic codes. Kusto's own codes where the meaning matches.
pub mod codes {
    /// Syntax error (Kusto: KS002 "unexpected token").
    pub const SYNTAX: &str = "KS002";
    /// Unterminated string or block.
    pub const UNTERMINATED: &str = "KS003";
    /// Invalid literal value.
    pub const BAD_LITERAL: &str = "KS004";
    /// Unknown name (Kusto: KS142 "the name does not refer to any known column, table, variable or function").
    pub const UNKNOWN_NAME: &str = "KS142";
    /// Unknown function (Kusto: KS119).
    pub const UNKNOWN_FUNCTION: &str = "KS119";
    /// Wrong argument count (Kusto: KS120).
    pub const ARG_COUNT: &str = "KS120";
    /// Wrong argument or operand type (Kusto: KS107).
    pub const TYPE_MISMATCH: &str = "KS107";
    /// Tabular expression expected, or a scalar one (Kusto: KS201).
    pub const EXPR_KIND: &str = "KS201";
    /// A valid construct the engine does not run yet.
    pub const UNSUPPORTED: &str = "KQL001";
    /// A query beyond a limit of the engine (nesting, chain length, plan depth, time, memory).
    pub const LIMIT: &str = "KQL002";
    /// Refused: a network resource, or a file outside the folders the user allowed.
    pub const REFUSED: &str = "KQL003";
    /// An error raised while the query executed.
    pub const RUNTIME: &str = "KQL100";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let src = "T\n| where Acount == 1";
        let d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            "unknown column 'Acount'",
            Span::new(10, 16),
        );
        let text = d.render(src, "query.kql");
        assert_eq!(
            text,
            "query.kql:2:9: error[KS142]: unknown column 'Acount'\n  |\n2 | | where Acount == 1\n  |         ^^^^^^\n"
        );
    }

    #[test]
    fn long_lines_show_a_window_around_the_caret() {
        let src = format!("print {}x", "(".repeat(1000));
        let d = Diagnostic::error(codes::LIMIT, "too deep", Span::new(806, 807));
        let text = d.render(&src, "q");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].chars().count() < 130, "{}", lines[2]);
        let caret = lines[3].find('^').unwrap();
        // The caret stands under the character the span starts at.
        let shown: Vec<char> = lines[2].chars().collect();
        assert_eq!(shown[lines[3][..caret].chars().count()], '(');
        assert!(lines[2].starts_with("1 | …") && lines[2].ends_with('…'));
    }

    #[test]
    fn a_span_past_the_line_end_renders() {
        // Found by the parse fuzzer: carriage returns make a line shorter than the column.
        let src = format!("let x = ({}(y", "\r".repeat(300));
        let d = crate::parse(&src).unwrap_err();
        assert!(d.render(&src, "q").contains("error["));
        let long = format!("print {}", "x".repeat(300));
        let d = Diagnostic::error(
            codes::SYNTAX,
            "past",
            Span::new(long.len() + 5, long.len() + 9),
        );
        assert!(d.render(&long, "q").contains('^'));
    }
}
