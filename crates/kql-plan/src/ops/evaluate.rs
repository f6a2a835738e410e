//! `evaluate`: the plugins `bag_unpack` and `pivot`. Without a declared output schema their
//! columns come from the data, so the binder runs their input first (through
//! [`crate::Catalog::evaluate`]) to learn the property names or pivot values.

use super::convert_to;
use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::{Expr as DfExpr, lit};
use kql_functions::dynamic::{DYN_GET, PARSE_JSON, parse_stored};
use kql_functions::{Typed, coerce::to_text, lookup};
use kql_syntax::ast::{Expr, ExprKind, OutputSchema};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;
use serde_json::Value;
use std::collections::BTreeMap;

/// What `bag_unpack` does when a property has the name of an input column.
#[derive(PartialEq)]
enum Conflict {
    Error,
    ReplaceSource,
    KeepSource,
}

impl Binder<'_> {
    pub(super) fn evaluate(
        &mut self,
        input: Tab,
        plugin: &Expr,
        schema: Option<&OutputSchema>,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        if let Some(refused) = super::external::network_plugin(plugin) {
            return Err(refused);
        }
        let ExprKind::Call { name, args } = &plugin.kind else {
            return Err(Diagnostic::error(
                codes::SYNTAX,
                "evaluate needs a plugin call, such as bag_unpack(Column)",
                plugin.span,
            ));
        };
        match name.name.as_str() {
            "dcount_intersect"
            | "rows_near"
            | "rolling_percentile"
            | "activity_counts_metrics"
            | "active_users_count"
            | "geo_polygon_lookup"
            | "geo_line_lookup" => self.macro_plugin(input, &name.name, args, span),
            "bag_unpack" => self.bag_unpack(input, args, schema, span),
            "pivot" if schema.is_none() => self.pivot(input, args, span),
            other => Err(Diagnostic::unsupported(
                format!("the '{other}' plugin"),
                name.span,
            )),
        }
    }

    /// `bag_unpack(Column [, Prefix] [, columnsConflict] [, ignoredProperties])`: one column
    /// per top-level property, named by it (sorted), typed by its values.
    fn bag_unpack(
        &mut self,
        input: Tab,
        args: &[Expr],
        schema: Option<&OutputSchema>,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let (positional, named) = split_args(args);
        let Some(first) = positional.first() else {
            return Err(Diagnostic::error(
                codes::ARG_COUNT,
                "bag_unpack() needs the column to unpack",
                span,
            ));
        };
        let mut bag = self.scalar(first, Some(&input))?;
        if bag.ty == KType::String {
            bag = Typed::new(PARSE_JSON.call(vec![bag.expr]), KType::Dynamic);
        }
        if bag.ty != KType::Dynamic {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("bag_unpack() needs a dynamic column; this is {}", bag.ty),
                first.span,
            ));
        }
        let source = match &first.kind {
            ExprKind::Name(n) => Some(n.name.clone()),
            _ => None,
        };
        let text_arg =
            |this: &mut Self, key: &str, pos: usize| -> Result<Option<String>, Diagnostic> {
                let Some(e) = named.get(key).copied().or(positional.get(pos).copied()) else {
                    return Ok(None);
                };
                let v = this.scalar(e, None)?;
                match v.as_str_literal() {
                    Some(s) => Ok(Some(s.to_string())),
                    None => Err(Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "bag_unpack() takes constant options",
                        e.span,
                    )),
                }
            };
        let prefix = text_arg(self, "OutputColumnPrefix", 1)?.unwrap_or_default();
        let conflict = match text_arg(self, "columnsConflict", 2)?.as_deref() {
            None | Some("error") => Conflict::Error,
            Some("replace_source") => Conflict::ReplaceSource,
            Some("keep_source") => Conflict::KeepSource,
            Some(other) => {
                return Err(Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "columnsConflict is error, replace_source or keep_source, not '{other}'"
                    ),
                    span,
                ));
            }
        };
        let ignored: Vec<String> = match text_arg(self, "ignoredProperties", 3)? {
            Some(json) => match parse_stored(&json) {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        if let Some(schema) = schema {
            return unpack_declared(input, &bag, source.as_deref(), &prefix, schema, span);
        }
        let slots = self.discover_slots(&input, &bag, &ignored, span)?;
        let mut out: Vec<(Typed, String)> = Vec::new();
        for (i, name) in input.names().into_iter().enumerate() {
            if source.as_deref() != Some(name.as_str()) {
                out.push((input.typed(i), name));
            }
        }
        for (key, ty) in slots {
            let name = format!("{prefix}{key}");
            let value = slot_value(&bag, &key, ty, span)?;
            match out.iter().position(|(_, n)| *n == name) {
                None => out.push((value, name)),
                Some(at) => match conflict {
                    Conflict::ReplaceSource => out[at].0 = value,
                    Conflict::KeepSource => {}
                    Conflict::Error => {
                        return Err(Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!(
                                "bag_unpack(): property '{key}' has the name of an input column \
                                 (use columnsConflict='replace_source' or 'keep_source')"
                            ),
                            span,
                        ));
                    }
                },
            }
        }
        let mut tab = input.project(out, span)?;
        tab.open = true;
        Ok(tab)
    }

    /// Runs the input to find the bag's properties and the type of each: the type shared by
    /// all its non-null values, else dynamic.
    fn discover_slots(
        &mut self,
        input: &Tab,
        bag: &Typed,
        ignored: &[String],
        span: Span,
    ) -> Result<BTreeMap<String, KType>, Diagnostic> {
        let mut slots: BTreeMap<String, Option<KType>> = BTreeMap::new();
        for text in self.column_texts(input, bag.expr.clone(), span)? {
            let Value::Object(map) = parse_stored(&text) else {
                continue;
            };
            for (k, v) in map {
                if ignored.contains(&k) {
                    continue;
                }
                let ty = json_type(&v);
                let slot = slots.entry(k).or_insert(ty);
                *slot = match (*slot, ty) {
                    (a, None) => a,
                    (None, b) => b,
                    (Some(a), Some(b)) if a == b => Some(a),
                    _ => Some(KType::Dynamic),
                };
            }
        }
        Ok(slots
            .into_iter()
            .map(|(k, t)| (k, t.unwrap_or(KType::Dynamic)))
            .collect())
    }

    /// `pivot(Column [, aggregation] [, by columns...])`: one column per distinct value of
    /// Column (in order of first appearance), each the aggregation (default `count()`) over
    /// the rows with that value, grouped by the other columns.
    fn pivot(&mut self, input: Tab, args: &[Expr], span: Span) -> Result<Tab, Diagnostic> {
        let Some(first) = args.first() else {
            return Err(Diagnostic::error(
                codes::ARG_COUNT,
                "pivot() needs the column to pivot",
                span,
            ));
        };
        let ExprKind::Name(pivot_name) = &first.kind else {
            return Err(Diagnostic::error(
                codes::EXPR_KIND,
                "pivot() takes a column name",
                first.span,
            ));
        };
        let pivot = self.scalar(first, Some(&input))?;
        let is_aggregate = |e: &Expr| match &e.kind {
            ExprKind::Call { name, .. } => lookup(&name.name).is_some_and(|f| f.is_aggregate()),
            _ => false,
        };
        let (aggregation, by_args) = match args.get(1) {
            Some(a) if is_aggregate(a) => (Some(a), &args[2..]),
            _ => (None, &args[1..]),
        };
        let by: Vec<String> = if by_args.is_empty() {
            let used = aggregation.map(referenced_names).unwrap_or_default();
            input
                .names()
                .into_iter()
                .filter(|n| *n != pivot_name.name && !used.contains(n))
                .collect()
        } else {
            let mut names = Vec::new();
            for a in by_args {
                match &a.kind {
                    ExprKind::Name(n) => names.push(n.name.clone()),
                    _ => {
                        return Err(Diagnostic::error(
                            codes::EXPR_KIND,
                            "pivot() groups by column names",
                            a.span,
                        ));
                    }
                }
            }
            names
        };
        let key = to_text(&pivot);
        let mut values: Vec<String> = Vec::new();
        for v in self.column_texts(&input, key.clone(), span)? {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        let count = Expr {
            kind: ExprKind::Call {
                name: kql_syntax::ast::Name {
                    name: "count".to_string(),
                    span,
                },
                args: Vec::new(),
            },
            span,
        };
        let aggregation = aggregation.unwrap_or(&count);
        let mut group_exprs = Vec::new();
        let mut outputs: Vec<(Typed, String)> = Vec::new();
        for (i, name) in by.iter().enumerate() {
            let Some(at) = input.find(name) else {
                return Err(self.unknown_name(name, span, Some(&input)));
            };
            let internal = format!("__by{i}");
            group_exprs.push(input.col(at).alias(&internal));
            outputs.push((
                Typed::new(
                    DfExpr::Column(datafusion::common::Column::from_name(internal)),
                    input.types[at],
                ),
                name.clone(),
            ));
        }
        let mut agg_exprs: Vec<(DfExpr, String)> = Vec::new();
        for v in values {
            let start = agg_exprs.len();
            let value = self.aggregate_value(aggregation, &input, &mut agg_exprs)?;
            let only = key.clone().eq(lit(v.clone()));
            for (e, _) in &mut agg_exprs[start..] {
                *e = with_filter(e.clone(), &only);
            }
            outputs.push((value, v));
        }
        let aggr: Vec<DfExpr> = agg_exprs.into_iter().map(|(e, n)| e.alias(n)).collect();
        let grouped = input.aggregate(span, group_exprs, aggr, Vec::new())?;
        let mut tab = Tab::from_plan(grouped.plan).project(outputs, span)?;
        tab.open = true;
        Ok(tab)
    }
}

