//! Tabular operators, one file per family.

mod columns;
mod evaluate;
mod external;
mod graph;
mod graph_match;
mod graph_partition;
mod join;
mod make_series;
mod mv_apply;
mod mv_expand;
mod parse;
mod parse_kv;
mod plugins;
mod project_by_names;
mod rows;
mod scan;
mod search;
mod source;
mod summarize;
mod top_nested;
mod union;

use crate::binder::Binder;
use crate::tab::Tab;
use kql_functions::Typed;
use kql_syntax::ast::{Expr, ExprKind, Literal, Operator, OperatorKind};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;

impl Binder<'_> {
    /// Applies a piped operator to its input.
    pub(crate) fn operator(&mut self, input: Tab, op: &Operator) -> Result<Tab, Diagnostic> {
        let span = op.span;
        match &op.kind {
            OperatorKind::Where(pred) => self.where_(input, pred, span),
            OperatorKind::Extend(items) => self.extend(input, items, span),
            OperatorKind::Project(items) => self.project(input, items, span),
            OperatorKind::ProjectAway(pats) => columns::project_away(input, pats, span),
            OperatorKind::ProjectKeep(pats) => columns::project_keep(input, pats, span),
            OperatorKind::ProjectRename(pairs) => columns::project_rename(input, pairs, span),
            OperatorKind::ProjectReorder(keys) => columns::project_reorder(input, keys, span),
            OperatorKind::Summarize {
                params,
                aggregates,
                by,
            } => self.summarize(input, params, aggregates, by, span),
            OperatorKind::Sort(keys) => self.sort(input, keys, span),
            OperatorKind::Top { count, by } => self.top(input, count, by, span),
            OperatorKind::Take(n) => self.take(input, n, span),
            OperatorKind::Distinct(cols) => self.distinct(input, cols, span),
            OperatorKind::Count => rows::count(input, span),
            OperatorKind::Join { params, right, on } => self.join(input, params, right, on, span),
            OperatorKind::Lookup { params, right, on } => {
                self.lookup(input, params, right, on, span)
            }
            OperatorKind::Invoke(call) => self.invoke(input, call),
            OperatorKind::Serialize(items) if items.is_empty() => Ok(input),
            OperatorKind::Serialize(items) => self.extend(input, items, span),
            OperatorKind::MvExpand {
                params,
                columns,
                limit,
            } => self.mv_expand(input, params, columns, limit.as_ref(), span),
            OperatorKind::Union { params, tables } => self.union(Some(input), params, tables, span),
            OperatorKind::ProjectByNames(names) => self.project_by_names(input, names, span),
            OperatorKind::ParseKv {
                source,
                columns,
                properties,
            } => self.parse_kv(input, source, columns, properties, span),
            OperatorKind::Parse {
                params,
                source,
                pattern,
                where_,
            } => self.parse(input, params, source, pattern, *where_, span),
            OperatorKind::As(name) => {
                let mut named = input;
                named.label = Some(name.name.clone());
                self.scope
                    .define(&name.name, crate::scope::Binding::Tabular(named.clone()));
                Ok(named)
            }
            OperatorKind::Render => Ok(input),
            OperatorKind::GetSchema => rows::getschema(input, span),
            OperatorKind::Sample(n) => self.sample(input, n, span),
            OperatorKind::MakeSeries(ms) => self.make_series(input, ms, span),
            OperatorKind::MvApply {
                params,
                columns,
                limit,
                body,
            } => self.mv_apply(input, params, columns, limit.as_ref(), body, span),
            OperatorKind::Evaluate { plugin, schema, .. } => {
                self.evaluate(input, plugin, schema.as_ref(), span)
            }
            OperatorKind::TopNested(levels) => self.top_nested(input, levels, span),
            OperatorKind::Scan(sc) => self.scan_steps(input, sc, span),
            OperatorKind::Search {
                params,
                tables,
                predicate,
            } => self.search(Some(input), params, tables, predicate, span),
            other => Err(Diagnostic::unsupported(
                format!("the '{}' operator", operator_name(other)),
                op.name_span,
            )),
        }
    }

    /// The graph operators that end a graph pipeline in a table; None for other operators.
    pub(crate) fn graph_operator(
        &mut self,
        input: &Expr,
        op: &Operator,
    ) -> Option<Result<Tab, Diagnostic>> {
        match &op.kind {
            OperatorKind::GraphMatch(gm) => Some(
                self.graph(input)
                    .and_then(|g| self.graph_match(g, gm, op.span)),
            ),
            OperatorKind::GraphToTable { nodes, params } => Some(
                self.graph(input)
                    .and_then(|g| self.graph_to_table(g, *nodes, params, op.span)),
            ),
            OperatorKind::MakeGraph(mg) if mg.partitioned.is_some() => {
                let (column, body) = mg.partitioned.as_ref()?;
                Some(self.partitioned_graph(input, mg, column, body, op.span))
            }
            OperatorKind::MakeGraph(_) | OperatorKind::GraphMarkComponents(_) => {
                Some(Err(Diagnostic::error(
                    codes::EXPR_KIND,
                    "a graph is not a table: follow it with graph-match, graph-shortest-paths or graph-to-table",
                    op.name_span,
                )))
            }
            _ => None,
        }
    }

    /// A source operator that needs no input (`print`, `datatable`, ...).
    pub(crate) fn source(&mut self, op: &Operator) -> Result<Tab, Diagnostic> {
        match &op.kind {
            OperatorKind::Print(items) => self.print(items, op.span),
            OperatorKind::Datatable { columns, values } => self.datatable(columns, values, op.span),
            OperatorKind::Union { params, tables } => self.union(None, params, tables, op.span),
            OperatorKind::Range {
                name,
                from,
                to,
                step,
            } => self.range(name, from, to, step, op.span),
            OperatorKind::ExternalData {
                columns,
                uris,
                properties,
            } => self.external_data(columns, uris, properties, op.span),
            OperatorKind::Search {
                params,
                tables,
                predicate,
            } => self.search(None, params, tables, predicate, op.span),
            OperatorKind::Evaluate { plugin, .. } => Err(external::network_plugin(plugin)
                .unwrap_or_else(|| {
                    Diagnostic::unsupported("evaluate without an input table", op.name_span)
                })),
            other => Err(Diagnostic::unsupported(
                format!("the '{}' operator", operator_name(other)),
                op.name_span,
            )),
        }
    }
}

