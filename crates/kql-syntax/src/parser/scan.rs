//! The `scan` operator: `scan [with_match_id=Id] [declare (Col: type [= default], ...)]
//! with (step Name [output=all|last|none]: Condition [=> Col = Expr, ...]; ...)`.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::token::{Punct, TokenKind};

impl Parser {
    pub(super) fn scan(&mut self) -> Result<OperatorKind, Diagnostic> {
        let params = self.graph_params()?;
        let mut declare = Vec::new();
        if self.eat_kw("declare") {
            self.expect_punct(Punct::LParen)?;
            loop {
                let name = self.name()?;
                self.expect_punct(Punct::Colon)?;
                let ty = self.type_name()?;
                let default = if self.eat_punct(Punct::Assign) {
                    Some(self.expr()?)
                } else {
                    None
                };
                declare.push((ColumnDecl { name, ty }, default));
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.expect_punct(Punct::RParen)?;
        }
        self.expect_kw("with")?;
        self.expect_punct(Punct::LParen)?;
        let mut steps = Vec::new();
        while self.eat_kw("step") {
            let name = self.name()?;
            let mut output = ScanOutput::All;
            if self.at_kw("output") && self.peek_at(1).kind == TokenKind::Punct(Punct::Assign) {
                self.bump();
                self.bump();
                output = match self.name()?.name.as_str() {
                    "all" => ScanOutput::All,
                    "last" => ScanOutput::Last,
                    "none" => ScanOutput::None,
                    _ => return Err(self.expected("all, last or none")),
                };
            }
            self.expect_punct(Punct::Colon)?;
            let condition = self.expr()?;
            let mut assignments = Vec::new();
            if self.eat_punct(Punct::Arrow) {
                loop {
                    let column = self.name()?;
                    self.expect_punct(Punct::Assign)?;
                    assignments.push((column, self.expr()?));
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
            }
            self.expect_punct(Punct::Semicolon)?;
            steps.push(ScanStep {
                name,
                output,
                condition,
                assignments,
            });
        }
        self.expect_punct(Punct::RParen)?;
        Ok(OperatorKind::Scan(Box::new(Scan {
            params,
            declare,
            steps,
        })))
    }
}
