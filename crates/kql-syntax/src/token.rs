//! Tokens produced by the lexer.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An identifier or keyword (`where`, `Timestamp`, `$left`). The parser makes
    /// `['name with spaces']` an identifier token with `quoted` set.
    Ident {
        name: String,
        quoted: bool,
    },
    /// A string literal, already decoded.
    String(String),
    Long(i64),
    Real(f64),
    /// A timespan literal such as `7d` or `1.5h`, in nanoseconds.
    Timespan(i64),
    /// `datetime(...)`, `time(...)`, `guid(...)` and friends: the keyword and the raw text
    /// between the parentheses.
    RawLiteral {
        keyword: String,
        text: String,
    },
    Punct(Punct),
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semicolon,
    Colon,
    Dot,
    DotDot,
    Assign,
    EqEq,
    NotEq,
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Arrow,
    EqTilde,
    BangTilde,
    Bang,
    Tilde,
    Question,
    At,
}

impl Punct {
    pub fn as_str(self) -> &'static str {
        use Punct::*;
        match self {
            Pipe => "|",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Semicolon => ";",
            Colon => ":",
            Dot => ".",
            DotDot => "..",
            Assign => "=",
            EqEq => "==",
            NotEq => "!=",
            LtGt => "<>",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Arrow => "=>",
            EqTilde => "=~",
            BangTilde => "!~",
            Bang => "!",
            Tilde => "~",
            Question => "?",
            At => "@",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// How the token reads in a diagnostic ("'where'", "end of input").
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Ident { name, .. } => format!("'{name}'"),
            TokenKind::String(_) => "a string literal".into(),
            TokenKind::Long(v) => format!("'{v}'"),
            TokenKind::Real(v) => format!("'{v}'"),
            TokenKind::Timespan(_) => "a timespan literal".into(),
            TokenKind::RawLiteral { keyword, .. } => format!("'{keyword}(...)'"),
            TokenKind::Punct(p) => format!("'{}'", p.as_str()),
            TokenKind::Eof => "end of input".into(),
        }
    }
}