fn operator_name(k: &OperatorKind) -> String {
    match k {
        OperatorKind::Where(_) => "where",
        OperatorKind::Extend(_) => "extend",
        OperatorKind::Project(_) => "project",
        OperatorKind::ProjectAway(_) => "project-away",
        OperatorKind::ProjectKeep(_) => "project-keep",
        OperatorKind::ProjectRename(_) => "project-rename",
        OperatorKind::ProjectReorder(_) => "project-reorder",
        OperatorKind::Summarize { .. } => "summarize",
        OperatorKind::Sort(_) => "order by",
        OperatorKind::Top { .. } => "top",
        OperatorKind::Take(_) => "take",
        OperatorKind::Distinct(_) => "distinct",
        OperatorKind::Count => "count",
        OperatorKind::Join { .. } => "join",
        OperatorKind::Lookup { .. } => "lookup",
        OperatorKind::Union { .. } => "union",
        OperatorKind::MvExpand { .. } => "mv-expand",
        OperatorKind::ParseKv { .. } => "parse-kv",
        OperatorKind::ProjectByNames(_) => "project-by-names",
        OperatorKind::Parse { where_: false, .. } => "parse",
        OperatorKind::Parse { where_: true, .. } => "parse-where",
        OperatorKind::Print(_) => "print",
        OperatorKind::Range { .. } => "range",
        OperatorKind::Datatable { .. } => "datatable",
        OperatorKind::ExternalData { .. } => "externaldata",
        OperatorKind::As(_) => "as",
        OperatorKind::GetSchema => "getschema",
        OperatorKind::Serialize(_) => "serialize",
        OperatorKind::Sample(_) => "sample",
        OperatorKind::Evaluate { .. } => "evaluate",
        OperatorKind::Invoke(_) => "invoke",
        OperatorKind::MakeSeries(_) => "make-series",
        OperatorKind::MvApply { .. } => "mv-apply",
        OperatorKind::Render => "render",
        OperatorKind::TopNested(_) => "top-nested",
        OperatorKind::Scan(_) => "scan",
        OperatorKind::Search { .. } => "search",
        OperatorKind::MakeGraph(_) => "make-graph",
        OperatorKind::GraphMatch(g) if g.shortest => "graph-shortest-paths",
        OperatorKind::GraphMatch(_) => "graph-match",
        OperatorKind::GraphMarkComponents(_) => "graph-mark-components",
        OperatorKind::GraphToTable { .. } => "graph-to-table",
        OperatorKind::Unsupported(name) => return name.clone(),
    }
    .to_string()
}

