//! `parse-kv source as (columns) with (properties)`: one column per declared key, its value
//! converted to the column's type (null where the key is absent or the value does not fit).

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::logical_expr::lit;
use kql_functions::Typed;
use kql_functions::parse_kv::PARSE_KV;
use kql_syntax::ast::{ColumnDecl, Expr, OpParam};
use kql_syntax::{Diagnostic, Span};
use kql_types::KType;
use serde_json::{Map, Value};

impl Binder<'_> {
    pub(super) fn parse_kv(
        &mut self,
        input: Tab,
        source: &Expr,
        columns: &[ColumnDecl],
        properties: &[OpParam],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let text = self.scalar(source, Some(&input))?;
        let text = kql_functions::coerce::to_text(&text);
        let mut options = Map::new();
        for p in properties {
            let name = p.name.name.to_ascii_lowercase();
            let value = self.constant_text(&p.value)?;
            let value = match name.as_str() {
                "pair_delimiter" | "kv_delimiter" | "quote" | "escape" | "regex" => {
                    Value::String(value)
                }
                "greedy" => Value::Bool(value.eq_ignore_ascii_case("true")),
                other => {
                    return Err(Diagnostic::unsupported(
                        format!("parse-kv property '{other}'"),
                        p.name.span,
                    ));
                }
            };
            options.insert(name, value);
        }
        let options = lit(Value::Object(options).to_string());
        let mut cols = input.all_columns();
        for c in columns {
            let ty = crate::literal::resolve_type(&c.ty)?;
            let name = c.name.name.clone();
            let raw = Typed::new(
                PARSE_KV.call(vec![text.clone(), lit(name.clone()), options.clone()]),
                KType::String,
            );
            let value = super::convert_to(raw, ty, span)?;
            match cols.iter().position(|(_, n)| *n == name) {
                Some(i) => cols[i].0 = value,
                None => cols.push((value, name)),
            }
        }
        input.project(cols, span)
    }
}
