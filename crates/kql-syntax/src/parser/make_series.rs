//! The `make-series` operator.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::token::{Punct, TokenKind};

impl Parser {
    pub(super) fn make_series(&mut self) -> Result<OperatorKind, Diagnostic> {
        let params = self.op_params()?;
        let mut aggregates = Vec::new();
        loop {
            let item = self.named_expr()?;
            let default = if self.at_kw("default")
                && self.peek_at(1).kind == TokenKind::Punct(Punct::Assign)
            {
                self.bump();
                self.bump();
                Some(self.expr()?)
            } else {
                None
            };
            aggregates.push((item, default));
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_kw("on")?;
        // `on Axis in range(...)`: the axis is a column, not the left side of `in`.
        let axis = match self.name_len_at(0) {
            Some(len) if self.at_kw_at(len, "in") => {
                let n = self.name()?;
                Expr {
                    span: n.span,
                    kind: ExprKind::Name(n),
                }
            }
            _ => self.expr()?,
        };
        let (mut from, mut to, step, inclusive);
        if self.eat_kw("in") {
            self.expect_kw("range")?;
            self.expect_punct(Punct::LParen)?;
            from = Some(self.expr()?);
            self.expect_punct(Punct::Comma)?;
            to = Some(self.expr()?);
            self.expect_punct(Punct::Comma)?;
            step = self.expr()?;
            self.expect_punct(Punct::RParen)?;
            inclusive = true;
        } else {
            from = None;
            to = None;
            if self.eat_kw("from") {
                from = Some(self.expr()?);
            }
            if self.eat_kw("to") {
                to = Some(self.expr()?);
            }
            self.expect_kw("step")?;
            step = self.expr()?;
            inclusive = false;
        }
        let by = if self.eat_kw("by") {
            self.named_exprs()?
        } else {
            Vec::new()
        };
        Ok(OperatorKind::MakeSeries(Box::new(MakeSeries {
            params,
            aggregates,
            axis,
            from,
            to,
            step,
            inclusive,
            by,
        })))
    }
}
