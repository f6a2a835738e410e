//! `search`: the rows of each table (the catalog's and the query's views, or those named
//! by `in (...)`) that match the predicate, in one outer union with a `$table` column.
//! A table where the predicate does not bind (a column it lacks) has no match; a bare
//! string matches rows where any text or dynamic column has it as a term.

use crate::binder::Binder;
use crate::scope::Binding;
use crate::tab::Tab;
use kql_syntax::ast::{
    BinaryOp, Expr, ExprKind, Literal, Name, OpParam, Operator, OperatorKind, StrOp, StrOpKind,
};
use kql_syntax::{Diagnostic, Span};
use kql_types::KType;

fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn name(text: &str, span: Span) -> Name {
    Name {
        name: text.to_string(),
        span,
    }
}

impl Binder<'_> {
    pub(super) fn search(
        &mut self,
        piped: Option<Tab>,
        params: &[OpParam],
        tables: &[Expr],
        predicate: &Expr,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let case_sensitive = params
            .iter()
            .any(|p| p.name.name == "kind" && p.word().as_deref() == Some("case_sensitive"));
        if let Some(input) = piped {
            let pred = self.search_predicate(&input, predicate, case_sensitive, span);
            return self.operator(input, &op(OperatorKind::Where(pred), span));
        }
        let names: Vec<Expr> = if tables.is_empty() {
            let mut all = self.catalog_names();
            for n in self.scope.names() {
                if let Some(Binding::Function(f)) = self.scope.get(&n)
                    && f.def.is_view
                    && f.def.params.is_empty()
                    && !all.contains(&n)
                {
                    all.push(n);
                }
            }
            all.sort();
            all.iter()
                .map(|t| expr(ExprKind::Name(name(t, span)), span))
                .collect()
        } else {
            tables.to_vec()
        };
        let mut matched = Vec::new();
        for table in &names {
            let label = match &table.kind {
                ExprKind::Name(n) => n.name.clone(),
                _ => format!("table{}", matched.len()),
            };
            let tab = self.tabular(table)?;
            let pred = self.search_predicate(&tab, predicate, case_sensitive, span);
            // A table the predicate does not apply to has no matching rows.
            if self
                .operator(tab, &op(OperatorKind::Where(pred.clone()), span))
                .is_err()
            {
                continue;
            }
            let filtered = expr(
                ExprKind::Pipe {
                    input: Box::new(table.clone()),
                    op: Box::new(op(OperatorKind::Where(pred), span)),
                },
                span,
            );
            matched.push(expr(
                ExprKind::Pipe {
                    input: Box::new(filtered),
                    op: Box::new(op(OperatorKind::As(name(&label, span)), span)),
                },
                span,
            ));
        }
        let withsource = OpParam {
            name: name("withsource", span),
            value: expr(ExprKind::Name(name("$table", span)), span),
        };
        self.union(None, &[withsource], &matched, span)
    }

    /// The predicate for one table: a bare string becomes `has` over its text columns.
    fn search_predicate(
        &self,
        tab: &Tab,
        predicate: &Expr,
        case_sensitive: bool,
        span: Span,
    ) -> Expr {
        let ExprKind::Literal(Literal::String(_)) = &predicate.kind else {
            return predicate.clone();
        };
        let has = StrOp {
            kind: StrOpKind::Has,
            negated: false,
            case_sensitive,
        };
        let names = tab.names();
        tab.types
            .iter()
            .zip(&names)
            .filter(|(t, _)| matches!(t, KType::String | KType::Dynamic))
            .map(|(_, n)| {
                expr(
                    ExprKind::Binary {
                        op: BinaryOp::Str(has),
                        lhs: Box::new(expr(ExprKind::Name(name(n, span)), span)),
                        rhs: Box::new(predicate.clone()),
                    },
                    span,
                )
            })
            .reduce(|a, b| {
                expr(
                    ExprKind::Binary {
                        op: BinaryOp::Or,
                        lhs: Box::new(a),
                        rhs: Box::new(b),
                    },
                    span,
                )
            })
            .unwrap_or_else(|| expr(ExprKind::Literal(Literal::Bool(false)), span))
    }
}

fn op(kind: OperatorKind, span: Span) -> Operator {
    Operator {
        kind,
        name_span: span,
        span,
    }
}
