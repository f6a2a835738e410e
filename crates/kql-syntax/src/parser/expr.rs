//! Expressions: a precedence climb from `or` down to postfix member access and calls.
//!
//! Precedence, lowest first: `|` (pipe), `or`, `and`, comparisons and string operators
//! (`==`, `has`, `in`, `between`, ...), `+ -`, `* / %`, unary `-`, postfix `.`/`[]`.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::{Diagnostic, codes};
use crate::span::Span;
use crate::token::{Punct, TokenKind};

/// Operators that start a tabular expression with no input (`print 1`, `range x from ...`).
const SOURCE_OPERATORS: &[&str] = &[
    "print",
    "range",
    "datatable",
    "externaldata",
    "union",
    "evaluate",
    "find",
    "search",
];

impl Parser {
    fn mk(&self, kind: ExprKind, start: usize) -> Expr {
        Expr {
            kind,
            span: Span::new(start, self.prev_end()),
        }
    }

    /// An expression that may continue with `| operator ...`.
    pub(crate) fn pipe_expr(&mut self) -> Result<Expr, Diagnostic> {
        self.deeper(Self::pipe_expr_inner)
    }

    fn pipe_expr_inner(&mut self) -> Result<Expr, Diagnostic> {
        self.enter()?;
        let start = self.peek().span.start;
        let mut e = if self.at_punct(Punct::Pipe) {
            // A leading pipe is not valid KQL, but say so clearly.
            return Err(self.expected("a table or expression before '|'"));
        } else {
            self.expr()?
        };
        let mut links = 0;
        while self.eat_punct(Punct::Pipe) {
            self.link(&mut links)?;
            let op = self.operator()?;
            e = self.mk(
                ExprKind::Pipe {
                    input: Box::new(e),
                    op: Box::new(op),
                },
                start,
            );
        }
        self.unlink(links);
        self.leave();
        Ok(e)
    }