/// `bag_unpack` with `: (...)`: the declared columns, from the input where it has them and
/// from the bag otherwise; `*` keeps the other input columns first.
fn unpack_declared(
    input: Tab,
    bag: &Typed,
    source: Option<&str>,
    prefix: &str,
    schema: &OutputSchema,
    span: Span,
) -> Result<Tab, Diagnostic> {
    let declared: Vec<(String, KType)> = schema
        .columns
        .iter()
        .map(|c| Ok((c.name.name.clone(), crate::literal::resolve_type(&c.ty)?)))
        .collect::<Result<_, Diagnostic>>()?;
    let mut out: Vec<(Typed, String)> = Vec::new();
    if schema.wildcard {
        for (i, name) in input.names().into_iter().enumerate() {
            if Some(name.as_str()) != source && !declared.iter().any(|(n, _)| *n == name) {
                out.push((input.typed(i), name));
            }
        }
    }
    for (name, ty) in declared {
        let value = match input.find(&name) {
            Some(i) if Some(name.as_str()) != source => {
                kql_functions::coerce::cast_to(input.typed(i), ty)
            }
            _ => {
                let key = name.strip_prefix(prefix).unwrap_or(&name);
                slot_value(bag, key, ty, span)?
            }
        };
        out.push((value, name));
    }
    input.project(out, span)
}

