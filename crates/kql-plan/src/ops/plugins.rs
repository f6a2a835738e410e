//! Plugins written as KQL: each expands into a query over its input (`__plugin_input`),
//! with column arguments by name and other arguments bound as hidden scalars (`__arg2`):
//! `dcount_intersect`, `rows_near`, `rolling_percentile`, `activity_counts_metrics` and
//! `active_users_count`.

use crate::binder::{Binder, Value};
use crate::probe::scalar_i64;
use crate::scope::Binding;
use crate::tab::Tab;
use kql_syntax::ast::{Expr, ExprKind, NamedExpr, Operator, OperatorKind};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};

/// The arguments of a plugin call as text a query can use.
struct Args {
    texts: Vec<String>,
    span: Span,
}

impl Args {
    fn get(&self, i: usize) -> Result<&str, Diagnostic> {
        self.texts.get(i).map(String::as_str).ok_or_else(|| {
            Diagnostic::error(
                codes::ARG_COUNT,
                format!("the plugin needs at least {} arguments", i + 1),
                self.span,
            )
        })
    }

    /// Arguments from `from` on, joined with commas (the dimension columns).
    fn rest(&self, from: usize) -> String {
        self.texts.get(from..).unwrap_or_default().join(", ")
    }
}

impl Binder<'_> {
    /// Runs a plugin written as KQL (the caller checked the name).
    pub(super) fn macro_plugin(
        &mut self,
        input: Tab,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let saved = self.scope.clone();
        self.scope.push();
        let out = self.expand_plugin(input, name, args, span);
        self.scope = saved;
        out
    }

    fn expand_plugin(
        &mut self,
        input: Tab,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut input = input;
        if name == "rows_near" {
            // The condition is any expression: computed into a column first.
            let cond = args.first().ok_or_else(|| {
                Diagnostic::error(codes::ARG_COUNT, "rows_near needs a condition", span)
            })?;
            let extend = OperatorKind::Extend(vec![NamedExpr {
                names: vec![kql_syntax::ast::Name {
                    name: "__rows_near_hit".into(),
                    span,
                }],
                expr: cond.clone(),
            }]);
            input = self.operator(
                input,
                &Operator {
                    kind: extend,
                    name_span: span,
                    span,
                },
            )?;
        }
        let columns = input.names();
        let mut texts = Vec::new();
        let mut constants = Vec::new();
        // Named options (`return_unmatched = true`): their constant values.
        let mut options: Vec<(String, Option<datafusion::common::ScalarValue>)> = Vec::new();
        let quoted = |n: &str| format!("['{}']", n.replace('\'', "\\'"));
        for (i, a) in args.iter().enumerate() {
            match &a.kind {
                ExprKind::NamedArg {
                    name: option,
                    value,
                } => {
                    let t = self.scalar(value, None)?;
                    options.push((option.name.clone(), self.constant(&t, value.span).ok()));
                    self.scope
                        .define(&format!("__opt_{}", option.name), Binding::Scalar(t));
                }
                ExprKind::Name(n) if columns.contains(&n.name) => {
                    texts.push(quoted(&n.name));
                    constants.push(None);
                }
                _ if name == "rows_near" && i == 0 => {
                    texts.push("__rows_near_hit".into());
                    constants.push(None);
                }
                // A lookup plugin's second argument is a column of its lookup table.
                ExprKind::Name(n) if name.starts_with("geo_") && i == 1 => {
                    texts.push(quoted(&n.name));
                    constants.push(None);
                }
                _ => {
                    let hidden = format!("__arg{i}");
                    match self.value(a, None)? {
                        Value::Scalar(t) => {
                            constants.push(self.constant(&t, a.span).ok());
                            self.scope.define(&hidden, Binding::Scalar(t));
                        }
                        Value::Tabular(t) => {
                            constants.push(None);
                            self.scope.define(&hidden, Binding::Tabular(t));
                        }
                    }
                    texts.push(hidden);
                }
            }
        }
        let flag = |option: &str| {
            options.iter().any(|(n, v)| {
                n == option && *v == Some(datafusion::common::ScalarValue::Boolean(Some(true)))
            })
        };
        let plain = |i: usize| match &args.get(i).map(|a| &a.kind) {
            Some(ExprKind::Name(n)) => n.name.clone(),
            _ => format!("arg{i}"),
        };
        let number = |i: usize| {
            constants
                .get(i)
                .cloned()
                .flatten()
                .as_ref()
                .and_then(scalar_i64)
        };
        let a = Args { texts, span };
        self.scope.define("__plugin_input", Binding::Tabular(input));
        let text = match name {
            "dcount_intersect" => {
                let sets: Vec<String> = (0..args.len())
                    .map(|k| {
                        let first = a.texts[..=k].join(", ");
                        if k == 0 {
                            format!("s0 = array_length({first})")
                        } else {
                            format!("s{k} = array_length(set_intersect({first}))")
                        }
                    })
                    .collect();
                format!("__plugin_input | extend {}", sets.join(", "))
            }
            "rows_near" => {
                let before = number(1).unwrap_or(0).clamp(0, 1000);
                let after = number(2).unwrap_or(before).clamp(0, 1000);
                let mut near = vec!["__rows_near_hit".to_string()];
                near.extend((1..=before).map(|k| format!("next(__rows_near_hit, {k})")));
                near.extend((1..=after).map(|k| format!("prev(__rows_near_hit, {k})")));
                format!(
                    "__plugin_input | serialize | extend __near = {} | where __near | project-away __rows_near_hit, __near",
                    near.join(" or ")
                )
            }
            "rolling_percentile" => {
                let (value, p, index, bin, k) =
                    (a.get(0)?, a.get(1)?, a.get(2)?, a.get(3)?, a.get(4)?);
                let dims = a.rest(5);
                let by = if dims.is_empty() {
                    String::new()
                } else {
                    format!(", {dims}")
                };
                let label = format!(
                    "rolling_{}_percentile_{}_{}",
                    number(4).unwrap_or(0),
                    plain(0),
                    number(1).unwrap_or(0)
                );
                format!(
                    "__plugin_input
                     | extend __bin = bin({index}, {bin})
                     | mv-expand __shift = range(0, {k} - 1, 1) to typeof(long)
                     | extend __at = __bin + __shift * {bin}
                     | where __at <= toscalar(__plugin_input | summarize max(bin({index}, {bin})))
                     | summarize ['{label}'] = percentile({value}, {p}) by {index} = __at{by}"
                )
            }
            "activity_counts_metrics" => {
                let (id, ts, start, end, window) =
                    (a.get(0)?, a.get(1)?, a.get(2)?, a.get(3)?, a.get(4)?);
                if args.len() > 5 {
                    return Err(Diagnostic::unsupported(
                        "activity_counts_metrics with dimensions",
                        span,
                    ));
                }
                let t = plain(1);
                format!(
                    "__plugin_input
                     | where {ts} >= {start} and {ts} < {end} + {window}
                     | extend __w = bin_at({ts}, {window}, {start})
                     | summarize ['count'] = count(), ['dcount'] = dcount({id}) by __w
                     | join kind=leftouter (
                         __plugin_input
                         | where {ts} >= {start} and {ts} < {end} + {window}
                         | summarize __first = min(bin_at({ts}, {window}, {start})) by __id = {id}
                         | summarize __new = count() by __w = __first
                       ) on __w
                     | order by __w asc
                     | extend new_dcount = coalesce(__new, 0)
                     | extend aggregated_dcount = row_cumsum(new_dcount)
                     | project ['{t}'] = __w, ['count'], ['dcount'], new_dcount, aggregated_dcount"
                )
            }
            "active_users_count" => {
                let (id, ts, start, end) = (a.get(0)?, a.get(1)?, a.get(2)?, a.get(3)?);
                let (lookback, period, active, bin) = (a.get(4)?, a.get(5)?, a.get(6)?, a.get(7)?);
                if args.len() > 8 {
                    return Err(Diagnostic::unsupported(
                        "active_users_count with dimensions",
                        span,
                    ));
                }
                let t = plain(1);
                format!(
                    "__plugin_input
                     | where {ts} >= {start} and {ts} <= {end}
                     | project __id = {id}, __t = {ts}
                     | join kind=inner (
                         __plugin_input | project __id = {id}, __seen = {ts}, __period = bin({ts}, {period})
                       ) on __id
                     | where __seen > __t - {lookback} and __seen <= __t
                     | summarize __periods = dcount(__period) by __id, __t
                     | where __periods >= {active}
                     | summarize ['dcount'] = dcount(__id) by ['{t}'] = bin_at(__t, {bin}, {start})"
                )
            }
            "geo_polygon_lookup" | "geo_line_lookup" => {
                let (table, shape, lng, lat) = (a.get(0)?, a.get(1)?, a.get(2)?, a.get(3)?);
                let named_radius = options
                    .iter()
                    .any(|(n, _)| n == "radius")
                    .then(|| "__opt_radius".to_string());
                let near = match (name, a.texts.get(4).cloned().or(named_radius)) {
                    ("geo_line_lookup", Some(d)) => {
                        format!("geo_distance_point_to_line({lng}, {lat}, {shape}) <= {d}")
                    }
                    ("geo_line_lookup", None) => {
                        return Err(Diagnostic::error(
                            codes::ARG_COUNT,
                            "geo_line_lookup needs a maximum distance",
                            span,
                        ));
                    }
                    (_, None) => format!("geo_point_in_polygon({lng}, {lat}, {shape})"),
                    (_, Some(r)) => format!(
                        "geo_point_in_polygon({lng}, {lat}, {shape}) or geo_distance_point_to_polygon({lng}, {lat}, {shape}) <= {r}"
                    ),
                };
                let keep_shape = if flag("return_lookup_key") {
                    String::new()
                } else {
                    format!(", {}", plain(1))
                };
                let matched = format!(
                    "__plugin_rows | extend __lookup_key = 1
                     | join kind=inner ({table} | extend __lookup_key = 1) on __lookup_key
                     | where {near}
                     | project-away __lookup_key, __lookup_key1{keep_shape}"
                );
                let text = if flag("return_unmatched") {
                    format!(
                        "union ({matched}), (__plugin_rows | where __lookup_row !in (({matched}) | project __lookup_row))"
                    )
                } else {
                    matched
                };
                let rows = self.query_text(
                    name,
                    "__plugin_input | serialize __lookup_row = row_number()",
                    span,
                )?;
                self.scope.define("__plugin_rows", Binding::Tabular(rows));
                format!("{text} | project-away __lookup_row")
            }
            other => {
                return Err(Diagnostic::unsupported(
                    format!("the '{other}' plugin"),
                    span,
                ));
            }
        };
        self.query_text(&format!("the {name} plugin"), &text, span)
    }

    /// Binds a query written here (over hidden names in scope); its errors point at `span`.
    pub(super) fn query_text(
        &mut self,
        what: &str,
        text: &str,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let expr = kql_syntax::parse_expr(text).map_err(|d| {
            Diagnostic::error(
                codes::RUNTIME,
                format!("{what} could not be expanded: {}", d.message),
                span,
            )
        })?;
        self.tabular(&expr).map_err(|mut d| {
            d.span = span;
            d
        })
    }
}