    /// A scalar-level expression (no pipes).
    pub(crate) fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.deeper(|p| {
            p.enter()?;
            let r = p.or_expr();
            p.leave();
            r
        })
    }

    fn or_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let mut lhs = self.and_expr()?;
        let mut links = 0;
        while self.eat_kw("or") {
            self.link(&mut links)?;
            let rhs = self.and_expr()?;
            lhs = self.mk(binary(BinaryOp::Or, lhs, rhs), start);
        }
        self.unlink(links);
        Ok(lhs)
    }

    fn and_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let mut lhs = self.cmp_expr()?;
        let mut links = 0;
        while self.eat_kw("and") {
            self.link(&mut links)?;
            let rhs = self.cmp_expr()?;
            lhs = self.mk(binary(BinaryOp::And, lhs, rhs), start);
        }
        self.unlink(links);
        Ok(lhs)
    }

    /// Reads a string-operator / `in` / `between` keyword with its `!` and `~` decorations.
    fn relational_word(&mut self) -> Option<RelWord> {
        let bang = self.at_punct(Punct::Bang);
        let word_tok = if bang { self.peek_at(1) } else { self.peek() };
        let TokenKind::Ident {
            name,
            quoted: false,
        } = &word_tok.kind
        else {
            return None;
        };
        if bang && word_tok.span.start != self.peek().span.end {
            return None;
        }
        let word = name.clone();
        let word_end = word_tok.span.end;
        let (kind, cs) = match word.as_str() {
            "has" => (RelKind::Str(StrOpKind::Has), false),
            "has_cs" => (RelKind::Str(StrOpKind::Has), true),
            "hasprefix" => (RelKind::Str(StrOpKind::HasPrefix), false),
            "hasprefix_cs" => (RelKind::Str(StrOpKind::HasPrefix), true),
            "hassuffix" => (RelKind::Str(StrOpKind::HasSuffix), false),
            "hassuffix_cs" => (RelKind::Str(StrOpKind::HasSuffix), true),
            "contains" => (RelKind::Str(StrOpKind::Contains), false),
            "contains_cs" | "containscs" => (RelKind::Str(StrOpKind::Contains), true),
            "notcontains" if !bang => (RelKind::NotWord(StrOpKind::Contains), false),
            "notcontainscs" if !bang => (RelKind::NotWord(StrOpKind::Contains), true),
            "startswith" => (RelKind::Str(StrOpKind::StartsWith), false),
            "startswith_cs" => (RelKind::Str(StrOpKind::StartsWith), true),
            "endswith" => (RelKind::Str(StrOpKind::EndsWith), false),
            "endswith_cs" => (RelKind::Str(StrOpKind::EndsWith), true),
            "has_any" if !bang => (RelKind::Str(StrOpKind::HasAny), false),
            "has_all" if !bang => (RelKind::Str(StrOpKind::HasAll), false),
            "matches" if !bang && self.at_kw_at(1, "regex") => (RelKind::Regex, true),
            "in" => (RelKind::In, true),
            "between" => (RelKind::Between, false),
            _ => return None,
        };
        self.bump();
        if bang {
            self.bump();
        }
        let mut case_sensitive = cs;
        if matches!(kind, RelKind::Regex) {
            self.bump();
        }
        if matches!(kind, RelKind::In)
            && self.at_punct(Punct::Tilde)
            && self.peek().span.start == word_end
        {
            self.bump();
            case_sensitive = false;
        }
        Some(RelWord {
            kind,
            negated: bang,
            case_sensitive,
        })
    }

    fn cmp_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let lhs = self.add_expr()?;
        let op = match self.peek().kind {
            TokenKind::Punct(Punct::EqEq) => Some(BinaryOp::Eq),
            TokenKind::Punct(Punct::NotEq | Punct::LtGt) => Some(BinaryOp::NotEq),
            TokenKind::Punct(Punct::Lt) => Some(BinaryOp::Lt),
            TokenKind::Punct(Punct::Le) => Some(BinaryOp::Le),
            TokenKind::Punct(Punct::Gt) => Some(BinaryOp::Gt),
            TokenKind::Punct(Punct::Ge) => Some(BinaryOp::Ge),
            TokenKind::Punct(Punct::EqTilde) => Some(BinaryOp::EqTilde),
            TokenKind::Punct(Punct::BangTilde) => Some(BinaryOp::NotTilde),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let rhs = self.add_expr()?;
            return Ok(self.mk(binary(op, lhs, rhs), start));
        }
        let Some(word) = self.relational_word() else {
            return Ok(lhs);
        };
        match word.kind {
            RelKind::Str(kind) | RelKind::NotWord(kind) => {
                let negated = word.negated || matches!(word.kind, RelKind::NotWord(_));
                let op = BinaryOp::Str(StrOp {
                    kind,
                    negated,
                    case_sensitive: word.case_sensitive,
                });
                let rhs = if matches!(kind, StrOpKind::HasAny | StrOpKind::HasAll) {
                    let list_start = self.peek().span.start;
                    let items = self.paren_list()?;
                    self.mk(ExprKind::Tuple(items), list_start)
                } else {
                    self.add_expr()?
                };
                Ok(self.mk(binary(op, lhs, rhs), start))
            }
            RelKind::Regex => {
                let rhs = self.add_expr()?;
                let op = BinaryOp::Str(StrOp {
                    kind: StrOpKind::MatchesRegex,
                    negated: false,
                    case_sensitive: true,
                });
                Ok(self.mk(binary(op, lhs, rhs), start))
            }
            RelKind::In => {
                let list = self.paren_list()?;
                Ok(self.mk(
                    ExprKind::In {
                        lhs: Box::new(lhs),
                        negated: word.negated,
                        case_insensitive: !word.case_sensitive,
                        list,
                    },
                    start,
                ))
            }
            RelKind::Between => {
                self.expect_punct(Punct::LParen)?;
                let low = self.add_expr()?;
                self.expect_punct(Punct::DotDot)?;
                let high = self.add_expr()?;
                self.expect_punct(Punct::RParen)?;
                Ok(self.mk(
                    ExprKind::Between {
                        lhs: Box::new(lhs),
                        negated: word.negated,
                        low: Box::new(low),
                        high: Box::new(high),
                    },
                    start,
                ))
            }
        }
    }

    /// `( item, item, ... )` where an item may be a tabular expression.
    fn paren_list(&mut self) -> Result<Vec<Expr>, Diagnostic> {
        self.expect_punct(Punct::LParen)?;
        let mut items = Vec::new();
        if self.eat_punct(Punct::RParen) {
            return Ok(items);
        }
        loop {
            items.push(self.pipe_expr()?);
            if self.eat_punct(Punct::RParen) {
                return Ok(items);
            }
            self.expect_punct(Punct::Comma)?;
        }
    }

    fn add_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let mut lhs = self.mul_expr()?;
        let mut links = 0;
        loop {
            let op = match self.peek().kind {
                TokenKind::Punct(Punct::Plus) => BinaryOp::Add,
                TokenKind::Punct(Punct::Minus) => BinaryOp::Sub,
                _ => {
                    self.unlink(links);
                    return Ok(lhs);
                }
            };
            self.link(&mut links)?;
            self.bump();
            let rhs = self.mul_expr()?;
            lhs = self.mk(binary(op, lhs, rhs), start);
        }
    }

    fn mul_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let mut lhs = self.unary_expr()?;
        let mut links = 0;
        loop {
            let op = match self.peek().kind {
                TokenKind::Punct(Punct::Star) => BinaryOp::Mul,
                TokenKind::Punct(Punct::Slash) => BinaryOp::Div,
                TokenKind::Punct(Punct::Percent) => BinaryOp::Mod,
                _ => {
                    self.unlink(links);
                    return Ok(lhs);
                }
            };
            self.link(&mut links)?;
            self.bump();
            let rhs = self.unary_expr()?;
            lhs = self.mk(binary(op, lhs, rhs), start);
        }
    }

    fn unary_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let op = match self.peek().kind {
            TokenKind::Punct(Punct::Minus) => UnaryOp::Neg,
            TokenKind::Punct(Punct::Plus) => UnaryOp::Plus,
            _ => return self.postfix_expr(),
        };
        self.bump();
        self.enter()?;
        let operand = self.deeper(Self::unary_expr)?;
        self.leave();
        // Fold the sign into numeric literals so that `-1` is a literal.
        let kind = match (op, operand.kind) {
            (UnaryOp::Neg, ExprKind::Literal(Literal::Long(v))) => {
                ExprKind::Literal(Literal::Long(v.wrapping_neg()))
            }
            (UnaryOp::Neg, ExprKind::Literal(Literal::Real(v))) => {
                ExprKind::Literal(Literal::Real(-v))
            }
            (UnaryOp::Neg, ExprKind::Literal(Literal::Timespan(v))) => {
                ExprKind::Literal(Literal::Timespan(-v))
            }
            (op, kind) => ExprKind::Unary {
                op,
                operand: Box::new(Expr {
                    kind,
                    span: operand.span,
                }),
            },
        };
        Ok(self.mk(kind, start))
    }

    /// A postfix-level expression: a primary with member access, indexing and calls.
    pub(crate) fn postfix_expr(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().span.start;
        let mut e = self.primary()?;
        let mut links = 0;
        loop {
            if self.at_punct(Punct::Dot)
                && self.peek_at(1).kind == TokenKind::Punct(Punct::LBracket)
            {
                // `a.[0]` is the same as `a[0]`.
                self.bump();
            } else if self.at_punct(Punct::Dot) {
                self.bump();
                self.link(&mut links)?;
                let name = self.name()?;
                e = self.mk(
                    ExprKind::Member {
                        target: Box::new(e),
                        name,
                    },
                    start,
                );
            } else if self.at_punct(Punct::LBracket) {
                self.bump();
                self.link(&mut links)?;
                let index = self.expr()?;
                self.expect_punct(Punct::RBracket)?;
                e = self.mk(
                    ExprKind::Index {
                        target: Box::new(e),
                        index: Box::new(index),
                    },
                    start,
                );
            } else {
                self.unlink(links);
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let tok = self.peek().clone();
        let start = tok.span.start;
        match tok.kind {
            TokenKind::String(_) => {
                let mut text = String::new();
                // Adjacent string literals concatenate.
                while let TokenKind::String(s) = &self.peek().kind {
                    text.push_str(s);
                    self.bump();
                }
                Ok(self.mk(ExprKind::Literal(Literal::String(text)), start))
            }
            TokenKind::Long(v) => {
                self.bump();
                Ok(self.mk(ExprKind::Literal(Literal::Long(v)), start))
            }
            TokenKind::Real(v) => {
                self.bump();
                Ok(self.mk(ExprKind::Literal(Literal::Real(v)), start))
            }
            TokenKind::Timespan(v) => {
                self.bump();
                Ok(self.mk(ExprKind::Literal(Literal::Timespan(v)), start))
            }
            TokenKind::RawLiteral { keyword, text } => {
                self.bump();
                let lit = raw_literal(&keyword, text);
                Ok(self.mk(ExprKind::Literal(lit), start))
            }
            TokenKind::Punct(Punct::LParen) => {
                self.bump();
                let first = self.pipe_expr()?;
                if self.eat_punct(Punct::RParen) {
                    // Keep the parenthesised span so diagnostics cover the brackets.
                    return Ok(Expr {
                        kind: first.kind,
                        span: Span::new(start, self.prev_end()),
                    });
                }
                let mut items = vec![first];
                while self.eat_punct(Punct::Comma) {
                    items.push(self.pipe_expr()?);
                }
                self.expect_punct(Punct::RParen)?;
                Ok(self.mk(ExprKind::Tuple(items), start))
            }
            TokenKind::Punct(Punct::Star) => {
                self.bump();
                Ok(self.mk(ExprKind::Star, start))
            }
            TokenKind::Punct(Punct::LBracket) if self.name_len_at(0) == Some(3) => {
                let n = self.name()?;
                Ok(self.mk(ExprKind::Name(n), start))
            }
            TokenKind::Ident { ref name, quoted } => {
                let name = name.clone();
                if !quoted && let Some(e) = self.keyword_primary(&name, start)? {
                    return Ok(e);
                }
                let n = self.name()?;
                if self.at_punct(Punct::LParen) && !quoted {
                    self.bump();
                    let mut args = Vec::new();
                    if !self.eat_punct(Punct::RParen) {
                        loop {
                            args.push(self.call_arg()?);
                            if self.eat_punct(Punct::RParen) {
                                break;
                            }
                            self.expect_punct(Punct::Comma)?;
                        }
                    }
                    return Ok(self.mk(ExprKind::Call { name: n, args }, start));
                }
                Ok(self.mk(ExprKind::Name(n), start))
            }
            _ => Err(self.expected("an expression")),
        }
    }

    /// A call argument: an expression (possibly tabular), or `name = value`.
    fn call_arg(&mut self) -> Result<Expr, Diagnostic> {
        if matches!(self.peek().kind, TokenKind::Ident { .. })
            && self.peek_at(1).kind == TokenKind::Punct(Punct::Assign)
        {
            let start = self.peek().span.start;
            let name = self.name()?;
            self.bump();
            let value = self.pipe_expr()?;
            return Ok(self.mk(
                ExprKind::NamedArg {
                    name,
                    value: Box::new(value),
                },
                start,
            ));
        }
        self.pipe_expr()
    }

    /// Literal keywords and source operators in primary position. None: not a keyword here.
    fn keyword_primary(&mut self, name: &str, start: usize) -> Result<Option<Expr>, Diagnostic> {
        let next_is_paren = self.peek_at(1).kind == TokenKind::Punct(Punct::LParen);
        match name {
            _ if name.eq_ignore_ascii_case("true") || name.eq_ignore_ascii_case("false") => {
                self.bump();
                let v = name.eq_ignore_ascii_case("true");
                return Ok(Some(self.mk(ExprKind::Literal(Literal::Bool(v)), start)));
            }
            "null" => {
                self.bump();
                return Ok(Some(self.mk(ExprKind::Literal(Literal::Null), start)));
            }
            "dynamic" if next_is_paren => {
                self.bump();
                self.bump();
                let v = self.dyn_value()?;
                self.expect_punct(Punct::RParen)?;
                return Ok(Some(self.mk(ExprKind::Dynamic(v), start)));
            }
            "typeof" if next_is_paren => {
                self.bump();
                self.bump();
                let t = self.type_name()?;
                self.expect_punct(Punct::RParen)?;
                return Ok(Some(self.mk(ExprKind::TypeOf(t), start)));
            }
            "int" | "long" | "real" | "double" | "bool" | "boolean" | "decimal" | "string"
                if next_is_paren =>
            {
                self.bump();
                self.bump();
                let lit = self.typed_literal(name)?;
                self.expect_punct(Punct::RParen)?;
                return Ok(Some(self.mk(ExprKind::Literal(lit), start)));
            }
            _ => {}
        }
        if SOURCE_OPERATORS.contains(&name) && self.source_operator_ahead(name) {
            let op = self.operator()?;
            return Ok(Some(self.mk(ExprKind::Source(Box::new(op)), start)));
        }
        Ok(None)
    }

    fn source_operator_ahead(&self, name: &str) -> bool {
        let next = &self.peek_at(1).kind;
        match name {
            "range" => self.at_kw_at(2, "from"),
            "datatable" | "externaldata" => *next == TokenKind::Punct(Punct::LParen),
            "print" | "union" | "evaluate" | "find" | "search" => !matches!(
                next,
                TokenKind::Punct(
                    Punct::Dot
                        | Punct::EqEq
                        | Punct::NotEq
                        | Punct::Comma
                        | Punct::RParen
                        | Punct::Pipe
                        | Punct::Semicolon
                ) | TokenKind::Eof
            ),
            _ => false,
        }
    }

    /// The inside of `long(...)`, `real(...)`, `bool(...)` and the like.
    fn typed_literal(&mut self, ty: &str) -> Result<Literal, Diagnostic> {
        let start = self.peek().span.start;
        let mut negative = false;
        if self.eat_punct(Punct::Minus) {
            negative = true;
        } else {
            self.eat_punct(Punct::Plus);
        }
        let tok = self.bump();
        let bad = |p: &Self| {
            Diagnostic::error(
                codes::BAD_LITERAL,
                format!("invalid {ty} literal"),
                Span::new(start, p.prev_end()),
            )
        };
        let sign = if negative { -1.0 } else { 1.0 };
        let lit = match (&tok.kind, ty) {
            (TokenKind::Ident { name, .. }, _) if name == "null" => {
                Literal::TypedNull(ty.to_string())
            }
            (TokenKind::Ident { name, .. }, "bool" | "boolean")
                if name == "true" || name == "false" =>
            {
                Literal::Bool(name == "true")
            }
            (TokenKind::Long(v), "bool" | "boolean") => Literal::Bool(*v != 0),
            (TokenKind::Long(v), "int") => Literal::Int(if negative { -v } else { *v }),
            (TokenKind::Long(v), "long") => Literal::Long(if negative { -v } else { *v }),
            (TokenKind::Long(v), "real" | "double") => Literal::Real(sign * *v as f64),
            (TokenKind::Real(v), "real" | "double") => Literal::Real(sign * v),
            (TokenKind::Ident { name, .. }, "real" | "double") => match name.as_str() {
                "nan" | "NaN" => Literal::Real(f64::NAN),
                "inf" | "Infinity" => Literal::Real(sign * f64::INFINITY),
                _ => return Err(bad(self)),
            },
            (TokenKind::Long(v), "decimal") => {
                Literal::Decimal(format!("{}{v}", if negative { "-" } else { "" }))
            }
            (TokenKind::Real(v), "decimal") => {
                Literal::Decimal(format!("{}{v}", if negative { "-" } else { "" }))
            }
            (TokenKind::String(s), "string") => Literal::String(s.clone()),
            _ => return Err(bad(self)),
        };
        Ok(lit)
    }

    fn dyn_value(&mut self) -> Result<DynValue, Diagnostic> {
        self.enter()?;
        let tok = self.peek().clone();
        let v = match tok.kind {
            TokenKind::Punct(Punct::LBracket) => {
                self.bump();
                let mut items = Vec::new();
                if !self.eat_punct(Punct::RBracket) {
                    loop {
                        items.push(self.dyn_value()?);
                        if self.eat_punct(Punct::RBracket) {
                            break;
                        }
                        self.expect_punct(Punct::Comma)?;
                    }
                }
                DynValue::Array(items)
            }
            TokenKind::Punct(Punct::LBrace) => {
                self.bump();
                let mut fields = Vec::new();
                if !self.eat_punct(Punct::RBrace) {
                    loop {
                        let key = match self.bump().kind {
                            TokenKind::String(s) => s,
                            TokenKind::Ident { name, .. } => name,
                            _ => return Err(self.expected_prev("a property name")),
                        };
                        self.expect_punct(Punct::Colon)?;
                        fields.push((key, self.dyn_value()?));
                        if self.eat_punct(Punct::RBrace) {
                            break;
                        }
                        self.expect_punct(Punct::Comma)?;
                    }
                }
                DynValue::Object(fields)
            }
            TokenKind::Punct(Punct::Minus) => {
                self.bump();
                match self.bump().kind {
                    TokenKind::Long(v) => DynValue::Long(-v),
                    TokenKind::Real(v) => DynValue::Real(-v),
                    _ => return Err(self.expected_prev("a number")),
                }
            }
            TokenKind::Long(v) => {
                self.bump();
                DynValue::Long(v)
            }
            TokenKind::Real(v) => {
                self.bump();
                DynValue::Real(v)
            }
            TokenKind::String(s) => {
                self.bump();
                DynValue::String(s)
            }
            TokenKind::Timespan(v) => {
                self.bump();
                DynValue::Scalar(Literal::Timespan(v))
            }
            TokenKind::RawLiteral { keyword, text } => {
                self.bump();
                DynValue::Scalar(raw_literal(&keyword, text))
            }
            TokenKind::Ident { ref name, .. } => match name.as_str() {
                "null" => {
                    self.bump();
                    DynValue::Null
                }
                "true" | "false" => {
                    self.bump();
                    DynValue::Bool(name == "true")
                }
                // `dynamic({...})` nested in a dynamic literal is the value itself.
                "dynamic" if self.peek_at(1).kind == TokenKind::Punct(Punct::LParen) => {
                    self.bump();
                    self.bump();
                    let inner = self.dyn_value()?;
                    self.expect_punct(Punct::RParen)?;
                    inner
                }
                _ => {
                    let e = self.expr()?;
                    match e.kind {
                        ExprKind::Literal(l) => DynValue::Scalar(l),
                        _ => {
                            return Err(Diagnostic::error(
                                codes::BAD_LITERAL,
                                "dynamic(...) takes a literal value",
                                e.span,
                            ));
                        }
                    }
                }
            },
            _ => return Err(self.expected("a dynamic value")),
        };
        self.leave();
        Ok(v)
    }

    fn expected_prev(&self, what: &str) -> Diagnostic {
        let t = &self.tokens[self.pos.saturating_sub(1)];
        Diagnostic::error(
            codes::SYNTAX,
            format!("expected {what}; found {}", t.describe()),
            t.span,
        )
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> ExprKind {
    ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

fn raw_literal(keyword: &str, text: String) -> Literal {
    if text == "null" {
        let ty = match keyword {
            "date" => "datetime",
            "time" => "timespan",
            other => other,
        };
        return Literal::TypedNull(ty.to_string());
    }
    match keyword {
        "datetime" | "date" => Literal::Datetime(text),
        "time" | "timespan" => Literal::TimespanText(text),
        _ => Literal::Guid(text),
    }
}

struct RelWord {
    kind: RelKind,
    negated: bool,
    case_sensitive: bool,
}

enum RelKind {
    Str(StrOpKind),
    /// `notcontains`: the negation is in the word itself.
    NotWord(StrOpKind),
    Regex,
    In,
    Between,
}
