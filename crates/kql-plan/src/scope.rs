//! Names bound by `let` and function parameters, in nested frames.

use crate::tab::Tab;
use kql_functions::Typed;
use kql_syntax::ast::FunctionDef;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub enum Binding {
    Scalar(Typed),
    Tabular(Tab),
    Function(Rc<UserFunction>),
    /// A `declare pattern`.
    Pattern(Rc<kql_syntax::ast::PatternDecl>),
}

/// A `let` function and the names visible where it was defined.
#[derive(Debug)]
pub struct UserFunction {
    pub name: String,
    pub def: FunctionDef,
    pub scope: Scope,
}

/// A stack of frames; lookups go from the innermost out.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    frames: Vec<HashMap<String, Binding>>,
}

impl Scope {
    pub fn new() -> Self {
        Scope {
            frames: vec![HashMap::new()],
        }
    }

    pub fn define(&mut self, name: &str, b: Binding) {
        if self.frames.is_empty() {
            self.frames.push(HashMap::new());
        }
        if let Some(f) = self.frames.last_mut() {
            f.insert(name.to_string(), b);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.frames.iter().rev().find_map(|f| f.get(name))
    }

    pub fn push(&mut self) {
        self.frames.push(HashMap::new());
    }

    /// Every bound name (for suggestions).
    pub fn names(&self) -> Vec<String> {
        self.frames.iter().flat_map(|f| f.keys().cloned()).collect()
    }
}
