//! `parse` and `parse-where`: a pattern of literals, `*` and typed columns becomes one regex;
//! each column is a capture group, converted to its type (bad values are null). In the
//! default `simple` kind the whole text must match; `relaxed` allows a partial match; in the
//! `regex` kind the literals are regular expressions.

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::logical_expr::lit;
use kql_functions::Typed;
use kql_functions::text::{EXTRACT, MATCHES_REGEX};
use kql_syntax::ast::{Expr, ExprKind, OpParam, ParsePart};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Simple,
    Relaxed,
    Regex,
}

impl Binder<'_> {
    pub(super) fn parse(
        &mut self,
        input: Tab,
        params: &[OpParam],
        source: &Expr,
        pattern: &[ParsePart],
        where_: bool,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut kind = Kind::Simple;
        let mut flags = String::new();
        for p in params {
            match (p.name.name.as_str(), &p.value.kind) {
                ("kind", ExprKind::Name(n)) => {
                    kind = match n.name.as_str() {
                        "simple" => Kind::Simple,
                        "relaxed" => Kind::Relaxed,
                        "regex" => Kind::Regex,
                        other => {
                            return Err(Diagnostic::error(
                                codes::SYNTAX,
                                format!("unknown parse kind '{other}'"),
                                n.span,
                            ));
                        }
                    }
                }
                ("flags", ExprKind::Name(n)) => flags = n.name.clone(),
                _ => {
                    return Err(Diagnostic::unsupported(
                        format!("parse option '{}'", p.name.name),
                        p.name.span,
                    ));
                }
            }
        }
        let text = self.scalar(source, Some(&input))?;
        let text = Typed::new(kql_functions::coerce::to_text(&text), KType::String);
        let (regex, columns) = build_regex(pattern, kind, &flags)?;
        kql_functions::text::compile_regex(&regex)
            .map_err(|e| Diagnostic::error(codes::BAD_LITERAL, e.to_string(), span))?;
        let mut cols = input.all_columns();
        // parse-where keeps only rows whose typed values all converted.
        let mut converted = Vec::new();
        for (name, ty, group) in columns {
            let raw = Typed::new(
                EXTRACT.call(vec![
                    lit(regex.clone()),
                    lit(group as i64),
                    text.expr.clone(),
                ]),
                KType::String,
            );
            let value = super::convert_to(raw, ty, span)?;
            if ty != KType::String {
                converted.push(value.expr.clone().is_not_null());
            }
            match cols.iter().position(|(_, n)| *n == name) {
                Some(i) => cols[i].0 = value,
                None => cols.push((value, name)),
            }
        }
        let tab = if where_ {
            let matches = converted.into_iter().fold(
                MATCHES_REGEX.call(vec![text.expr.clone(), lit(regex.clone())]),
                |a, c| a.and(c),
            );
            let types = input.types.clone();
            input.build(span, |b| b.filter(matches), types)?
        } else {
            input
        };
        tab.project(cols, span)
    }
}

/// A pattern column: its name, type and capture group.
type ParsedColumn = (String, KType, usize);

/// The regex of a pattern, and its columns.
fn build_regex(
    pattern: &[ParsePart],
    kind: Kind,
    flags: &str,
) -> Result<(String, Vec<ParsedColumn>), Diagnostic> {
    // Simple and relaxed patterns match across lines; a regex pattern only with the `s` flag.
    let mut re = String::from(if kind == Kind::Regex { "(?" } else { "(?s" });
    for f in flags
        .chars()
        .filter(|c| matches!(c, 'i' | 'm' | 's' | 'U' | 'x'))
    {
        re.push(f);
    }
    re.push(')');
    if re == "(?)" {
        re.clear();
    }
    if kind == Kind::Simple {
        re.push('^');
    }
    let mut columns = Vec::new();
    let mut group = 0;
    for (i, part) in pattern.iter().enumerate() {
        let last = i + 1 == pattern.len();
        match part {
            ParsePart::Literal(s, span) => {
                if kind == Kind::Regex {
                    let groups = regex::Regex::new(s)
                        .map_err(|e| {
                            Diagnostic::error(
                                codes::BAD_LITERAL,
                                format!("invalid regex: {e}"),
                                *span,
                            )
                        })?
                        .captures_len()
                        - 1;
                    group += groups;
                    re.push_str(s);
                } else {
                    re.push_str(&regex::escape(s));
                }
            }
            ParsePart::Wildcard(_) => re.push_str(if last && kind != Kind::Regex {
                ".*"
            } else {
                ".*?"
            }),
            ParsePart::Column(name, ty) => {
                let ty = match ty {
                    Some(t) => crate::literal::resolve_type(t)?,
                    None => KType::String,
                };
                group += 1;
                // A relaxed pattern captures any text and nulls what does not convert; a
                // regex pattern's text columns are greedy (the `U` flag makes them lazy).
                // (A relaxed number takes the digits when there are some, else any text.)
                let relaxed = kind == Kind::Relaxed;
                re.push_str(match (ty, last) {
                    (KType::Long | KType::Int, _) if relaxed => r"(-?\d+|.*?)",
                    (KType::Real, _) if relaxed => r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|.*?)",
                    (KType::Long | KType::Int, _) => r"(-?\d+)",
                    (KType::Real, _) => r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)",
                    (_, true) => "(.*)",
                    _ if kind == Kind::Regex => "(.*)",
                    (_, false) => "(.*?)",
                });
                columns.push((name.name.clone(), ty, group));
            }
        }
    }
    if kind == Kind::Simple {
        re.push('$');
    }
    Ok((re, columns))
}
