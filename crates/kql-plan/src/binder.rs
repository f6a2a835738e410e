//! The binder: statements, name resolution, user functions, and dispatch of tabular
//! expressions to the operator planners in [`crate::ops`].

use crate::catalog::Catalog;
use crate::names::suggest;
use crate::scope::{Binding, Scope, UserFunction};
use crate::tab::Tab;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::LogicalPlanBuilder;
use kql_functions::{CallCtx, Typed};
use kql_syntax::ast::{Expr, ExprKind, LetValue, ParamType, Statement};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use std::rc::Rc;

/// How deeply user functions may call each other (Kusto forbids recursion).
const MAX_CALL_DEPTH: usize = 64;

/// What binding one statement produced.
#[derive(Debug)]
pub enum Outcome {
    /// A `let` that defined a name.
    Defined,
    /// `let name = materialize(...)`: the caller evaluates `tab` once and gives the result
    /// back with [`Binder::define_table`].
    Materialize { name: String, tab: Tab },
    /// A query statement's result.
    Query(Tab),
}

/// A bound expression: scalar or tabular.
#[derive(Debug)]
pub(crate) enum Value {
    Scalar(Typed),
    Tabular(Tab),
}

pub struct Binder<'c> {
    pub(crate) catalog: &'c dyn Catalog,
    pub(crate) ctx: CallCtx,
    pub(crate) scope: Scope,
    /// Aggregates collected while binding a `summarize` (expression, internal column name).
    pub(crate) aggs: Option<Vec<(datafusion::logical_expr::Expr, String)>>,
    call_depth: usize,
    /// While an `extend` binds: how many leading columns of the row are its input, which
    /// are all that `pack_all()` packs (not the columns the same `extend` adds).
    pub(crate) pack_all_width: Option<usize>,
    /// Values given for `declare query_parameters`, as text.
    params: std::collections::BTreeMap<String, String>,
}

impl<'c> Binder<'c> {
    /// A binder over `catalog`, with `now()` pinned to `now` (nanoseconds since the epoch).
    pub fn new(catalog: &'c dyn Catalog, now: i64) -> Self {
        Binder {
            catalog,
            ctx: CallCtx { now },
            scope: Scope::new(),
            aggs: None,
            call_depth: 0,
            pack_all_width: None,
            params: std::collections::BTreeMap::new(),
        }
    }

    /// Gives the text values of query parameters (`declare query_parameters`).
    pub fn with_params(mut self, params: std::collections::BTreeMap<String, String>) -> Self {
        self.params = params;
        self
    }

    pub(crate) fn catalog(&self) -> &dyn Catalog {
        self.catalog
    }

    /// Defines `name` as a table (the evaluated result of a `materialize`).
    pub fn define_table(&mut self, name: &str, tab: Tab) {
        self.scope.define(name, Binding::Tabular(tab));
    }

    pub fn statement(&mut self, stmt: &Statement) -> Result<Outcome, Diagnostic> {
        match stmt {
            Statement::Let(l) => match &l.value {
                LetValue::Function(def) => {
                    let f = UserFunction {
                        name: l.name.name.clone(),
                        def: def.clone(),
                        scope: self.scope.clone(),
                    };
                    self.scope
                        .define(&l.name.name, Binding::Function(Rc::new(f)));
                    Ok(Outcome::Defined)
                }
                LetValue::Expr(e) => {
                    if let Some(inner) = materialize_arg(e) {
                        let tab = self.tabular(inner)?;
                        return Ok(Outcome::Materialize {
                            name: l.name.name.clone(),
                            tab,
                        });
                    }
                    let b = match self.value(e, None)? {
                        Value::Scalar(t) => Binding::Scalar(t),
                        Value::Tabular(t) => Binding::Tabular(t),
                    };
                    self.scope.define(&l.name.name, b);
                    Ok(Outcome::Defined)
                }
            },
            Statement::DeclareParams(params, span) => {
                for p in params {
                    let value = self.query_parameter(p, *span)?;
                    self.scope.define(&p.name.name, Binding::Scalar(value));
                }
                Ok(Outcome::Defined)
            }
            Statement::Set(name, Some(value), _) if name.name.starts_with("query_bin_auto_") => {
                // Read by bin_auto().
                let v = self.scalar(value, None)?;
                self.scope
                    .define(&format!("__set_{}", name.name), Binding::Scalar(v));
                Ok(Outcome::Defined)
            }
            Statement::Set(..) => Ok(Outcome::Defined),
            Statement::Pattern(p) => {
                self.scope
                    .define(&p.name.name, Binding::Pattern(std::rc::Rc::new(p.clone())));
                Ok(Outcome::Defined)
            }
            Statement::Query(e) => match self.value(e, None)? {
                Value::Tabular(t) => Ok(Outcome::Query(t)),
                Value::Scalar(_) => Err(Diagnostic::error(
                    codes::EXPR_KIND,
                    "a query must be a tabular expression (use 'print' to show a scalar)",
                    e.span,
                )),
            },
        }
    }

