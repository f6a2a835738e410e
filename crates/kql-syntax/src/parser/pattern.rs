//! The pattern statement: `declare pattern Name = (arg: string, ...) [path: string]
//! { ("value", ...).["path"] = { query }; ... };` (or just `declare pattern Name`).

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::token::Punct;

impl Parser {
    pub(super) fn pattern_decl(&mut self) -> Result<PatternDecl, Diagnostic> {
        let start = self.bump().span;
        self.bump();
        let name = self.name()?;
        let mut decl = PatternDecl {
            name,
            params: Vec::new(),
            path: None,
            entries: Vec::new(),
            span: start,
        };
        if self.eat_punct(Punct::Assign) {
            self.expect_punct(Punct::LParen)?;
            decl.params = self.params_until_rparen()?;
            if self.eat_punct(Punct::LBracket) {
                let mut path = self.params_until_rparen_like(Punct::RBracket)?;
                decl.path = path.pop();
            }
            self.expect_punct(Punct::LBrace)?;
            while self.at_punct(Punct::LParen) {
                decl.entries.push(self.pattern_entry()?);
                while self.eat_punct(Punct::Semicolon) {}
            }
            self.expect_punct(Punct::RBrace)?;
        }
        decl.span = start.to(Span::new(start.start, self.prev_end()));
        Ok(decl)
    }

    /// `name: type` inside brackets (the pattern's path parameter).
    fn params_until_rparen_like(&mut self, close: Punct) -> Result<Vec<Param>, Diagnostic> {
        let name = self.name()?;
        self.expect_punct(Punct::Colon)?;
        let ty = self.type_name()?;
        self.expect_punct(close)?;
        Ok(vec![Param {
            name,
            ty: ParamType::Scalar(ty),
            default: None,
        }])
    }

    fn pattern_entry(&mut self) -> Result<PatternEntry, Diagnostic> {
        self.expect_punct(Punct::LParen)?;
        let mut args = Vec::new();
        if !self.at_punct(Punct::RParen) {
            args = self.expr_list()?;
        }
        self.expect_punct(Punct::RParen)?;
        let path = if self.eat_punct(Punct::Dot) {
            self.expect_punct(Punct::LBracket)?;
            let p = self.expr()?;
            self.expect_punct(Punct::RBracket)?;
            Some(p)
        } else {
            None
        };
        self.expect_punct(Punct::Assign)?;
        let open = self.expect_punct(Punct::LBrace)?;
        self.enter()?;
        let mut body = self.statements(&[Punct::RBrace])?;
        self.leave();
        self.expect_punct(Punct::RBrace)?;
        let result = match body.pop() {
            Some(Statement::Query(e)) => e,
            _ => {
                return Err(Diagnostic::error(
                    crate::diagnostic::codes::SYNTAX,
                    "a pattern's entry must end with a query",
                    open,
                ));
            }
        };
        Ok(PatternEntry {
            args,
            path,
            body,
            result: Box::new(result),
        })
    }
}
