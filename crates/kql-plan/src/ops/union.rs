//! `union`: rows of several tables, columns matched by name (`kind=outer`, the default,
//! keeps every column; `kind=inner` only the common ones). A column name used with two types
//! becomes `Name_type` for each, as Kusto does. `withsource=Col` adds the table's name.

use crate::binder::Binder;
use crate::names::wildcard_match;
use crate::tab::Tab;
use datafusion::logical_expr::{LogicalPlanBuilder, lit};
use kql_functions::Typed;
use kql_functions::coerce::cast_to;
use kql_syntax::ast::{Expr, ExprKind, OpParam};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    pub(super) fn union(
        &mut self,
        piped: Option<Tab>,
        params: &[OpParam],
        tables: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut outer = true;
        let mut source_column = None;
        let mut fuzzy = false;
        for p in params {
            let value = p.word().unwrap_or_default();
            match p.name.name.as_str() {
                "kind" => outer = value != "inner",
                "withsource" | "with_source" => source_column = Some(value),
                "isfuzzy" => fuzzy = value == "true",
                _ => {}
            }
        }
        let mut inputs: Vec<(String, Tab)> = Vec::new();
        if let Some(t) = piped {
            inputs.push((
                t.label.clone().unwrap_or_else(|| "union_arg0".to_string()),
                t,
            ));
        }
        let mut first_error = None;
        for t in tables {
            self.union_inputs(t, fuzzy, &mut inputs, &mut first_error)?;
        }
        if inputs.is_empty() {
            // Fuzzy unions skip failing inputs; when all fail, say why the first did.
            return Err(first_error.unwrap_or_else(|| {
                Diagnostic::error(codes::UNKNOWN_NAME, "union has no tables to read", span)
            }));
        }
        // The output columns: (name, type), in order of first appearance.
        let mut columns: Vec<(String, KType)> = Vec::new();
        for (_, t) in &inputs {
            for (n, ty) in t.names().into_iter().zip(t.types.iter().copied()) {
                if !columns.contains(&(n.clone(), ty)) {
                    columns.push((n, ty));
                }
            }
        }
        let clashing = |name: &str| columns.iter().filter(|(n, _)| n == name).count() > 1;
        let out_names: Vec<String> = columns
            .iter()
            .map(|(n, t)| {
                if clashing(n) {
                    format!("{n}_{t}")
                } else {
                    n.clone()
                }
            })
            .collect();
        let keep: Vec<bool> = columns
            .iter()
            .map(|c| {
                outer
                    || inputs.iter().all(|(_, t)| {
                        t.names()
                            .iter()
                            .zip(&t.types)
                            .any(|(n, ty)| *n == c.0 && *ty == c.1)
                    })
            })
            .collect();
        let mut plans = Vec::new();
        for (label, t) in inputs {
            let mut items: Vec<(Typed, String)> = Vec::new();
            if let Some(sc) = &source_column {
                items.push((Typed::string(label.clone()), sc.clone()));
            }
            let names = t.names();
            for (k, (name, ty)) in columns.iter().enumerate() {
                if !keep[k] {
                    continue;
                }
                let value = names
                    .iter()
                    .zip(&t.types)
                    .position(|(n, tt)| n == name && tt == ty)
                    .map_or_else(|| missing(*ty), |i| cast_to(t.typed(i), *ty));
                items.push((value, out_names[k].clone()));
            }
            plans.push(t.project(items, span)?);
        }
        let types = plans[0].types.clone();
        let mut it = plans.into_iter();
        let Some(first) = it.next() else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                "union has no tables to read",
                span,
            ));
        };
        let mut builder = LogicalPlanBuilder::from(first.plan);
        for p in it {
            builder = builder.union(p.plan).map_err(crate::df_err(span))?;
        }
        let plan = builder.build().map_err(crate::df_err(span))?;
        Ok(Tab::new(plan, types))
    }

    /// One `union` argument: a name (with `*` wildcards over the catalog) or an expression.
    fn union_inputs(
        &mut self,
        e: &Expr,
        fuzzy: bool,
        out: &mut Vec<(String, Tab)>,
        first_error: &mut Option<Diagnostic>,
    ) -> Result<(), Diagnostic> {
        if let ExprKind::Name(n) = &e.kind
            && n.name.contains('*')
        {
            let mut names: Vec<String> = self
                .catalog_names()
                .into_iter()
                .filter(|t| wildcard_match(&n.name, t))
                .collect();
            names.sort();
            if names.is_empty() && !fuzzy {
                return Err(Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("no table matches '{}'", n.name),
                    n.span,
                ));
            }
            for name in names {
                if let Some(t) = self.scan(&name, n.span)? {
                    out.push((name, t));
                }
            }
            return Ok(());
        }
        let label = match &e.kind {
            ExprKind::Name(n) => n.name.clone(),
            // `(... | as Name)` names its table.
            ExprKind::Pipe { op, .. } => match &op.kind {
                kql_syntax::ast::OperatorKind::As(n) => n.name.clone(),
                _ => format!("union_arg{}", out.len()),
            },
            _ => format!("union_arg{}", out.len()),
        };
        match self.tabular(e) {
            Ok(t) => out.push((label, t)),
            Err(d) if fuzzy => {
                first_error.get_or_insert(d);
            }
            Err(d) => return Err(d),
        }
        Ok(())
    }
}

/// A missing column: empty for strings (never null), else null.
fn missing(ty: KType) -> Typed {
    if ty == KType::String {
        Typed::new(lit(""), KType::String)
    } else {
        Typed::null(ty)
    }
}
