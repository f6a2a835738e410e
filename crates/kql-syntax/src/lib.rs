//! KQL syntax: spans, tokens, the lexer, the syntax tree, the parser and diagnostics.
//!
//! This crate knows nothing of Arrow or DataFusion.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
mod parser;
pub mod span;
pub mod token;

pub use diagnostic::{Diagnostic, Severity};
pub use parser::{parse, parse_expr};
pub use span::{LineCol, LineIndex, Span};
