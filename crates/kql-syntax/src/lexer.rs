//! The KQL lexer: turns query text into tokens with spans.

use crate::diagnostic::{Diagnostic, codes};
use crate::span::Span;
use crate::token::{Punct, Token, TokenKind};

/// Keywords whose parenthesised argument is raw literal text, not tokens.
const RAW_LITERAL_KEYWORDS: &[&str] = &["datetime", "date", "time", "timespan", "guid"];

/// Nanoseconds per timespan unit suffix, longest suffixes first where one is a prefix of another.
const TIMESPAN_UNITS: &[(&str, i64)] = &[
    ("microseconds", 1_000),
    ("microsecond", 1_000),
    ("milliseconds", 1_000_000),
    ("millisecond", 1_000_000),
    ("milli", 1_000_000),
    ("ms", 1_000_000),
    ("ticks", 100),
    ("tick", 100),
    ("seconds", 1_000_000_000),
    ("second", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("s", 1_000_000_000),
    ("minutes", 60_000_000_000),
    ("minute", 60_000_000_000),
    ("min", 60_000_000_000),
    ("m", 60_000_000_000),
    ("hours", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("hrs", 3_600_000_000_000),
    ("hr", 3_600_000_000_000),
    ("h", 3_600_000_000_000),
    ("days", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
    ("d", 86_400_000_000_000),
];

pub fn tokenize(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
    };
    lx.run()?;
    Ok(lx.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        loop {
            self.skip_trivia();
            let start = self.pos;
            let Some(c) = self.peek(0) else {
                self.push(TokenKind::Eof, start);
                return Ok(());
            };
            match c {
                b'\'' | b'"' => {
                    let s = self.quoted_string(c, false)?;
                    self.push(TokenKind::String(s), start);
                }
                b'`' if self.src[self.pos..].starts_with("```") => {
                    let s = self.backtick_string()?;
                    self.push(TokenKind::String(s), start);
                }
                b'@' if matches!(self.peek(1), Some(b'\'' | b'"')) => {
                    self.pos += 1;
                    let q = self.bytes[self.pos];
                    let s = self.quoted_string(q, true)?;
                    self.push(TokenKind::String(s), start);
                }
                b'h' | b'H' if self.obfuscated_prefix().is_some() => {
                    let verbatim = self.obfuscated_prefix() == Some(true);
                    self.pos += if verbatim { 2 } else { 1 };
                    let q = self.bytes[self.pos];
                    let s = self.quoted_string(q, verbatim)?;
                    self.push(TokenKind::String(s), start);
                }
                b'0'..=b'9' => self.number(start)?,
                b'.' if self.peek(1).is_some_and(|d| d.is_ascii_digit())
                    && !self.prev_is_value() =>
                {
                    self.number(start)?
                }
                c if is_ident_start(c) => self.ident(start)?,
                _ => self.punct(start)?,
            }
        }
    }

    /// `h'..'` → Some(false), `h@'..'` → Some(true), otherwise None.
    fn obfuscated_prefix(&self) -> Option<bool> {
        match (self.peek(1), self.peek(2)) {
            (Some(b'\'' | b'"'), _) => Some(false),
            (Some(b'@'), Some(b'\'' | b'"')) => Some(true),
            _ => None,
        }
    }

    fn prev_is_value(&self) -> bool {
        match self.tokens.last() {
            Some(t) if t.span.end == self.pos => matches!(
                t.kind,
                TokenKind::Ident { .. }
                    | TokenKind::String(_)
                    | TokenKind::Long(_)
                    | TokenKind::Real(_)
                    | TokenKind::Punct(Punct::RParen | Punct::RBracket)
            ),
            _ => false,
        }
    }

    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek(0) {
            if c.is_ascii_whitespace() {
                self.pos += 1;
            } else if c == b'/' && self.peek(1) == Some(b'/') {
                while let Some(c) = self.peek(0) {
                    if c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else if self.src[self.pos..].starts_with('\u{feff}') {
                self.pos += 3;
            } else {
                break;
            }
        }
    }

    fn quoted_string(&mut self, quote: u8, verbatim: bool) -> Result<String, Diagnostic> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(Diagnostic::error(
                    codes::UNTERMINATED,
                    "unterminated string literal",
                    Span::new(start, self.pos),
                ));
            };
            if c == b'\n' && !verbatim {
                return Err(Diagnostic::error(
                    codes::UNTERMINATED,
                    "unterminated string literal (a line break ends it; use ``` for multi-line text)",
                    Span::new(start, self.pos),
                ));
            }
            if c == quote {
                if verbatim && self.peek(1) == Some(quote) {
                    out.push(quote as char);
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                return Ok(out);
            }
            if c == b'\\' && !verbatim {
                let esc_start = self.pos;
                self.pos += 1;
                let Some(e) = self.peek(0) else { continue };
                self.pos += 1;
                match e {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    b'\\' => out.push('\\'),
                    b'\'' => out.push('\''),
                    b'"' => out.push('"'),
                    b'u' => {
                        let hex = self.src.get(self.pos..self.pos + 4).unwrap_or("");
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                        match ch {
                            Some(ch) if hex.len() == 4 => {
                                out.push(ch);
                                self.pos += 4;
                            }
                            _ => {
                                return Err(Diagnostic::error(
                                    codes::BAD_LITERAL,
                                    "invalid \\u escape: expected four hex digits",
                                    Span::new(esc_start, self.pos),
                                ));
                            }
                        }
                    }
                    _ => {
                        // Kusto keeps unknown escapes as the escaped character itself.
                        self.pos -= 1;
                        let ch = self.src[self.pos..].chars().next().unwrap_or('\\');
                        out.push(ch);
                        self.pos += ch.len_utf8();
                    }
                }
                continue;
            }
            let ch = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            self.pos += ch.len_utf8();
        }
    }

    fn backtick_string(&mut self) -> Result<String, Diagnostic> {
        let start = self.pos;
        self.pos += 3;
        match self.src[self.pos..].find("```") {
            Some(end) => {
                let text = self.src[self.pos..self.pos + end].to_string();
                self.pos += end + 3;
                Ok(text)
            }
            None => Err(Diagnostic::error(
                codes::UNTERMINATED,
                "unterminated multi-line string literal (```)",
                Span::new(start, self.src.len()),
            )),
        }
    }

    fn number(&mut self, start: usize) -> Result<(), Diagnostic> {
        let b = self.bytes;
        if b[self.pos] == b'0' && matches!(self.peek(1), Some(b'x' | b'X')) {
            self.pos += 2;
            let digits_start = self.pos;
            while self.peek(0).is_some_and(|c| c.is_ascii_hexdigit()) {
                self.pos += 1;
            }
            let text = &self.src[digits_start..self.pos];
            let value = u64::from_str_radix(text, 16).map_err(|_| {
                Diagnostic::error(
                    codes::BAD_LITERAL,
                    "invalid hex literal",
                    Span::new(start, self.pos),
                )
            })?;
            self.push(TokenKind::Long(value as i64), start);
            return Ok(());
        }
        let mut is_real = false;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            is_real = true;
            self.pos += 1;
            while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        } else if self.peek(0) == Some(b'.') && !matches!(self.peek(1), Some(b'.')) {
            // `1.` is a real
            if !self.peek(1).is_some_and(is_ident_start) {
                is_real = true;
                self.pos += 1;
            }
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(0), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                is_real = true;
                while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            } else {
                self.pos = save;
            }
        }
        let text = &self.src[start..self.pos];
        // A unit suffix makes a timespan literal: 7d, 1.5h, 100ms.
        if self.peek(0).is_some_and(|c| c.is_ascii_alphabetic()) {
            let mut end = self.pos;
            while self.bytes.get(end).is_some_and(|c| is_ident_continue(*c)) {
                end += 1;
            }
            let suffix = self.src[self.pos..end].to_ascii_lowercase();
            let Some((_, unit)) = TIMESPAN_UNITS.iter().find(|(u, _)| *u == suffix) else {
                return Err(Diagnostic::error(
                    codes::BAD_LITERAL,
                    format!("invalid number suffix '{}'", &self.src[self.pos..end]),
                    Span::new(start, end),
                ));
            };
            let value: f64 = text.parse().map_err(|_| {
                Diagnostic::error(codes::BAD_LITERAL, "invalid number", Span::new(start, end))
            })?;
            self.pos = end;
            let nanos = (value * *unit as f64).round();
            self.push(TokenKind::Timespan(nanos as i64), start);
            return Ok(());
        }
        let kind = if is_real {
            TokenKind::Real(text.parse().map_err(|_| {
                Diagnostic::error(
                    codes::BAD_LITERAL,
                    "invalid real literal",
                    Span::new(start, self.pos),
                )
            })?)
        } else {
            match text.parse::<i64>() {
                Ok(v) => TokenKind::Long(v),
                Err(_) => TokenKind::Real(text.parse().map_err(|_| {
                    Diagnostic::error(
                        codes::BAD_LITERAL,
                        "invalid number",
                        Span::new(start, self.pos),
                    )
                })?),
            }
        };
        self.push(kind, start);
        Ok(())
    }

    fn ident(&mut self, start: usize) -> Result<(), Diagnostic> {
        self.pos += 1;
        while self.peek(0).is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        if RAW_LITERAL_KEYWORDS.contains(&name) && !self.prev_is_dot() {
            let mut look = self.pos;
            while self
                .bytes
                .get(look)
                .is_some_and(|c| c.is_ascii_whitespace())
            {
                look += 1;
            }
            if self.bytes.get(look) == Some(&b'(') {
                if let Some(close) = self.src[look + 1..].find(')') {
                    let text = self.src[look + 1..look + 1 + close].trim().to_string();
                    self.pos = look + 1 + close + 1;
                    self.push(
                        TokenKind::RawLiteral {
                            keyword: name.to_string(),
                            text,
                        },
                        start,
                    );
                    return Ok(());
                }
                return Err(Diagnostic::error(
                    codes::UNTERMINATED,
                    format!("missing ')' after {name}("),
                    Span::new(start, self.src.len()),
                ));
            }
        }
        let name = name.to_string();
        self.push(
            TokenKind::Ident {
                name,
                quoted: false,
            },
            start,
        );
        Ok(())
    }

    fn prev_is_dot(&self) -> bool {
        matches!(
            self.tokens.last(),
            Some(Token {
                kind: TokenKind::Punct(Punct::Dot),
                ..
            })
        )
    }

    fn punct(&mut self, start: usize) -> Result<(), Diagnostic> {
        use Punct::*;
        let two = self.src.get(self.pos..self.pos + 2).unwrap_or("");
        let p2 = match two {
            "==" => Some(EqEq),
            "!=" => Some(NotEq),
            "<>" => Some(LtGt),
            "<=" => Some(Le),
            ">=" => Some(Ge),
            "=>" => Some(Arrow),
            "=~" => Some(EqTilde),
            "!~" => Some(BangTilde),
            ".." => Some(DotDot),
            _ => None,
        };
        if let Some(p) = p2 {
            self.pos += 2;
            self.push(TokenKind::Punct(p), start);
            return Ok(());
        }
        let p = match self.bytes[self.pos] {
            b'|' => Pipe,
            b'(' => LParen,
            b')' => RParen,
            b'[' => LBracket,
            b']' => RBracket,
            b'{' => LBrace,
            b'}' => RBrace,
            b',' => Comma,
            b';' => Semicolon,
            b':' => Colon,
            b'.' => Dot,
            b'=' => Assign,
            b'<' => Lt,
            b'>' => Gt,
            b'+' => Plus,
            b'-' => Minus,
            b'*' => Star,
            b'/' => Slash,
            b'%' => Percent,
            b'!' => Bang,
            b'~' => Tilde,
            b'?' => Question,
            b'@' => At,
            _ => {
                let ch = self.src[self.pos..].chars().next().unwrap_or('?');
                return Err(Diagnostic::error(
                    codes::SYNTAX,
                    format!("unexpected character '{ch}'"),
                    Span::new(start, start + ch.len_utf8()),
                ));
            }
        };
        self.pos += 1;
        self.push(TokenKind::Punct(p), start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn s(v: &str) -> TokenKind {
        TokenKind::String(v.into())
    }

    #[test]
    fn string_flavours() {
        assert_eq!(kinds(r#"'a\'b'"#)[0], s("a'b"));
        assert_eq!(kinds(r#""a\"b\n""#)[0], s("a\"b\n"));
        assert_eq!(kinds(r"@'C:\x'")[0], s(r"C:\x"));
        assert_eq!(kinds(r#"@"a""b""#)[0], s("a\"b"));
        assert_eq!(kinds("h'secret'")[0], s("secret"));
        assert_eq!(kinds("h@'c:\\s'")[0], s("c:\\s"));
        assert_eq!(kinds("```two\nlines```")[0], s("two\nlines"));
        assert_eq!(kinds(r#"'\u00e9'"#)[0], s("é"));
    }

    #[test]
    fn numbers_and_timespans() {
        assert_eq!(kinds("42")[0], TokenKind::Long(42));
        assert_eq!(kinds("1.5")[0], TokenKind::Real(1.5));
        assert_eq!(kinds("1e3")[0], TokenKind::Real(1000.0));
        assert_eq!(kinds("0x1F")[0], TokenKind::Long(31));
        assert_eq!(kinds("7d")[0], TokenKind::Timespan(7 * 86_400_000_000_000));
        assert_eq!(kinds("1.5h")[0], TokenKind::Timespan(5_400_000_000_000));
        assert_eq!(kinds("100ms")[0], TokenKind::Timespan(100_000_000));
        assert_eq!(kinds("10tick")[0], TokenKind::Timespan(1000));
        assert!(tokenize("5xyz").is_err());
    }

    #[test]
    fn raw_literals_and_names() {
        assert_eq!(
            kinds("datetime(2020-01-01 10:00)")[0],
            TokenKind::RawLiteral {
                keyword: "datetime".into(),
                text: "2020-01-01 10:00".into()
            }
        );
    }

    #[test]
    fn comments_and_errors() {
        assert_eq!(kinds("a // c\n b").len(), 3);
        let err = tokenize("'abc").unwrap_err();
        assert_eq!(err.code, codes::UNTERMINATED);
        assert_eq!(err.span.start, 0);
    }
}
