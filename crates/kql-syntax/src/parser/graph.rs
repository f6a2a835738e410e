//! The graph operators: `make-graph`, `graph-match`, `graph-shortest-paths`,
//! `graph-mark-components` and `graph-to-table`, with their path patterns.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::token::{Punct, TokenKind};

impl Parser {
    /// `name = value` options of a graph operator (any name).
    pub(super) fn graph_params(&mut self) -> Result<Vec<OpParam>, Diagnostic> {
        let mut params = Vec::new();
        while matches!(self.peek().kind, TokenKind::Ident { quoted: false, .. })
            && self.peek_at(1).kind == TokenKind::Punct(Punct::Assign)
        {
            let name = self.name()?;
            self.bump();
            let value = self.option_value()?;
            params.push(OpParam { name, value });
        }
        Ok(params)
    }

    /// `make-graph Source --> Target [with T on Key, ...] [with_node_id=Name]`.
    pub(super) fn make_graph(&mut self) -> Result<OperatorKind, Diagnostic> {
        let source = self.name()?;
        let reversed = if self.eat_punct(Punct::Lt) {
            self.expect_punct(Punct::Minus)?;
            self.expect_punct(Punct::Minus)?;
            true
        } else {
            self.expect_punct(Punct::Minus)?;
            self.expect_punct(Punct::Minus)?;
            self.expect_punct(Punct::Gt)?;
            false
        };
        let target = self.name()?;
        let mut nodes = Vec::new();
        if self.eat_kw("with") {
            loop {
                let table = self.unary_operand()?;
                self.expect_kw("on")?;
                nodes.push((table, self.name()?));
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
        }
        let mut node_id = None;
        let mut partitioned = None;
        let mut params = self.graph_params()?;
        if self.at_kw("partitioned") {
            let by = self.hyphenated_name()?;
            if by.name != "partitioned-by" {
                return Err(self.expected("'partitioned-by'"));
            }
            let column = self.name()?;
            self.expect_punct(Punct::LParen)?;
            let mut body = vec![self.operator()?];
            while self.eat_punct(Punct::Pipe) {
                body.push(self.operator()?);
            }
            self.expect_punct(Punct::RParen)?;
            partitioned = Some((column, body));
        }
        params.extend(self.graph_params()?);
        for p in params {
            match (p.name.name.as_str(), &p.value.kind) {
                ("with_node_id", ExprKind::Name(n)) => node_id = Some(n.clone()),
                _ => {
                    return Err(Diagnostic::unsupported(
                        format!("the make-graph option '{}'", p.name.name),
                        p.name.span,
                    ));
                }
            }
        }
        Ok(OperatorKind::MakeGraph(Box::new(MakeGraph {
            source,
            target,
            reversed,
            nodes,
            node_id,
            partitioned,
        })))
    }

    /// `graph-match`/`graph-shortest-paths`: options, patterns, `where`, `project`.
    pub(super) fn graph_match(&mut self, shortest: bool) -> Result<OperatorKind, Diagnostic> {
        let params = self.graph_params()?;
        let mut patterns = vec![self.pattern()?];
        while self.eat_punct(Punct::Comma) {
            patterns.push(self.pattern()?);
        }
        let where_ = if self.eat_kw("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let project = if self.eat_kw("project") {
            self.named_exprs()?
        } else {
            Vec::new()
        };
        Ok(OperatorKind::GraphMatch(Box::new(GraphMatch {
            shortest,
            params,
            patterns,
            where_,
            project,
        })))
    }

    /// `graph-to-table nodes|edges [options]`.
    pub(super) fn graph_to_table(&mut self) -> Result<OperatorKind, Diagnostic> {
        let nodes = if self.eat_kw("nodes") {
            true
        } else if self.eat_kw("edges") {
            false
        } else {
            return Err(self.expected("'nodes' or 'edges'"));
        };
        let params = self.graph_params()?;
        Ok(OperatorKind::GraphToTable { nodes, params })
    }

    /// `(a)-[e]->(b)<-[f*1..3]-(c)--(d)`.
    fn pattern(&mut self) -> Result<Vec<PatternPart>, Diagnostic> {
        let mut parts = vec![self.pattern_node()?];
        while self.at_punct(Punct::Minus) || self.at_punct(Punct::Lt) {
            parts.push(PatternPart::Edge(self.pattern_edge()?));
            parts.push(self.pattern_node()?);
        }
        Ok(parts)
    }

    fn pattern_node(&mut self) -> Result<PatternPart, Diagnostic> {
        self.expect_punct(Punct::LParen)?;
        let name = if self.at_punct(Punct::RParen) {
            None
        } else {
            Some(self.name()?)
        };
        self.expect_punct(Punct::RParen)?;
        Ok(PatternPart::Node(name))
    }

    /// `-[e]->`, `<-[e]-`, `-[e]-`, `-->`, `<--`, `--`, with `*min..max` in the brackets.
    fn pattern_edge(&mut self) -> Result<PatternEdge, Diagnostic> {
        let backward = self.eat_punct(Punct::Lt);
        self.expect_punct(Punct::Minus)?;
        let (mut name, mut hops) = (None, None);
        if self.eat_punct(Punct::LBracket) {
            if !self.at_punct(Punct::Star) && !self.at_punct(Punct::RBracket) {
                name = Some(self.name()?);
            }
            if self.eat_punct(Punct::Star) {
                let min = self.hop_count()?;
                let max = if self.eat_punct(Punct::DotDot) {
                    self.hop_count()?
                } else {
                    min
                };
                hops = Some((min, max));
            }
            self.expect_punct(Punct::RBracket)?;
        }
        self.expect_punct(Punct::Minus)?;
        let forward = self.eat_punct(Punct::Gt);
        let direction = match (backward, forward) {
            (true, false) => EdgeDirection::Backward,
            (false, true) => EdgeDirection::Forward,
            (false, false) => EdgeDirection::Any,
            (true, true) => return Err(self.expected("an edge with one direction")),
        };
        Ok(PatternEdge {
            name,
            direction,
            hops,
        })
    }

    fn hop_count(&mut self) -> Result<u32, Diagnostic> {
        match self.peek().kind {
            TokenKind::Long(n) if (0..=1000).contains(&n) => {
                self.bump();
                Ok(n as u32)
            }
            _ => Err(self.expected("a number of edges")),
        }
    }
}