/// The bag's property `key`, converted to `ty`.
fn slot_value(bag: &Typed, key: &str, ty: KType, span: Span) -> Result<Typed, Diagnostic> {
    let raw = Typed::new(
        DYN_GET.call(vec![bag.expr.clone(), lit(key.to_string())]),
        KType::Dynamic,
    );
    if ty == KType::Dynamic {
        return Ok(raw);
    }
    convert_to(raw, ty, span)
}

/// The Kusto type of a JSON value; None for null.
fn json_type(v: &Value) -> Option<KType> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some(KType::Bool),
        Value::Number(n) if n.is_i64() => Some(KType::Long),
        Value::Number(_) => Some(KType::Real),
        Value::String(_) => Some(KType::String),
        Value::Array(_) | Value::Object(_) => Some(KType::Dynamic),
    }
}

/// Positional arguments, and `name = value` ones by name.
fn split_args(args: &[Expr]) -> (Vec<&Expr>, BTreeMap<&str, &Expr>) {
    let mut positional = Vec::new();
    let mut named = BTreeMap::new();
    for a in args {
        match &a.kind {
            ExprKind::NamedArg { name, value } => {
                named.insert(name.name.as_str(), value.as_ref());
            }
            _ => positional.push(a),
        }
    }
    (positional, named)
}

/// The column names an expression mentions.
fn referenced_names(e: &Expr) -> Vec<String> {
    e.names().into_iter().map(|n| n.name.clone()).collect()
}

/// The aggregate calls of `e` restricted to the rows where `only` holds.
fn with_filter(e: DfExpr, only: &DfExpr) -> DfExpr {
    e.transform(|x| match x {
        DfExpr::AggregateFunction(mut f) => {
            let filter = match f.params.filter.take() {
                Some(old) => old.as_ref().clone().and(only.clone()),
                None => only.clone(),
            };
            f.params.filter = Some(Box::new(filter));
            Ok(Transformed::yes(DfExpr::AggregateFunction(f)))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
    .unwrap_or_else(|_| only.clone())
}
