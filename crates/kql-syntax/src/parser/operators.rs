//! Tabular operators: what follows a `|` (and the source operators such as `print`).

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::token::{Punct, TokenKind};

/// Operators that are valid KQL but not parsed in detail yet: their text is skipped and the
/// binder reports "not supported yet".
const SKIPPED_OPERATORS: &[&str] = &[
    "top-hitters",
    "find",
    "partition",
    "facet",
    "fork",
    "reduce",
    "consume",
    "extend-where",
    "lookup-where",
    "sample-distinct",
    "macro-expand",
];

impl Parser {
    pub(crate) fn operator(&mut self) -> Result<Operator, Diagnostic> {
        let name = match self.peek().kind {
            TokenKind::Ident { quoted: false, .. } => self.hyphenated_name()?,
            _ => return Err(self.expected("a query operator")),
        };
        let start = name.span.start;
        let kind = match name.name.as_str() {
            "where" | "filter" => OperatorKind::Where(self.expr()?),
            "extend" => OperatorKind::Extend(self.named_exprs()?),
            "project" => OperatorKind::Project(self.named_exprs()?),
            "project-away" => OperatorKind::ProjectAway(self.column_patterns()?),
            "project-keep" => OperatorKind::ProjectKeep(self.column_patterns()?),
            "project-rename" => OperatorKind::ProjectRename(self.renames()?),
            "project-reorder" => OperatorKind::ProjectReorder(self.sort_keys(true)?),
            "summarize" => {
                let params = self.op_params()?;
                let aggregates = if self.at_kw("by") {
                    Vec::new()
                } else {
                    self.named_exprs()?
                };
                let by = if self.eat_kw("by") {
                    self.named_exprs()?
                } else {
                    Vec::new()
                };
                OperatorKind::Summarize {
                    params,
                    aggregates,
                    by,
                }
            }
            "order" | "sort" => {
                self.expect_kw("by")?;
                OperatorKind::Sort(self.sort_keys(false)?)
            }
            "top" => {
                let count = self.expr()?;
                self.expect_kw("by")?;
                let by = self.sort_key(false)?;
                OperatorKind::Top { count, by }
            }
            "take" | "limit" => {
                self.op_params()?;
                OperatorKind::Take(self.expr()?)
            }
            "distinct" => OperatorKind::Distinct(self.expr_list()?),
            "count" => OperatorKind::Count,
            "join" | "lookup" => {
                let params = self.op_params()?;
                let right = self.unary_operand()?;
                let on = if self.eat_kw("on") {
                    self.expr_list()?
                } else {
                    Vec::new()
                };
                if name.name == "join" {
                    OperatorKind::Join { params, right, on }
                } else {
                    OperatorKind::Lookup { params, right, on }
                }
            }
            "union" => {
                let params = self.op_params()?;
                let mut tables = vec![self.union_table()?];
                while self.eat_punct(Punct::Comma) {
                    tables.push(self.union_table()?);
                }
                OperatorKind::Union { params, tables }
            }
            "mv-expand" | "mvexpand" => self.mv_expand()?,
            "parse-kv" => self.parse_kv()?,
            "project-by-names" => {
                let mut names = vec![self.expr()?];
                while self.eat_punct(Punct::Comma) {
                    names.push(self.expr()?);
                }
                OperatorKind::ProjectByNames(names)
            }
            "parse" | "parse-where" => {
                let params = self.op_params()?;
                let source = self.expr()?;
                self.expect_kw("with")?;
                let pattern = self.parse_pattern()?;
                OperatorKind::Parse {
                    params,
                    source,
                    pattern,
                    where_: name.name == "parse-where",
                }
            }
            "print" => OperatorKind::Print(if self.at_operator_end() {
                Vec::new()
            } else {
                self.named_exprs()?
            }),
            "range" => {
                let col = self.name()?;
                self.expect_kw("from")?;
                let from = self.expr()?;
                self.expect_kw("to")?;
                let to = self.expr()?;
                self.expect_kw("step")?;
                let step = self.expr()?;
                OperatorKind::Range {
                    name: col,
                    from,
                    to,
                    step,
                }
            }
            "datatable" => {
                self.expect_punct(Punct::LParen)?;
                let columns = self.column_decls_until_rparen()?;
                self.expect_punct(Punct::LBracket)?;
                let mut values = Vec::new();
                if !self.eat_punct(Punct::RBracket) {
                    loop {
                        values.push(self.expr()?);
                        if self.eat_punct(Punct::RBracket) {
                            break;
                        }
                        self.expect_punct(Punct::Comma)?;
                        if self.eat_punct(Punct::RBracket) {
                            break;
                        }
                    }
                }
                OperatorKind::Datatable { columns, values }
            }
            "externaldata" => self.external_data()?,
            "as" => {
                self.op_params()?;
                OperatorKind::As(self.name()?)
            }
            "getschema" => OperatorKind::GetSchema,
            "serialize" => OperatorKind::Serialize(if self.at_operator_end() {
                Vec::new()
            } else {
                self.named_exprs()?
            }),
            "sample" => OperatorKind::Sample(self.expr()?),
            "evaluate" => {
                let params = self.op_params()?;
                let plugin = self.expr()?;
                let schema = if self.eat_punct(Punct::Colon) {
                    self.expect_punct(Punct::LParen)?;
                    let wildcard = self.eat_punct(Punct::Star);
                    if wildcard && !self.eat_punct(Punct::Comma) {
                        self.expect_punct(Punct::RParen)?;
                        Some(OutputSchema {
                            wildcard,
                            columns: Vec::new(),
                        })
                    } else {
                        Some(OutputSchema {
                            wildcard,
                            columns: self.column_decls_until_rparen()?,
                        })
                    }
                } else {
                    None
                };
                OperatorKind::Evaluate {
                    params,
                    plugin,
                    schema,
                }
            }
            "invoke" => OperatorKind::Invoke(self.expr()?),
            "make-series" => self.make_series()?,
            "mv-apply" => {
                let OperatorKind::MvExpand {
                    params,
                    columns,
                    limit,
                } = self.mv_expand()?
                else {
                    return Err(self.expected("mv-apply columns"));
                };
                self.expect_kw("on")?;
                self.expect_punct(Punct::LParen)?;
                let mut body = vec![self.operator()?];
                while self.eat_punct(Punct::Pipe) {
                    body.push(self.operator()?);
                }
                self.expect_punct(Punct::RParen)?;
                OperatorKind::MvApply {
                    params,
                    columns,
                    limit,
                    body,
                }
            }
            "top-nested" => self.top_nested()?,
            "scan" => self.scan()?,
            "search" => self.search()?,
            "make-graph" => self.make_graph()?,
            "graph-match" => self.graph_match(false)?,
            "graph-shortest-paths" => self.graph_match(true)?,
            "graph-mark-components" => OperatorKind::GraphMarkComponents(self.graph_params()?),
            "graph-to-table" => self.graph_to_table()?,
            "render" => {
                self.skip_operator_text();
                OperatorKind::Render
            }
            other if SKIPPED_OPERATORS.contains(&other) => {
                self.skip_operator_text();
                OperatorKind::Unsupported(other.to_string())
            }
            _ => {
                return Err(Diagnostic::error(
                    crate::diagnostic::codes::SYNTAX,
                    format!("expected a query operator; found '{}'", name.name),
                    name.span,
                ));
            }
        };
        Ok(Operator {
            kind,
            name_span: name.span,
            span: Span::new(start, self.prev_end()),
        })
    }

