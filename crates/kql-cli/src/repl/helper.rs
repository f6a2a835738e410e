//! The line editor's helper: completion of tables, columns, operators, functions and `let`
//! names; multi-line validation; syntax colours.

use super::input;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::collections::BTreeMap;

const OPERATORS: &[&str] = &[
    "as",
    "count",
    "distinct",
    "evaluate",
    "extend",
    "getschema",
    "invoke",
    "join",
    "limit",
    "lookup",
    "make-series",
    "mv-apply",
    "mv-expand",
    "order by",
    "parse",
    "parse-where",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "render",
    "sample",
    "serialize",
    "sort by",
    "summarize",
    "take",
    "top",
    "union",
    "where",
];

/// What completion offers; the REPL refreshes it after each input.
#[derive(Default)]
pub struct KqlHelper {
    /// Table name → its column names.
    pub tables: BTreeMap<String, Vec<String>>,
    /// Names the session's `let` statements define.
    pub lets: Vec<String>,
    /// Whether to colour the input.
    pub colour: bool,
}

impl KqlHelper {
    /// The columns of the table that starts the pipe the cursor is in.
    fn columns_before(&self, text: &str) -> Vec<String> {
        let statement = text.rsplit(';').next().unwrap_or(text);
        let first = statement
            .trim_start()
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        self.tables.get(first).cloned().unwrap_or_default()
    }
}

impl Completer for KqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let head = before[..start].trim_end();
        let mut names: Vec<String> = Vec::new();
        if word.starts_with('.') && head.is_empty() {
            names.extend(super::COMMANDS.iter().map(|c| c.to_string()));
        } else if head.ends_with('|') {
            names.extend(OPERATORS.iter().map(|o| o.to_string()));
        } else {
            names.extend(self.columns_before(before));
            names.extend(self.tables.keys().cloned());
            names.extend(self.lets.iter().cloned());
            names.extend(kql_functions::table::all().map(|f| format!("{}(", f.name)));
        }
        names.sort();
        names.dedup();
        let pairs = names
            .into_iter()
            // An empty word lists everything only after `|` (the operators).
            .filter(|n| {
                if word.is_empty() {
                    head.ends_with('|')
                } else {
                    n.starts_with(word)
                }
            })
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Validator for KqlHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let text = ctx.input();
        if text.trim_start().starts_with('.') || input::is_complete(text) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Highlighter for KqlHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour && !line.trim_start().starts_with('.') {
            Cow::Owned(input::highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Hinter for KqlHelper {
    type Hint = String;
}

impl Helper for KqlHelper {}
