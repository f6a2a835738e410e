//! `where`, `extend`, `project` and the `project-*` family.

use super::implied_name;
use crate::binder::Binder;
use crate::names::{unique, wildcard_match};
use crate::tab::Tab;
use datafusion::logical_expr::col;
use datafusion::logical_expr::utils::find_window_exprs;
use kql_functions::Typed;
use kql_syntax::ast::{Expr, ExprKind, Name, NamedExpr, SortKey};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    pub(super) fn where_(
        &mut self,
        input: Tab,
        pred: &Expr,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let p = self.scalar(pred, Some(&input))?;
        if p.ty != KType::Bool {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("'where' needs a bool predicate; this is {}", p.ty),
                pred.span,
            ));
        }
        if find_window_exprs(std::iter::once(&p.expr)).is_empty() {
            let types = input.types.clone();
            return input.build(span, |b| b.filter(p.expr), types);
        }
        // A window function (`row_number()`, `prev()`, ...) is computed by a projection's
        // window node: the predicate becomes a column, the rows are kept by it, and it is
        // dropped again.
        let cols = input.all_columns();
        let width = cols.len();
        let flag = unique("__where", &input.names());
        let mut with_flag = cols;
        with_flag.push((p, flag.clone()));
        let flagged = input.project(with_flag, span)?;
        let types = flagged.types.clone();
        let kept = flagged.build(span, |b| b.filter(col(flag.as_str())), types)?;
        let mut out = kept.all_columns();
        out.truncate(width);
        kept.project(out, span)
    }

    /// `extend`: each item sees the columns the earlier items added.
    pub(super) fn extend(
        &mut self,
        tab: Tab,
        items: &[NamedExpr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut unnamed = 0;
        let outer = self.pack_all_width.replace(tab.len());
        let out = self.extend_items(tab, items, &mut unnamed, span);
        self.pack_all_width = outer;
        out
    }

    fn extend_items(
        &mut self,
        mut tab: Tab,
        items: &[NamedExpr],
        unnamed: &mut usize,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        for item in items {
            if let Some(parts) = self.several_results(item, &tab)? {
                let mut cols = tab.all_columns();
                for (value, name) in parts {
                    match cols.iter().position(|(_, n)| *n == name) {
                        Some(i) => cols[i].0 = value,
                        None => cols.push((value, name)),
                    }
                }
                tab = tab.project(cols, span)?;
                continue;
            }
            let mut value = self.scalar(&item.expr, Some(&tab))?;
            value.expr = kql_functions::barrier::shield(value.expr);
            let name = match (item.names.first(), implied_name(&item.expr)) {
                (Some(n), _) => n.name.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    *unnamed += 1;
                    unique(&format!("Column{unnamed}"), &tab.names())
                }
            };
            let mut cols = tab.all_columns();
            match cols.iter().position(|(_, n)| *n == name) {
                Some(i) => cols[i].0 = value,
                None => cols.push((value, name)),
            }
            tab = tab.project(cols, span)?;
        }
        Ok(tab)
    }

    pub(super) fn project(
        &mut self,
        input: Tab,
        items: &[NamedExpr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut out: Vec<(Typed, String)> = Vec::new();
        // Per output column: named after a call's first argument.
        let mut from_call: Vec<bool> = Vec::new();
        let mut unnamed = 0;
        for item in items {
            if let Some(parts) = self.several_results(item, &input)? {
                from_call.extend(parts.iter().map(|_| false));
                out.extend(parts);
                continue;
            }
            let value = self.scalar(&item.expr, Some(&input))?;
            let called = renamable(item, value.ty, &input);
            let mut name = match (item.names.first(), implied_name(&item.expr)) {
                (Some(n), _) => n.name.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    unnamed += 1;
                    format!("Column{unnamed}")
                }
            };
            if let Some(j) = out.iter().position(|(_, n)| *n == name) {
                // A call named after a column is kept apart from it and from other such
                // calls (`t, bin(t, 1h)` are `t`, `t1`), as Kusto names them; a repeat of
                // plain names is an error.
                if !(called || from_call[j]) {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        format!("column '{name}' is projected twice"),
                        item.expr.span,
                    ));
                }
                let taken: Vec<String> = out.iter().map(|(_, n)| n.clone()).collect();
                name = unique(&name, &taken);
            }
            from_call.push(called);
            out.push((value, name));
        }
        input.project(out, span)
    }
}

impl Binder<'_> {
    /// `(a, b) = f(x)` or `f(x)` for a function with several results (`series_fit_line`):
    /// one column per result, named by the tuple or `f_x_result`.
    pub(super) fn several_results(
        &mut self,
        item: &NamedExpr,
        row: &Tab,
    ) -> Result<Option<Vec<(Typed, String)>>, Diagnostic> {
        let ExprKind::Call { name, args } = &item.expr.kind else {
            return Ok(None);
        };
        if matches!(name.name.as_str(), "array_sort_asc" | "array_sort_desc")
            && item.names.len() != 1
        {
            return self.sorted_arrays(item, args, row);
        }
        let Some(outputs) = kql_functions::series::outputs(&name.name) else {
            return Ok(None);
        };
        let value = self.scalar(&item.expr, Some(row))?;
        let prefix = match args.first().and_then(implied_name) {
            Some(arg) => format!("{}_{arg}", name.name),
            None => name.name.clone(),
        };
        let mut out = Vec::new();
        for (i, (result, ty)) in outputs.iter().enumerate() {
            let column = match item.names.get(i) {
                Some(n) => n.name.clone(),
                None if item.names.is_empty() => format!("{prefix}_{result}"),
                None => continue,
            };
            let raw = Typed::new(
                kql_functions::dynamic::DYN_GET.call(vec![
                    value.expr.clone(),
                    datafusion::logical_expr::lit(i as i64),
                ]),
                KType::Dynamic,
            );
            let typed = if *ty == KType::Dynamic {
                raw
            } else {
                super::convert_to(raw, *ty, item.expr.span)?
            };
            out.push((typed, column));
        }
        Ok(Some(out))
    }
}

