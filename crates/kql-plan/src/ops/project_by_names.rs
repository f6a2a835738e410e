//! `project-by-names`: the columns that constant names select, in the order the names come;
//! a name may hold `*` wildcards, a dynamic array holds several names, and names that match
//! no column select nothing.

use crate::binder::Binder;
use crate::names::wildcard_match;
use crate::tab::Tab;
use datafusion::common::ScalarValue;
use kql_syntax::ast::Expr;
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use serde_json::Value;

impl Binder<'_> {
    pub(super) fn project_by_names(
        &mut self,
        input: Tab,
        names: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut patterns = Vec::new();
        for e in names {
            let v = self.scalar(e, None)?;
            let text = match self.constant(&v, e.span)? {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => s,
                _ => {
                    return Err(Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "project-by-names takes constant strings or arrays of strings",
                        e.span,
                    ));
                }
            };
            // A dynamic array arrives as its JSON text; a string as itself.
            match (v.ty, serde_json::from_str::<Value>(&text)) {
                (kql_types::KType::Dynamic, Ok(Value::Array(items))) => {
                    patterns.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                }
                (kql_types::KType::Dynamic, Ok(Value::String(s))) => patterns.push(s),
                _ => patterns.push(text),
            }
        }
        let all = input.all_columns();
        let mut chosen: Vec<usize> = Vec::new();
        for p in &patterns {
            for (i, (_, name)) in all.iter().enumerate() {
                if wildcard_match(p, name) && !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
        }
        let cols = chosen.into_iter().map(|i| all[i].clone()).collect();
        input.project(cols, span)
    }
}