/// Calls Kusto names after their first argument's name (`tostring(d.a)` is `d_a`,
/// `bin(Timestamp, 1h)` is `Timestamp`): Kusto.Language's result-name rule for each.
const NAMED_AFTER_FIRST_ARGUMENT: &[&str] = &[
    "split",
    "tostring",
    "tohex",
    "todynamic",
    "toobject",
    "tolong",
    "toint",
    "toreal",
    "todouble",
    "todatetime",
    "totimespan",
    "totime",
    "tobool",
    "toboolean",
    "todecimal",
    "toguid",
    "parse_csv",
    "parsejson",
    "parse_json",
    "parse_xml",
    "format_datetime",
    "format_timespan",
    "startofday",
    "bin",
    "floor",
    "bin_at",
    "bin_auto",
    "binary_and",
    "binary_or",
    "binary_xor",
    "binary_not",
    "binary_shift_right",
    "binary_shift_left",
    "bitset_count_ones",
    "series_fir",
    "series_outliers",
    "series_iir",
    "series_fill_backward",
    "series_fill_forward",
    "series_fill_const",
    "series_fill_linear",
    "round",
    "ceiling",
    "pow",
    "sqrt",
    "log",
    "log2",
    "log10",
    "exp",
    "exp2",
    "exp10",
    "cos",
    "sin",
    "tan",
    "acos",
    "asin",
    "atan",
    "atan2",
    "abs",
    "rand",
    "gamma",
    "loggamma",
    "erf",
    "erfc",
    "format_bytes",
];

/// Calls named `PREFIX_ARG` after their first argument (`strlen(m)` is `strlen_m`).
const PREFIXED_FIRST_ARGUMENT: &[(&str, &str)] = &[
    ("strlen", "strlen"),
    ("string_size", "string_size"),
    ("percentile_tdigest", "percentile_tdigest"),
    ("dcount_hll", "dcount_hll"),
    ("gettype", "type"),
    ("treepath", "tree"),
    ("repeat", "repeat"),
    ("percentiles_array_tdigest", "percentile_tdigest"),
];

/// The column name Kusto gives an unnamed expression: a column keeps its name, `a.b`
/// becomes `a_b`, and a call is named by its function's rule (after its first argument,
/// with a prefix, or by `column_ifexists`'s column); other expressions get None (the caller
/// numbers them `Column1`, ...).
pub(crate) fn implied_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.name.clone()),
        ExprKind::Member { target, name } => {
            implied_name(target).map(|t| format!("{t}_{}", name.name))
        }
        ExprKind::Call { name, args } => {
            let first = || args.first().and_then(implied_name);
            let f = name.name.as_str();
            if NAMED_AFTER_FIRST_ARGUMENT.contains(&f) {
                return first();
            }
            if let Some((_, prefix)) = PREFIXED_FIRST_ARGUMENT.iter().find(|(g, _)| *g == f) {
                return first().map(|a| format!("{prefix}_{a}"));
            }
            match (f, args.first().map(|a| &a.kind)) {
                (
                    "column_ifexists" | "columnifexists",
                    Some(ExprKind::Literal(Literal::String(c))),
                ) => Some(c.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Converts a text (or dynamic) value to `ty` as the `to*` functions do: bad values are null.
pub(crate) fn convert_to(raw: Typed, ty: KType, span: Span) -> Result<Typed, Diagnostic> {
    kql_functions::scalars_convert::to_type(raw, ty)
        .map_err(|m| Diagnostic::error(codes::TYPE_MISMATCH, m, span))
}
