//! The KQL parser: a hand-written recursive-descent parser with a precedence loop for
//! expressions. It stops at the first error and reports what it expected.

mod expr;
mod graph;
mod make_series;
mod operators;
mod pattern;
mod scan;
mod search;
mod top_nested;

use crate::ast::*;
use crate::diagnostic::{Diagnostic, codes};
use crate::lexer::tokenize;
use crate::span::Span;
use crate::token::{Punct, Token, TokenKind};

/// Nesting depth beyond which the parser gives a diagnostic instead of recursing further.
const MAX_DEPTH: usize = 128;

/// How many operators a chain (`a or b or ...`, `T | op | op ...`, `x.a.b ...`) may link,
/// summed over the chains one inside another: each link is a level of the tree that the
/// binder and DataFusion walk recursively.
const MAX_LINKS: usize = 1000;

/// When less stack than this remains, recursion continues on a new stack segment...
const STACK_RED_ZONE: usize = 128 * 1024;
/// ...of this size.
const STACK_GROWTH: usize = 2 * 1024 * 1024;

/// Parses a whole query text: statements separated by `;`.
pub fn parse(src: &str) -> Result<Script, Diagnostic> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        links: 0,
    };
    p.script()
}

/// Parses a single expression (no statements), e.g. for a `--param` value.
pub fn parse_expr(src: &str) -> Result<Expr, Diagnostic> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        links: 0,
    };
    let e = p.pipe_expr()?;
    p.expect_eof()?;
    Ok(e)
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Chain links open on the current path (see `MAX_LINKS`).
    links: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end
        }
    }

    fn at_punct(&self, p: Punct) -> bool {
        self.peek().kind == TokenKind::Punct(p)
    }

    fn eat_punct(&mut self, p: Punct) -> bool {
        if self.at_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, p: Punct) -> Result<Span, Diagnostic> {
        if self.at_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(&format!("'{}'", p.as_str())))
        }
    }

    /// Is the next token the (unquoted, case-sensitive) keyword `kw`?
    fn at_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident { name, quoted: false } if name == kw)
    }

    fn at_kw_at(&self, ahead: usize, kw: &str) -> bool {
        matches!(&self.peek_at(ahead).kind, TokenKind::Ident { name, quoted: false } if name == kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Span, Diagnostic> {
        if self.at_kw(kw) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(&format!("'{kw}'")))
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        let t = self.peek();
        Diagnostic::error(
            codes::SYNTAX,
            format!("expected {what}; found {}", t.describe()),
            t.span,
        )
    }

    fn expect_eof(&self) -> Result<(), Diagnostic> {
        if self.peek().kind == TokenKind::Eof {
            Ok(())
        } else {
            Err(self.expected("end of input"))
        }
    }

    /// How many tokens a name at `ahead` takes: 1 for `Name`, 3 for `['quoted name']`.
    fn name_len_at(&self, ahead: usize) -> Option<usize> {
        match &self.peek_at(ahead).kind {
            TokenKind::Ident { .. } => Some(1),
            TokenKind::Punct(Punct::LBracket)
                if matches!(self.peek_at(ahead + 1).kind, TokenKind::String(_))
                    && self.peek_at(ahead + 2).kind == TokenKind::Punct(Punct::RBracket) =>
            {
                Some(3)
            }
            _ => None,
        }
    }

    fn name(&mut self) -> Result<Name, Diagnostic> {
        match self.name_len_at(0) {
            Some(1) => {
                let span = self.peek().span;
                let TokenKind::Ident { name, .. } = self.bump().kind else {
                    unreachable!("name_len_at checked the token kind")
                };
                Ok(Name { name, span })
            }
            Some(_) => {
                let start = self.bump().span;
                let TokenKind::String(name) = self.bump().kind else {
                    unreachable!("name_len_at checked the token kind")
                };
                let end = self.bump().span;
                Ok(Name {
                    name,
                    span: start.to(end),
                })
            }
            None => Err(self.expected("a name")),
        }
    }

    /// A name that may contain `-` between adjacent parts (`mv-expand`, `project-away`).
    fn hyphenated_name(&mut self) -> Result<Name, Diagnostic> {
        let mut n = self.name()?;
        while self.at_punct(Punct::Minus)
            && self.peek().span.start == n.span.end
            && matches!(self.peek_at(1).kind, TokenKind::Ident { quoted: false, .. })
            && self.peek_at(1).span.start == self.peek().span.end
        {
            self.bump();
            let part = self.name()?;
            n.name = format!("{}-{}", n.name, part.name);
            n.span = n.span.to(part.span);
        }
        Ok(n)
    }

    /// Runs `f` with enough stack for one more level of recursion, growing the stack on the
    /// heap when the current one runs low: deep input never overflows a thread's stack.
    fn deeper<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || f(self))
    }

    pub(super) fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(
                codes::LIMIT,
                format!("the query nests deeper than {MAX_DEPTH} levels"),
                self.peek().span,
            ));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Counts one more link of a chain (`links` is the chain's own count).
    fn link(&mut self, links: &mut usize) -> Result<(), Diagnostic> {
        *links += 1;
        self.links += 1;
        if self.links > MAX_LINKS {
            return Err(Diagnostic::error(
                codes::LIMIT,
                format!("the query chains more than {MAX_LINKS} operators in one expression"),
                self.peek().span,
            )
            .with_help(
                "split it with `let` statements, or use `in (...)` for long lists of alternatives",
            ));
        }
        Ok(())
    }

    /// Closes a chain of `links` links.
    fn unlink(&mut self, links: usize) {
        self.links -= links;
    }

    fn script(&mut self) -> Result<Script, Diagnostic> {
        let statements = self.statements(&[])?;
        self.expect_eof()?;
        Ok(Script { statements })
    }

    /// Statements separated by `;` until end of input or one of `closers`.
    pub(super) fn statements(&mut self, closers: &[Punct]) -> Result<Vec<Statement>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            while self.eat_punct(Punct::Semicolon) {}
            if self.peek().kind == TokenKind::Eof || closers.iter().any(|c| self.at_punct(*c)) {
                return Ok(out);
            }
            out.push(self.statement()?);
            if !self.eat_punct(Punct::Semicolon) {
                return Ok(out);
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, Diagnostic> {
        if self.at_kw("let") {
            return self.let_stmt().map(Statement::Let);
        }
        if self.at_kw("declare") && self.at_kw_at(1, "pattern") {
            return self.pattern_decl().map(Statement::Pattern);
        }
        if self.at_kw("declare") && self.at_kw_at(1, "query_parameters") {
            let start = self.bump().span;
            self.bump();
            self.expect_punct(Punct::LParen)?;
            let params = self.params_until_rparen()?;
            return Ok(Statement::DeclareParams(
                params,
                start.to(Span::new(start.start, self.prev_end())),
            ));
        }
        if self.at_kw("set") && matches!(self.peek_at(1).kind, TokenKind::Ident { .. }) {
            let start = self.bump().span;
            let name = self.name()?;
            let value = if self.eat_punct(Punct::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            while !matches!(
                self.peek().kind,
                TokenKind::Eof | TokenKind::Punct(Punct::Semicolon)
            ) {
                self.bump();
            }
            return Ok(Statement::Set(
                name,
                value,
                start.to(Span::new(start.start, self.prev_end())),
            ));
        }
        Ok(Statement::Query(self.pipe_expr()?))
    }

    fn let_stmt(&mut self) -> Result<LetStmt, Diagnostic> {
        let start = self.expect_kw("let")?;
        let name = self.name()?;
        self.expect_punct(Punct::Assign)?;
        let is_view = self.at_kw("view") && self.peek_at(1).kind == TokenKind::Punct(Punct::LParen);
        let value = if is_view || self.function_def_ahead() {
            LetValue::Function(self.function_def(is_view)?)
        } else {
            LetValue::Expr(self.pipe_expr()?)
        };
        Ok(LetStmt {
            name,
            value,
            span: start.to(Span::new(start.start, self.prev_end())),
        })
    }

    /// After `let f =`: does a parameter list followed by `{` come next?
    fn function_def_ahead(&self) -> bool {
        if !self.at_punct(Punct::LParen) {
            return false;
        }
        let mut depth = 0usize;
        let mut i = self.pos;
        while i < self.tokens.len() {
            match self.tokens[i].kind {
                TokenKind::Punct(Punct::LParen) => depth += 1,
                TokenKind::Punct(Punct::RParen) => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(
                            self.tokens.get(i + 1).map(|t| &t.kind),
                            Some(TokenKind::Punct(Punct::LBrace))
                        );
                    }
                }
                TokenKind::Eof => return false,
                _ => {}
            }
            i += 1;
        }
        false
    }

    fn function_def(&mut self, is_view: bool) -> Result<FunctionDef, Diagnostic> {
        let start = self.peek().span;
        if is_view {
            self.bump();
        }
        self.expect_punct(Punct::LParen)?;
        let params = self.params_until_rparen()?;
        self.expect_punct(Punct::LBrace)?;
        self.enter()?;
        let mut body = self.statements(&[Punct::RBrace])?;
        self.leave();
        let close = self.expect_punct(Punct::RBrace)?;
        let result = match body.pop() {
            Some(Statement::Query(e)) => e,
            _ => {
                return Err(Diagnostic::error(
                    codes::SYNTAX,
                    "a function body must end with an expression",
                    close,
                ));
            }
        };
        Ok(FunctionDef {
            params,
            body,
            result: Box::new(result),
            is_view,
            span: start.to(close),
        })
    }

    /// `name: type [= default], ...)` (the opening parenthesis already consumed).
    pub(super) fn params_until_rparen(&mut self) -> Result<Vec<Param>, Diagnostic> {
        let mut params = Vec::new();
        if self.eat_punct(Punct::RParen) {
            return Ok(params);
        }
        loop {
            let name = self.name()?;
            self.expect_punct(Punct::Colon)?;
            let ty = if self.eat_punct(Punct::LParen) {
                let mut cols = Vec::new();
                if self.eat_punct(Punct::Star) {
                    self.expect_punct(Punct::RParen)?;
                } else {
                    cols = self.column_decls_until_rparen()?;
                }
                ParamType::Tabular(cols)
            } else {
                ParamType::Scalar(self.type_name()?)
            };
            let default = if self.eat_punct(Punct::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            params.push(Param { name, ty, default });
            if self.eat_punct(Punct::RParen) {
                return Ok(params);
            }
            self.expect_punct(Punct::Comma)?;
        }
    }

    fn column_decls_until_rparen(&mut self) -> Result<Vec<ColumnDecl>, Diagnostic> {
        let mut cols = Vec::new();
        if self.eat_punct(Punct::RParen) {
            return Ok(cols);
        }
        loop {
            let name = self.name()?;
            self.expect_punct(Punct::Colon)?;
            let ty = self.type_name()?;
            cols.push(ColumnDecl { name, ty });
            if self.eat_punct(Punct::RParen) {
                return Ok(cols);
            }
            self.expect_punct(Punct::Comma)?;
        }
    }

    pub(super) fn type_name(&mut self) -> Result<TypeName, Diagnostic> {
        let t = self.peek().clone();
        // `datetime` and friends lex as raw literals when followed by `(`; as type names
        // they are plain identifiers.
        match t.kind {
            TokenKind::Ident { name, .. } => {
                self.bump();
                Ok(TypeName {
                    name: name.to_ascii_lowercase(),
                    span: t.span,
                })
            }
            _ => Err(self.expected("a type name")),
        }
    }
}

#[cfg(test)]
mod tests;
