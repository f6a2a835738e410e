//! The `search` operator: `search [kind=case_sensitive] [in (T1, T2, ...)] Predicate`.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::token::Punct;

impl Parser {
    pub(super) fn search(&mut self) -> Result<OperatorKind, Diagnostic> {
        let params = self.graph_params()?;
        let mut tables = Vec::new();
        if self.eat_kw("in") {
            self.expect_punct(Punct::LParen)?;
            loop {
                tables.push(self.unary_operand()?);
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.expect_punct(Punct::RParen)?;
        }
        let predicate = self.expr()?;
        Ok(OperatorKind::Search {
            params,
            tables,
            predicate,
        })
    }
}