    /// Binds an expression that must be tabular.
    pub(crate) fn tabular(&mut self, e: &Expr) -> Result<Tab, Diagnostic> {
        match self.value(e, None)? {
            Value::Tabular(t) => Ok(t),
            Value::Scalar(_) => Err(Diagnostic::error(
                codes::EXPR_KIND,
                "expected a tabular expression, found a scalar one",
                e.span,
            )),
        }
    }

    /// Binds any expression; `row` is the table whose columns are in scope.
    pub(crate) fn value(&mut self, e: &Expr, row: Option<&Tab>) -> Result<Value, Diagnostic> {
        // Grow the stack on the heap for deep expressions rather than overflow it.
        stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || self.value_inner(e, row))
    }

    fn value_inner(&mut self, e: &Expr, row: Option<&Tab>) -> Result<Value, Diagnostic> {
        if let Some(v) = self.pattern_call(e) {
            return v;
        }
        match &e.kind {
            ExprKind::Pipe { input, op } => {
                if let Some(graph) = self.graph_operator(input, op) {
                    return graph.map(Value::Tabular);
                }
                let tab = self.tabular(input)?;
                Ok(Value::Tabular(self.operator(tab, op)?))
            }
            ExprKind::Source(op) => Ok(Value::Tabular(self.source(op)?)),
            ExprKind::Name(n) => {
                if let Some(i) = row.and_then(|r| r.find(&n.name)) {
                    return Ok(Value::Scalar(
                        row.map(|r| r.typed(i))
                            .unwrap_or_else(|| Typed::bool(false)),
                    ));
                }
                match self.scope.get(&n.name) {
                    Some(Binding::Scalar(t)) => return Ok(Value::Scalar(t.clone())),
                    Some(Binding::Tabular(t)) => return Ok(Value::Tabular(t.clone())),
                    Some(Binding::Function(f)) if f.def.params.is_empty() => {
                        let f = f.clone();
                        return self.call_user(&f, &[], row, e.span);
                    }
                    Some(Binding::Function(_) | Binding::Pattern(_)) => {
                        return Err(Diagnostic::error(
                            codes::ARG_COUNT,
                            format!("'{}' is a function: call it with arguments", n.name),
                            n.span,
                        ));
                    }
                    None => {}
                }
                if let Some(t) = self.scan(&n.name, n.span)? {
                    return Ok(Value::Tabular(t));
                }
                if row.is_some_and(|r| r.open) {
                    return Ok(Value::Scalar(Typed::null(kql_types::KType::Dynamic)));
                }
                Err(self.unknown_name(&n.name, n.span, row))
            }
            ExprKind::Call { name, args } => {
                if let Some(Binding::Function(f)) = self.scope.get(&name.name) {
                    let f = f.clone();
                    return self.call_user(&f, args, row, e.span);
                }
                if name.name == "materialize" && args.len() == 1 {
                    return Ok(Value::Tabular(self.tabular(&args[0])?));
                }
                if matches!(name.name.as_str(), "column_ifexists" | "columnifexists")
                    && args.len() == 2
                {
                    return self
                        .column_ifexists(&args[0], &args[1], row)
                        .map(Value::Scalar);
                }
                if name.name == "toscalar" && args.len() == 1 {
                    // toscalar of a scalar is that scalar.
                    let t = match self.value(&args[0], row)? {
                        Value::Scalar(s) => return Ok(Value::Scalar(s)),
                        Value::Tabular(t) => t,
                    };
                    if t.is_empty() {
                        return Err(Diagnostic::error(
                            codes::EXPR_KIND,
                            "toscalar() of a table with no columns",
                            e.span,
                        ));
                    }
                    let ty = t.types[0];
                    let first = t.typed(0);
                    let one = t.project(vec![(first, "__scalar".to_string())], e.span)?;
                    let limited = one.build(e.span, |b| b.limit(0, Some(1)), vec![ty])?;
                    let sub = datafusion::logical_expr::expr_fn::scalar_subquery(
                        std::sync::Arc::new(limited.plan),
                    );
                    return Ok(Value::Scalar(Typed::new(sub, ty)));
                }
                if name.name == "column_names_of" && args.len() == 1 {
                    let names = self.tabular(&args[0])?.names();
                    let json = serde_json::to_string(&names).unwrap_or_default();
                    let names = Typed::new(
                        datafusion::logical_expr::lit(json),
                        kql_types::KType::Dynamic,
                    );
                    return Ok(Value::Scalar(names));
                }
                if name.name == "bag_pack_columns" {
                    // bag_pack_columns(A, B) is bag_pack("A", A, "B", B).
                    let mut pairs = Vec::new();
                    for a in args {
                        let key = match &a.kind {
                            ExprKind::Name(n) => n.name.clone(),
                            _ => {
                                return Err(Diagnostic::error(
                                    codes::TYPE_MISMATCH,
                                    "bag_pack_columns() takes column names",
                                    a.span,
                                ));
                            }
                        };
                        pairs.push(Expr {
                            kind: ExprKind::Literal(kql_syntax::ast::Literal::String(key)),
                            span: a.span,
                        });
                        pairs.push(a.clone());
                    }
                    let bag_pack = kql_syntax::ast::Name {
                        name: "bag_pack".into(),
                        span: name.span,
                    };
                    return Ok(Value::Scalar(
                        self.scalar_call(&bag_pack, &pairs, row, e.span)?,
                    ));
                }
                if name.name == "bin_auto" && args.len() == 1 {
                    return self.bin_auto(&args[0], row, e.span).map(Value::Scalar);
                }
                if name.name == "pack_all" && args.len() <= 1 {
                    let drop_empty = match args.first() {
                        Some(a) => {
                            let flag = self.scalar(a, row)?;
                            self.constant(&flag, a.span)?
                                == datafusion::common::ScalarValue::Boolean(Some(true))
                        }
                        None => false,
                    };
                    return self.pack_all(row, drop_empty, e.span).map(Value::Scalar);
                }
                if name.name == "table" && args.len() == 1 {
                    return self.table_by_name(&args[0], row);
                }
                // A stored function (declared by a schema): an empty table of its columns.
                if kql_functions::lookup(&name.name).is_none()
                    && let Some(t) = self.scan(&name.name, name.span)?
                {
                    return Ok(Value::Tabular(t));
                }
                Ok(Value::Scalar(self.scalar_call(name, args, row, e.span)?))
            }
            _ => Ok(Value::Scalar(self.scalar(e, row)?)),
        }
    }

    /// `column_ifexists("Name", default)`: the column where the row has it, else the default.
    fn column_ifexists(
        &mut self,
        name: &Expr,
        default: &Expr,
        row: Option<&Tab>,
    ) -> Result<Typed, Diagnostic> {
        let n = self.scalar(name, row)?;
        let Some(n) = n.as_str_literal() else {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                "column_ifexists() takes a constant column name",
                name.span,
            ));
        };
        match row.and_then(|r| r.find(n).map(|i| r.typed(i))) {
            Some(col) => Ok(col),
            None => self.scalar(default, row),
        }
    }

    /// `bin_auto(x)`: `bin_at(x, size, at)` with the `query_bin_auto_size` and
    /// `query_bin_auto_at` options of `set` statements (`at` defaults to 0).
    fn bin_auto(&mut self, x: &Expr, row: Option<&Tab>, span: Span) -> Result<Typed, Diagnostic> {
        let option = |b: &Self, n: &str| match b.scope.get(&format!("__set_query_bin_auto_{n}")) {
            Some(Binding::Scalar(t)) => Some(t.clone()),
            _ => None,
        };
        let size = option(self, "size").ok_or_else(|| {
            Diagnostic::error(
                codes::ARG_COUNT,
                "bin_auto() needs 'set query_bin_auto_size = ...;' before the query",
                span,
            )
        })?;
        let x = self.scalar(x, row)?;
        let (name, args) = match option(self, "at") {
            Some(at) => ("bin_at", vec![x, size, at]),
            None => ("bin", vec![x, size]),
        };
        match kql_functions::lookup(name).map(|s| &s.kind) {
            Some(kql_functions::FunctionKind::Scalar(bind)) => {
                bind(&self.ctx, args).map_err(|m| Diagnostic::error(codes::TYPE_MISMATCH, m, span))
            }
            _ => Err(Diagnostic::unsupported("bin_auto()", span)),
        }
    }

    /// `pack_all([ignore_null_empty])`: a property bag of the row's columns (without the
    /// null and empty values when asked).
    fn pack_all(
        &mut self,
        row: Option<&Tab>,
        drop_empty: bool,
        span: Span,
    ) -> Result<Typed, Diagnostic> {
        let mut args = Vec::new();
        if let Some(r) = row {
            let width = self.pack_all_width.unwrap_or(r.len());
            for (i, n) in r.names().into_iter().enumerate().take(width) {
                args.push(Typed::string(n));
                args.push(r.typed(i));
            }
        }
        let spec = kql_functions::lookup("bag_pack");
        let mut bag = match spec.map(|s| &s.kind) {
            Some(kql_functions::FunctionKind::Scalar(bind)) => bind(&self.ctx, args)
                .map_err(|m| Diagnostic::error(codes::TYPE_MISMATCH, m, span))?,
            _ => return Err(Diagnostic::unsupported("pack_all()", span)),
        };
        if drop_empty {
            bag.expr = kql_functions::arrays::JSON_OP.call(vec![
                datafusion::logical_expr::lit("bag_drop_empty"),
                bag.expr,
            ]);
        }
        Ok(bag)
    }

    /// `table("Name")`: a table or tabular `let` by a constant name.
    fn table_by_name(&mut self, arg: &Expr, row: Option<&Tab>) -> Result<Value, Diagnostic> {
        let name = self.scalar(arg, row)?;
        let Some(name) = name.as_str_literal().map(str::to_string) else {
            return Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                "table() takes a constant table name",
                arg.span,
            ));
        };
        if let Some(Binding::Tabular(t)) = self.scope.get(&name) {
            return Ok(Value::Tabular(t.clone()));
        }
        match self.scan(&name, arg.span)? {
            Some(t) => Ok(Value::Tabular(t)),
            None => Err(self.unknown_name(&name, arg.span, None)),
        }
    }

    pub(crate) fn catalog_names(&self) -> Vec<String> {
        self.catalog.table_names()
    }

    /// A table of the catalog, scanned.
    pub(crate) fn scan(&self, name: &str, span: Span) -> Result<Option<Tab>, Diagnostic> {
        let Some(provider) = self.catalog.table(name) else {
            return Ok(None);
        };
        let plan = LogicalPlanBuilder::scan(name, provider_as_source(provider), None)
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        Ok(Some(Tab::from_plan(plan)))
    }

    pub(crate) fn unknown_name(&self, name: &str, span: Span, row: Option<&Tab>) -> Diagnostic {
        let mut candidates: Vec<String> = row.map(|r| r.names()).unwrap_or_default();
        candidates.extend(self.scope.names());
        candidates.extend(self.catalog.table_names());
        let what = if row.is_some() {
            "column, variable or table"
        } else {
            "table or variable"
        };
        let d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            format!("unknown {what} '{name}'"),
            span,
        );
        match suggest(name, &candidates) {
            Some(s) => d.with_help(format!("did you mean '{s}'?")),
            None => d,
        }
    }

    /// A declared query parameter: its given text read as the declared type, else its default.
    fn query_parameter(
        &mut self,
        p: &kql_syntax::ast::Param,
        span: Span,
    ) -> Result<Typed, Diagnostic> {
        let ParamType::Scalar(ty_name) = &p.ty else {
            return Err(Diagnostic::unsupported(
                "a tabular query parameter",
                p.name.span,
            ));
        };
        let ty = crate::literal::resolve_type(ty_name)?;
        match (self.params.get(&p.name.name), &p.default) {
            (Some(text), _) => crate::literal::parse_typed(text, ty).ok_or_else(|| {
                Diagnostic::error(
                    codes::BAD_LITERAL,
                    format!("--param {}: '{text}' is not a {ty}", p.name.name),
                    p.name.span,
                )
            }),
            (None, Some(d)) => self.scalar(d, None),
            (None, None) => Err(Diagnostic::error(
                codes::ARG_COUNT,
                format!(
                    "query parameter '{}' has no value: give it with --param {}=VALUE",
                    p.name.name, p.name.name
                ),
                span,
            )),
        }
    }

    /// `T | invoke f(args)`: calls the `let` function with T as its first (tabular) argument.
    pub(crate) fn invoke(&mut self, input: Tab, call: &Expr) -> Result<Tab, Diagnostic> {
        let ExprKind::Call { name, args } = &call.kind else {
            return Err(Diagnostic::error(
                codes::SYNTAX,
                "invoke needs a function call",
                call.span,
            ));
        };
        let Some(Binding::Function(f)) = self.scope.get(&name.name) else {
            return Err(Diagnostic::unsupported(
                format!("invoke of '{}'", name.name),
                name.span,
            ));
        };
        let f = f.clone();
        let Some(first) = f.def.params.first() else {
            return Err(Diagnostic::error(
                codes::ARG_COUNT,
                format!("{}() takes no table to invoke", name.name),
                call.span,
            ));
        };
        let saved = self.scope.clone();
        self.scope.push();
        let hidden = "__invoke_input";
        self.scope.define(hidden, Binding::Tabular(input));
        let mut all = vec![Expr {
            kind: ExprKind::NamedArg {
                name: first.name.clone(),
                value: Box::new(Expr {
                    kind: ExprKind::Name(kql_syntax::ast::Name {
                        name: hidden.into(),
                        span: call.span,
                    }),
                    span: call.span,
                }),
            },
            span: call.span,
        }];
        all.extend(args.iter().cloned());
        let result = self.call_user(&f, &all, None, call.span);
        self.scope = saved;
        match result? {
            Value::Tabular(t) => Ok(t),
            Value::Scalar(_) => Err(Diagnostic::error(
                codes::EXPR_KIND,
                "an invoked function must return a table",
                call.span,
            )),
        }
    }

    /// Inlines a call of a `let` function: arguments bound in the caller's scope, the body
    /// in the function's own scope plus its parameters.
    fn call_user(
        &mut self,
        f: &Rc<UserFunction>,
        args: &[Expr],
        row: Option<&Tab>,
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let params = &f.def.params;
        let (named, positional): (Vec<&Expr>, Vec<&Expr>) = args
            .iter()
            .partition(|a| matches!(a.kind, ExprKind::NamedArg { .. }));
        if positional.len() > params.len() {
            return Err(Diagnostic::error(
                codes::ARG_COUNT,
                format!(
                    "{}() takes {} arguments, got {}",
                    f.name,
                    params.len(),
                    args.len()
                ),
                span,
            ));
        }
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(Diagnostic::error(
                codes::SYNTAX,
                format!("function calls nest deeper than {MAX_CALL_DEPTH} levels (recursion?)"),
                span,
            ));
        }
        let mut bound = Vec::new();
        // Positional arguments fill the parameters not given by name, in order.
        let mut positional = positional.into_iter();
        for p in params {
            let by_name = named.iter().find_map(|a| match &a.kind {
                ExprKind::NamedArg { name, value } if name.name == p.name.name => {
                    Some(value.as_ref())
                }
                _ => None,
            });
            let given = match by_name {
                Some(v) => Some(v),
                None => positional.next(),
            };
            let arg = match (given, &p.default) {
                (Some(a), _) => a,
                (None, Some(d)) => d,
                (None, None) => {
                    return Err(Diagnostic::error(
                        codes::ARG_COUNT,
                        format!("{}() is missing its argument '{}'", f.name, p.name.name),
                        span,
                    ));
                }
            };
            let b = match &p.ty {
                ParamType::Tabular(_) => Binding::Tabular(self.tabular(arg)?),
                ParamType::Scalar(_) => Binding::Scalar(self.scalar(arg, row)?),
            };
            bound.push((p.name.name.clone(), b));
        }
        let saved = std::mem::replace(&mut self.scope, f.scope.clone());
        self.scope.push();
        for (name, b) in bound {
            self.scope.define(&name, b);
        }
        self.call_depth += 1;
        let result = self.function_body(f, row);
        self.call_depth -= 1;
        self.scope = saved;
        result
    }

    fn function_body(&mut self, f: &UserFunction, row: Option<&Tab>) -> Result<Value, Diagnostic> {
        self.body_value(&f.def.body, &f.def.result, row)
    }

    /// Binds a body's statements, then its result.
    pub(crate) fn body_value(
        &mut self,
        body: &[Statement],
        result: &Expr,
        row: Option<&Tab>,
    ) -> Result<Value, Diagnostic> {
        for stmt in body {
            match self.statement(stmt)? {
                Outcome::Materialize { name, tab } => self.define_table(&name, tab),
                Outcome::Defined | Outcome::Query(_) => {}
            }
        }
        self.value(result, row)
    }
}

/// The argument of `materialize(x)`, if `e` is such a call.
fn materialize_arg(e: &Expr) -> Option<&Expr> {
    match &e.kind {
        ExprKind::Call { name, args } if name.name == "materialize" && args.len() == 1 => {
            Some(&args[0])
        }
        _ => None,
    }
}