    fn at_operator_end(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Eof | TokenKind::Punct(Punct::Pipe | Punct::Semicolon | Punct::RParen)
        )
    }

    /// Skips the text of an operator up to the next `|`, `;` or unbalanced `)` at depth 0.
    fn skip_operator_text(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().kind {
                TokenKind::Eof => return,
                TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::LBrace) => depth += 1,
                TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace) => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                TokenKind::Punct(Punct::Pipe | Punct::Semicolon) if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// `name[.sub]=value` options such as `kind=inner`, `hint.strategy=shuffle`.
    /// `externaldata (col:type, ...) [ uri, ... ] [with (name = value, ...)]`.
    fn external_data(&mut self) -> Result<OperatorKind, Diagnostic> {
        self.expect_punct(Punct::LParen)?;
        let columns = self.column_decls_until_rparen()?;
        self.expect_punct(Punct::LBracket)?;
        let mut uris = vec![self.expr()?];
        while self.eat_punct(Punct::Comma) {
            uris.push(self.expr()?);
        }
        self.expect_punct(Punct::RBracket)?;
        let properties = self.with_properties()?;
        Ok(OperatorKind::ExternalData {
            columns,
            uris,
            properties,
        })
    }

    /// `parse-kv expr as (col:type, ...) [with (name = value, ...)]`.
    fn parse_kv(&mut self) -> Result<OperatorKind, Diagnostic> {
        let source = self.expr()?;
        self.expect_kw("as")?;
        self.expect_punct(Punct::LParen)?;
        let columns = self.column_decls_until_rparen()?;
        let properties = self.with_properties()?;
        Ok(OperatorKind::ParseKv {
            source,
            columns,
            properties,
        })
    }

    /// An optional `with (name = value, ...)` list of properties.
    fn with_properties(&mut self) -> Result<Vec<OpParam>, Diagnostic> {
        let mut properties = Vec::new();
        if !self.eat_kw("with") {
            return Ok(properties);
        }
        self.expect_punct(Punct::LParen)?;
        loop {
            let name = self.name()?;
            self.expect_punct(Punct::Assign)?;
            let value = self.expr()?;
            properties.push(OpParam { name, value });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_punct(Punct::RParen)?;
        Ok(properties)
    }

    pub(super) fn op_params(&mut self) -> Result<Vec<OpParam>, Diagnostic> {
        let mut params = Vec::new();
        loop {
            let is_param = matches!(self.peek().kind, TokenKind::Ident { quoted: false, .. }) && {
                // name ('.' name)* '='
                let mut i = 1;
                while self.peek_at(i).kind == TokenKind::Punct(Punct::Dot)
                    && matches!(self.peek_at(i + 1).kind, TokenKind::Ident { .. })
                {
                    i += 2;
                }
                self.peek_at(i).kind == TokenKind::Punct(Punct::Assign)
                    && Self::is_option_name(&self.peek().kind)
            };
            if !is_param {
                return Ok(params);
            }
            let mut name = self.name()?;
            while self.eat_punct(Punct::Dot) {
                let part = self.name()?;
                name.name = format!("{}.{}", name.name, part.name);
                name.span = name.span.to(part.span);
            }
            self.expect_punct(Punct::Assign)?;
            let value = self.option_value()?;
            params.push(OpParam { name, value });
        }
    }

    fn is_option_name(kind: &TokenKind) -> bool {
        let TokenKind::Ident { name, .. } = kind else {
            return false;
        };
        matches!(
            name.as_str(),
            "kind"
                | "hint"
                | "with_itemindex"
                | "bagexpansion"
                | "withsource"
                | "isfuzzy"
                | "flags"
                | "bin_legacy"
                | "with_match_id"
                | "decodeblocks"
                | "with_source"
        )
    }

    /// The value of an operator option: a bare name or a literal, never a call.
    pub(super) fn option_value(&mut self) -> Result<Expr, Diagnostic> {
        if matches!(self.peek().kind, TokenKind::Ident { .. })
            && !self.at_kw("true")
            && !self.at_kw("false")
        {
            let n = self.name()?;
            return Ok(Expr {
                span: n.span,
                kind: ExprKind::Name(n),
            });
        }
        self.postfix_expr()
    }

    /// An operand of `join`: a name, literal, or parenthesised pipe.
    pub(super) fn unary_operand(&mut self) -> Result<Expr, Diagnostic> {
        self.postfix_expr()
    }

    fn union_table(&mut self) -> Result<Expr, Diagnostic> {
        // Wildcard table names: Device*, *Events
        let at_pattern = matches!(self.peek().kind, TokenKind::Ident { quoted: false, .. })
            || self.at_punct(Punct::Star);
        if at_pattern && let Some(p) = self.try_name_pattern()? {
            return Ok(p);
        }
        self.unary_operand()
    }

    /// `[Name =] expr, ...` or `(A, B) = expr`.
    pub(super) fn named_exprs(&mut self) -> Result<Vec<NamedExpr>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            out.push(self.named_expr()?);
            if !self.eat_punct(Punct::Comma) {
                return Ok(out);
            }
        }
    }

    pub(super) fn named_expr(&mut self) -> Result<NamedExpr, Diagnostic> {
        if let Some(len) = self.name_len_at(0)
            && self.peek_at(len).kind == TokenKind::Punct(Punct::Assign)
        {
            let name = self.name()?;
            self.bump();
            let expr = self.expr()?;
            return Ok(NamedExpr {
                names: vec![name],
                expr,
            });
        }
        if self.at_punct(Punct::LParen) && self.tuple_names_ahead() {
            self.bump();
            let mut names = vec![self.name()?];
            while self.eat_punct(Punct::Comma) {
                names.push(self.name()?);
            }
            self.expect_punct(Punct::RParen)?;
            self.expect_punct(Punct::Assign)?;
            let expr = self.expr()?;
            return Ok(NamedExpr { names, expr });
        }
        Ok(NamedExpr {
            names: Vec::new(),
            expr: self.expr()?,
        })
    }

    fn tuple_names_ahead(&self) -> bool {
        let mut i = 1;
        loop {
            let Some(len) = self.name_len_at(i) else {
                return false;
            };
            match self.peek_at(i + len).kind {
                TokenKind::Punct(Punct::Comma) => i += len + 1,
                TokenKind::Punct(Punct::RParen) => {
                    return self.peek_at(i + len + 1).kind == TokenKind::Punct(Punct::Assign);
                }
                _ => return false,
            }
        }
    }

    pub(super) fn expr_list(&mut self) -> Result<Vec<Expr>, Diagnostic> {
        let mut out = vec![self.expr()?];
        while self.eat_punct(Punct::Comma) {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    /// Column names that may contain `*` wildcards: `Col`, `Prefix*`, `*`.
    fn column_patterns(&mut self) -> Result<Vec<Expr>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            match self.try_name_pattern()? {
                Some(p) => out.push(p),
                None => return Err(self.expected("a column name")),
            }
            if !self.eat_punct(Punct::Comma) {
                return Ok(out);
            }
        }
    }

    /// A name made of adjacent identifier and `*` tokens (`Device*`). None if not at a name.
    fn try_name_pattern(&mut self) -> Result<Option<Expr>, Diagnostic> {
        let start = self.peek().span.start;
        let mut text = String::new();
        let mut end = start;
        loop {
            let t = self.peek();
            if t.span.start != end && !text.is_empty() {
                break;
            }
            match &t.kind {
                TokenKind::Ident { name, .. } => text.push_str(name),
                TokenKind::Punct(Punct::Star) => text.push('*'),
                _ => break,
            }
            end = t.span.end;
            self.bump();
        }
        if text.is_empty() {
            return Ok(None);
        }
        Ok(Some(Expr {
            kind: ExprKind::Name(Name {
                name: text,
                span: Span::new(start, end),
            }),
            span: Span::new(start, end),
        }))
    }

    fn renames(&mut self) -> Result<Vec<(Name, Name)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            let new = self.name()?;
            self.expect_punct(Punct::Assign)?;
            let old = self.name()?;
            out.push((new, old));
            if !self.eat_punct(Punct::Comma) {
                return Ok(out);
            }
        }
    }

    fn sort_keys(&mut self, patterns: bool) -> Result<Vec<SortKey>, Diagnostic> {
        let mut out = vec![self.sort_key(patterns)?];
        while self.eat_punct(Punct::Comma) {
            out.push(self.sort_key(patterns)?);
        }
        Ok(out)
    }

    fn sort_key(&mut self, patterns: bool) -> Result<SortKey, Diagnostic> {
        let expr = if patterns {
            match self.try_name_pattern()? {
                Some(e) => e,
                None => return Err(self.expected("a column name")),
            }
        } else {
            self.expr()?
        };
        let ascending = if self.eat_kw("asc") {
            Some(true)
        } else if self.eat_kw("desc") {
            Some(false)
        } else {
            None
        };
        let nulls_first = if self.eat_kw("nulls") {
            if self.eat_kw("first") {
                Some(true)
            } else {
                self.expect_kw("last")?;
                Some(false)
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            ascending,
            nulls_first,
        })
    }

    fn mv_expand(&mut self) -> Result<OperatorKind, Diagnostic> {
        let params = self.op_params()?;
        let mut columns = Vec::new();
        loop {
            let ne = self.named_expr()?;
            let to_type = if self.eat_kw("to") {
                self.expect_kw("typeof")?;
                self.expect_punct(Punct::LParen)?;
                let t = self.type_name()?;
                self.expect_punct(Punct::RParen)?;
                Some(t)
            } else {
                None
            };
            columns.push(MvExpandColumn {
                name: ne.names.into_iter().next(),
                expr: ne.expr,
                to_type,
            });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        let limit = if self.eat_kw("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(OperatorKind::MvExpand {
            params,
            columns,
            limit,
        })
    }

    fn parse_pattern(&mut self) -> Result<Vec<ParsePart>, Diagnostic> {
        let mut parts = Vec::new();
        loop {
            let tok = self.peek().clone();
            match tok.kind {
                TokenKind::String(s) => {
                    self.bump();
                    parts.push(ParsePart::Literal(s, tok.span));
                }
                TokenKind::Punct(Punct::Star) => {
                    self.bump();
                    parts.push(ParsePart::Wildcard(tok.span));
                }
                TokenKind::Ident { .. } => {
                    let name = self.name()?;
                    let ty = if self.eat_punct(Punct::Colon) {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    parts.push(ParsePart::Column(name, ty));
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(self.expected("a parse pattern"));
        }
        Ok(parts)
    }
}
