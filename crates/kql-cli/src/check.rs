//! `kql check`: parse, bind and plan queries without data, as a rule repository's CI would.

use crate::args::{CheckArgs, CheckFormat};
use crate::source::{QuerySource, collect_queries};
use crate::{EXIT_QUERY_FAILED, EXIT_USAGE};
use kql::Session;
use kql_syntax::LineIndex;
use serde_json::json;

pub fn check(a: CheckArgs) -> u8 {
    let mut session = Session::new();
    for s in &a.schema {
        if let Err(e) = session.load_schema(s) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    }
    if let Err(e) = session.declare_builtin_tables() {
        eprintln!("error: the built-in schemas: {e}");
        return EXIT_USAGE;
    }
    let mut queries: Vec<QuerySource> = Vec::new();
    for p in &a.paths {
        match collect_queries(p) {
            Ok(q) => queries.extend(q),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let (mut ok, mut failed) = (0usize, 0usize);
    let mut report = Vec::new();
    for q in &queries {
        match session.check(&q.text) {
            Ok(()) => {
                ok += 1;
                if matches!(a.format, CheckFormat::Json) {
                    report.push(json!({"file": q.origin, "id": q.id, "ok": true}));
                }
            }
            Err(d) => {
                failed += 1;
                let at = LineIndex::new(&q.text).line_col(d.span.start);
                match a.format {
                    CheckFormat::Text => eprint!("{}", d.render(&q.text, &q.label())),
                    CheckFormat::Json => report.push(json!({
                        "file": q.origin, "id": q.id, "ok": false,
                        "diagnostic": {"code": d.code, "message": d.message,
                                       "line": at.line + q.first_line - 1, "column": at.column}
                    })),
                }
            }
        }
    }
    match a.format {
        CheckFormat::Text => println!("{ok} ok, {failed} failed"),
        CheckFormat::Json => println!("{}", json!({"ok": ok, "failed": failed, "queries": report})),
    }
    if failed > 0 { EXIT_QUERY_FAILED } else { 0 }
}
