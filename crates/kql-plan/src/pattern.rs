//! Patterns (`declare pattern`): an invocation `p("a").b` or `p("a").["b"]` picks the entry
//! whose argument values (and path) equal the invocation's constants (`*` in an entry
//! matches any value) and binds its query with the arguments as string variables.

use crate::binder::{Binder, Value};
use crate::scope::Binding;
use kql_functions::Typed;
use kql_syntax::ast::{Expr, ExprKind, Literal, PatternDecl};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use std::rc::Rc;

/// The pattern an expression invokes, with its arguments and path expression.
pub(crate) fn invocation(e: &Expr) -> Option<(&str, &[Expr], Option<&Expr>)> {
    match &e.kind {
        ExprKind::Call { name, args } => Some((&name.name, args, None)),
        ExprKind::Member { target, .. } | ExprKind::Index { target, .. } => {
            let ExprKind::Call { name, args } = &target.kind else {
                return None;
            };
            Some((&name.name, args, Some(e)))
        }
        _ => None,
    }
}

impl Binder<'_> {
    /// Binds a pattern invocation; None when `e` does not invoke a pattern in scope.
    pub(crate) fn pattern_call(&mut self, e: &Expr) -> Option<Result<Value, Diagnostic>> {
        let (name, args, path) = invocation(e)?;
        let Some(Binding::Pattern(p)) = self.scope.get(name) else {
            return None;
        };
        let p = p.clone();
        Some(self.invoke_pattern(&p, args, path, e.span))
    }

    fn invoke_pattern(
        &mut self,
        p: &Rc<PatternDecl>,
        args: &[Expr],
        path: Option<&Expr>,
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let mut values = Vec::new();
        for a in args {
            values.push(self.constant_string(a)?);
        }
        let path_value = match path.map(|p| &p.kind) {
            Some(ExprKind::Member { name, .. }) => Some(name.name.clone()),
            Some(ExprKind::Index { index, .. }) => Some(self.constant_string(index)?),
            _ => None,
        };
        let fits = |entry: &Expr, given: &str| match &entry.kind {
            ExprKind::Literal(Literal::String(s)) => s == given || s == "*",
            _ => false,
        };
        let entry = p.entries.iter().find(|entry| {
            entry.args.len() == values.len()
                && entry.args.iter().zip(&values).all(|(e, v)| fits(e, v))
                && match (&entry.path, &path_value) {
                    (Some(e), Some(v)) => fits(e, v),
                    (None, None) => true,
                    _ => false,
                }
        });
        let Some(entry) = entry else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!(
                    "the pattern '{}' has no entry for these values",
                    p.name.name
                ),
                span,
            ));
        };
        let saved = self.scope.clone();
        self.scope.push();
        for (param, v) in p.params.iter().zip(&values) {
            self.scope
                .define(&param.name.name, Binding::Scalar(Typed::string(v.clone())));
        }
        if let (Some(param), Some(v)) = (&p.path, &path_value) {
            self.scope
                .define(&param.name.name, Binding::Scalar(Typed::string(v.clone())));
        }
        let out = self.body_value(&entry.body, &entry.result, None);
        self.scope = saved;
        out
    }

    /// A constant string argument.
    fn constant_string(&mut self, e: &Expr) -> Result<String, Diagnostic> {
        let t = self.scalar(e, None)?;
        match t.as_str_literal() {
            Some(s) => Ok(s.to_string()),
            None => Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                "a pattern takes constant strings",
                e.span,
            )),
        }
    }
}