impl Binder<'_> {
    /// `array_sort_asc(a, b, ...)` of several arrays, unnamed or named by a tuple: one
    /// column per array, `a_sorted`, `b_sorted`, ...
    fn sorted_arrays(
        &mut self,
        item: &NamedExpr,
        args: &[Expr],
        row: &Tab,
    ) -> Result<Option<Vec<(Typed, String)>>, Diagnostic> {
        let mut arrays = Vec::new();
        for a in args {
            if self.scalar(a, Some(row))?.ty == KType::Dynamic {
                arrays.push(a);
            }
        }
        if arrays.len() < 2 {
            return Ok(None);
        }
        let value = self.scalar(&item.expr, Some(row))?;
        let out = arrays
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let column = match item.names.get(k) {
                    Some(n) => n.name.clone(),
                    None => format!(
                        "{}_sorted",
                        implied_name(a).unwrap_or_else(|| format!("array{}", k + 1))
                    ),
                };
                let element = kql_functions::dynamic::DYN_GET.call(vec![
                    value.expr.clone(),
                    datafusion::logical_expr::lit(k as i64),
                ]);
                (Typed::new(element, KType::Dynamic), column)
            })
            .collect();
        Ok(Some(out))
    }
}

fn patterns(pats: &[Expr]) -> Result<Vec<(String, Span)>, Diagnostic> {
    pats.iter()
        .map(|p| match &p.kind {
            ExprKind::Name(n) => Ok((n.name.clone(), n.span)),
            _ => Err(Diagnostic::error(
                codes::SYNTAX,
                "expected a column name",
                p.span,
            )),
        })
        .collect()
}

/// Columns matching the patterns; a pattern without `*` must match a column.
fn matching(tab: &Tab, pats: &[Expr]) -> Result<Vec<bool>, Diagnostic> {
    let names = tab.names();
    let mut hit = vec![false; names.len()];
    for (pat, pspan) in patterns(pats)? {
        let mut any = false;
        for (i, n) in names.iter().enumerate() {
            if wildcard_match(&pat, n) {
                hit[i] = true;
                any = true;
            }
        }
        if !any && !pat.contains('*') {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("unknown column '{pat}'"),
                pspan,
            ));
        }
    }
    Ok(hit)
}

pub(super) fn project_away(input: Tab, pats: &[Expr], span: Span) -> Result<Tab, Diagnostic> {
    let hit = matching(&input, pats)?;
    let cols = input
        .all_columns()
        .into_iter()
        .zip(hit)
        .filter_map(|(c, h)| (!h).then_some(c))
        .collect();
    input.project(cols, span)
}

pub(super) fn project_keep(input: Tab, pats: &[Expr], span: Span) -> Result<Tab, Diagnostic> {
    let hit = matching(&input, pats)?;
    let cols = input
        .all_columns()
        .into_iter()
        .zip(hit)
        .filter_map(|(c, h)| h.then_some(c))
        .collect();
    input.project(cols, span)
}

pub(super) fn project_rename(
    input: Tab,
    pairs: &[(Name, Name)],
    span: Span,
) -> Result<Tab, Diagnostic> {
    let mut cols = input.all_columns();
    for (new, old) in pairs {
        let Some(i) = cols.iter().position(|(_, n)| *n == old.name) else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("unknown column '{}'", old.name),
                old.span,
            ));
        };
        cols[i].1 = new.name.clone();
    }
    input.project(cols, span)
}

/// `project-reorder`: the named columns (patterns expand in input order, or sorted by name
/// with `asc`/`desc`) first, then the others in their order.
pub(super) fn project_reorder(input: Tab, keys: &[SortKey], span: Span) -> Result<Tab, Diagnostic> {
    let cols = input.all_columns();
    let mut order: Vec<usize> = Vec::new();
    for k in keys {
        let hit = matching(&input, std::slice::from_ref(&k.expr))?;
        let mut idx: Vec<usize> = (0..cols.len())
            .filter(|i| hit[*i] && !order.contains(i))
            .collect();
        match k.ascending {
            Some(true) => idx.sort_by(|a, b| cols[*a].1.cmp(&cols[*b].1)),
            Some(false) => idx.sort_by(|a, b| cols[*b].1.cmp(&cols[*a].1)),
            None => {}
        }
        order.extend(idx);
    }
    let rest: Vec<usize> = (0..cols.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    let reordered = order.into_iter().map(|i| cols[i].clone()).collect();
    input.project(reordered, span)
}

/// Whether an unnamed item is a call that Kusto names after a column and keeps apart from
/// it (`bin(t, 1h)` beside `t` is `t1`). A conversion of a column to its own type
/// (`tostring(m)` of a string) is that column, as the oracle reports.
fn renamable(item: &NamedExpr, ty: KType, input: &Tab) -> bool {
    let ExprKind::Call { name, args } = &item.expr.kind else {
        return false;
    };
    if !item.names.is_empty() {
        return false;
    }
    let same_column = match args.first().map(|a| &a.kind) {
        Some(ExprKind::Name(n)) => input
            .names()
            .iter()
            .position(|c| *c == n.name)
            .is_some_and(|i| input.typed(i).ty == ty),
        _ => false,
    };
    !(name.name.starts_with("to") && same_column)
}
