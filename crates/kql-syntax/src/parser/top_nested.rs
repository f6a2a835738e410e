//! The `top-nested` operator: levels of `top-nested [N] of Expr [with others = V] by Agg
//! [asc|desc]`, separated by commas.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::token::Punct;

impl Parser {
    /// Parses the levels after the first `top-nested` (already read).
    pub(super) fn top_nested(&mut self) -> Result<OperatorKind, Diagnostic> {
        let mut levels = Vec::new();
        loop {
            let count = if self.at_kw("of") {
                None
            } else {
                Some(self.expr()?)
            };
            self.expect_kw("of")?;
            let of = self.named_expr()?;
            let others = if self.at_kw("with") {
                self.bump();
                self.expect_kw("others")?;
                self.expect_punct(Punct::Assign)?;
                Some(self.expr()?)
            } else {
                None
            };
            self.expect_kw("by")?;
            let by = self.named_expr()?;
            let ascending = if self.eat_kw("asc") {
                true
            } else {
                self.eat_kw("desc");
                false
            };
            levels.push(TopNestedLevel {
                count,
                of,
                others,
                by,
                ascending,
            });
            if !self.eat_punct(Punct::Comma) {
                return Ok(OperatorKind::TopNested(levels));
            }
            let next = self.hyphenated_name()?;
            if next.name != "top-nested" {
                return Err(Diagnostic::error(
                    crate::diagnostic::codes::SYNTAX,
                    format!("expected 'top-nested'; found '{}'", next.name),
                    next.span,
                ));
            }
        }
    }
}
