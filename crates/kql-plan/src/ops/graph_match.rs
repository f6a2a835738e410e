//! `graph-match` and `graph-shortest-paths`: the paths of an in-memory graph that fit the
//! patterns are enumerated here; each becomes a row whose columns are the properties of
//! the pattern's nodes and edges (`v.p` reads column `v_p`), and `where` and `project` then
//! run as ordinary operators over those rows. `map()`, `all()` and `any()` over a path's
//! edges or `inner_nodes()` are computed per element by DataFusion beforehand.

use super::graph::{Graph, Props, memory_table};
use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, StringArray};
use datafusion::logical_expr::{col, lit};
use kql_syntax::ast::{
    EdgeDirection, Expr, ExprKind, GraphMatch, Name, NamedExpr, Operator, OperatorKind, PatternPart,
};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;
use std::collections::HashMap;
use std::sync::Arc;

/// At most this many matches are enumerated before the query is refused.
const MAX_MATCHES: usize = 1_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Cycles {
    All,
    None,
    UniqueEdges,
}

struct Step {
    var: String,
    direction: EdgeDirection,
    hops: Option<(u32, u32)>,
}

struct Pattern {
    nodes: Vec<String>,
    steps: Vec<Step>,
}

/// One match: the node of each node variable, and the edges (and nodes, ends included) of
/// each edge variable.
#[derive(Clone, Default)]
struct Match {
    nodes: HashMap<String, usize>,
    edges: HashMap<String, (Vec<usize>, Vec<usize>)>,
}

/// A `map`/`all`/`any` call over a path, computed into column `__graph_list{k}`.
struct ListCall {
    kind: String,
    edge: String,
    inner_nodes: bool,
    expr: Expr,
}

struct Matcher<'g> {
    graph: &'g Graph,
    adjacent: Vec<Vec<(usize, usize, bool)>>,
    cycles: Cycles,
    out: Vec<Match>,
}

impl Matcher<'_> {
    /// The edges leaving `node` in a direction: (edge, other end).
    fn next(&self, node: usize, direction: EdgeDirection) -> impl Iterator<Item = (usize, usize)> {
        self.adjacent[node]
            .iter()
            .filter(move |(_, _, outgoing)| match direction {
                EdgeDirection::Forward => *outgoing,
                EdgeDirection::Backward => !*outgoing,
                EdgeDirection::Any => true,
            })
            .map(|&(e, other, _)| (e, other))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Paths from `node` of `min..=max` edges.
    fn paths(&self, node: usize, step: &Step, min: u32, max: u32) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut found = Vec::new();
        let mut stack = vec![(vec![], vec![node])];
        while let Some((edges, nodes)) = stack.pop() {
            if edges.len() as u32 >= min {
                found.push((edges.clone(), nodes.clone()));
            }
            if edges.len() as u32 == max {
                continue;
            }
            let here = *nodes.last().unwrap_or(&node);
            let mut more: Vec<_> = self
                .next(here, step.direction)
                .filter(|(e, other)| match self.cycles {
                    Cycles::All => true,
                    Cycles::UniqueEdges => !edges.contains(e),
                    Cycles::None => !nodes.contains(other),
                })
                .map(|(e, other)| {
                    let (mut es, mut ns) = (edges.clone(), nodes.clone());
                    es.push(e);
                    ns.push(other);
                    (es, ns)
                })
                .collect();
            more.reverse();
            stack.extend(more);
        }
        found.sort_by_key(|(e, _)| e.len());
        found
    }

    fn walk(
        &mut self,
        patterns: &[Pattern],
        p: usize,
        s: usize,
        at: usize,
        m: Match,
    ) -> Result<(), String> {
        if self.out.len() > MAX_MATCHES {
            return Err(format!(
                "the graph patterns have more than {MAX_MATCHES} matches"
            ));
        }
        let pattern = &patterns[p];
        if s == pattern.steps.len() {
            return self.start(patterns, p + 1, m);
        }
        let step = &pattern.steps[s];
        let target = &pattern.nodes[s + 1];
        let choices: Vec<(Vec<usize>, Vec<usize>)> = match step.hops {
            None => self
                .next(at, step.direction)
                .map(|(e, other)| (vec![e], vec![at, other]))
                .collect(),
            Some((min, max)) => self.paths(at, step, min, max),
        };
        for (edges, nodes) in choices {
            let end = *nodes.last().unwrap_or(&at);
            if m.nodes.get(target).is_some_and(|&n| n != end) {
                continue;
            }
            let mut next = m.clone();
            next.nodes.insert(target.clone(), end);
            next.edges.insert(step.var.clone(), (edges, nodes));
            self.walk(patterns, p, s + 1, end, next)?;
        }
        Ok(())
    }

    fn start(&mut self, patterns: &[Pattern], p: usize, m: Match) -> Result<(), String> {
        let Some(pattern) = patterns.get(p) else {
            self.out.push(m);
            return Ok(());
        };
        let first = &pattern.nodes[0];
        let starts: Vec<usize> = match m.nodes.get(first) {
            Some(&n) => vec![n],
            None => (0..self.graph.nodes.rows()).collect(),
        };
        for n in starts {
            let mut next = m.clone();
            next.nodes.insert(first.clone(), n);
            self.walk(patterns, p, 0, n, next)?;
        }
        Ok(())
    }
}

fn patterns(parts: &[Vec<PatternPart>]) -> Vec<Pattern> {
    let mut anonymous = 0;
    let mut fresh = |n: &Option<Name>| {
        n.as_ref().map(|n| n.name.clone()).unwrap_or_else(|| {
            anonymous += 1;
            format!("__anonymous{anonymous}")
        })
    };
    parts
        .iter()
        .map(|parts| {
            let mut p = Pattern {
                nodes: Vec::new(),
                steps: Vec::new(),
            };
            for part in parts {
                match part {
                    PatternPart::Node(n) => p.nodes.push(fresh(n)),
                    PatternPart::Edge(e) => p.steps.push(Step {
                        var: fresh(&e.name),
                        direction: e.direction,
                        hops: e.hops,
                    }),
                }
            }
            p
        })
        .collect()
}

/// The variables of the patterns: node variables, single edges and paths.
struct Vars {
    nodes: Vec<String>,
    edges: Vec<String>,
    paths: Vec<String>,
}

impl Vars {
    fn of(patterns: &[Pattern]) -> Vars {
        let mut v = Vars {
            nodes: Vec::new(),
            edges: Vec::new(),
            paths: Vec::new(),
        };
        let named = |n: &String| !n.starts_with("__anonymous");
        for p in patterns {
            for n in p.nodes.iter().filter(|n| named(n)) {
                if !v.nodes.contains(n) {
                    v.nodes.push(n.clone());
                }
            }
            for s in p.steps.iter().filter(|s| named(&s.var)) {
                let list = if s.hops.is_some() {
                    &mut v.paths
                } else {
                    &mut v.edges
                };
                list.push(s.var.clone());
            }
        }
        v
    }
}

/// Rewrites `v.p` to the column `v_p`, and `map`/`all`/`any` over paths to list columns.
fn rewrite(e: &Expr, vars: &Vars, lists: &mut Vec<ListCall>) -> Expr {
    e.rewrite(&mut |x| match &x.kind {
        ExprKind::Member { target, name } => match &target.kind {
            ExprKind::Name(v) if vars.nodes.contains(&v.name) || vars.edges.contains(&v.name) => {
                Some(name_expr(format!("{}_{}", v.name, name.name), x.span))
            }
            _ => None,
        },
        ExprKind::Call { name, args }
            if matches!(name.name.as_str(), "map" | "all" | "any") && args.len() == 2 =>
        {
            let (edge, inner_nodes) = match &args[0].kind {
                ExprKind::Name(n) => (n.name.clone(), false),
                ExprKind::Call { name: f, args: a } if f.name == "inner_nodes" && a.len() == 1 => {
                    match &a[0].kind {
                        ExprKind::Name(n) => (n.name.clone(), true),
                        _ => return None,
                    }
                }
                _ => return None,
            };
            if !vars.paths.contains(&edge) {
                return None;
            }
            lists.push(ListCall {
                kind: name.name.clone(),
                edge,
                inner_nodes,
                expr: args[1].clone(),
            });
            Some(name_expr(
                format!("__graph_list{}", lists.len() - 1),
                x.span,
            ))
        }
        _ => None,
    })
}

fn name_expr(text: String, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(name(&text, span)),
        span,
    }
}

fn name(text: &str, span: Span) -> Name {
    Name {
        name: text.to_string(),
        span,
    }
}

fn operator(kind: OperatorKind, span: Span) -> Operator {
    Operator {
        kind,
        name_span: span,
        span,
    }
}

impl Binder<'_> {
    /// `graph-match` / `graph-shortest-paths` over a graph.
    pub(super) fn graph_match(
        &mut self,
        g: Graph,
        gm: &GraphMatch,
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let (mut cycles, mut all_shortest) = (Cycles::UniqueEdges, false);
        for p in &gm.params {
            match (p.name.name.as_str(), p.word().as_deref()) {
                ("cycles", Some("all")) => cycles = Cycles::All,
                ("cycles", Some("none")) => cycles = Cycles::None,
                ("cycles", Some("unique_edges")) => cycles = Cycles::UniqueEdges,
                ("output", Some("all")) => all_shortest = true,
                ("output", Some("any")) => all_shortest = false,
                _ => {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        format!("unknown graph-match option '{}'", p.name.name),
                        p.name.span,
                    ));
                }
            }
        }
        if gm.project.is_empty() {
            return Err(Diagnostic::error(
                codes::SYNTAX,
                "graph-match needs a 'project' clause",
                span,
            ));
        }
        let patterns = patterns(&gm.patterns);
        let mut adjacent = vec![Vec::new(); g.nodes.rows()];
        for (e, &(s, d)) in g.ends.iter().enumerate() {
            adjacent[s].push((e, d, true));
            if s != d {
                adjacent[d].push((e, s, false));
            }
        }
        let mut m = Matcher {
            graph: &g,
            adjacent,
            cycles,
            out: Vec::new(),
        };
        m.start(&patterns, 0, Match::default())
            .map_err(|msg| Diagnostic::error(codes::LIMIT, msg, span))?;
        let matches = m.out;
        let vars = Vars::of(&patterns);
        let mut lists = Vec::new();
        let pred = gm.where_.as_ref().map(|w| rewrite(w, &vars, &mut lists));
        let items: Vec<NamedExpr> = gm
            .project
            .iter()
            .map(|i| NamedExpr {
                names: i.names.clone(),
                expr: rewrite(&i.expr, &vars, &mut lists),
            })
            .collect();
        let mut tab = self.match_table(&g, &matches, &vars, &lists, &patterns, span)?;
        if let Some(pred) = pred {
            tab = self.operator(tab, &operator(OperatorKind::Where(pred), span))?;
        }
        if gm.shortest {
            tab = self.shortest(tab, all_shortest, span)?;
        }
        self.operator(tab, &operator(OperatorKind::Project(items), span))
    }

    /// The rows of the matches: ids, path lengths and ends, properties, and list columns.
    fn match_table(
        &mut self,
        g: &Graph,
        matches: &[Match],
        vars: &Vars,
        lists: &[ListCall],
        patterns: &[Pattern],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let err = |e: String| Diagnostic::error(codes::RUNTIME, e, span);
        let long = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
        let ends = |m: &Match| {
            let p = &patterns[0];
            (
                m.nodes[&p.nodes[0]] as i64,
                m.nodes[&p.nodes[p.nodes.len() - 1]] as i64,
            )
        };
        let mut columns: Vec<(String, KType, ArrayRef)> = vec![
            (
                "__match".into(),
                KType::Long,
                long((0..matches.len() as i64).collect()),
            ),
            (
                "__length".into(),
                KType::Long,
                long(
                    matches
                        .iter()
                        .map(|m| m.edges.values().map(|(e, _)| e.len() as i64).sum())
                        .collect(),
                ),
            ),
            (
                "__start".into(),
                KType::Long,
                long(matches.iter().map(|m| ends(m).0).collect()),
            ),
            (
                "__end".into(),
                KType::Long,
                long(matches.iter().map(|m| ends(m).1).collect()),
            ),
        ];
        let mut add = |var: &str, props: &Props, rows: Vec<usize>| -> Result<(), Diagnostic> {
            for c in 0..props.names.len() {
                columns.push((
                    format!("{var}_{}", props.names[c]),
                    props.types[c],
                    props.array(c, &rows).map_err(err)?,
                ));
            }
            Ok(())
        };
        for v in &vars.nodes {
            add(v, &g.nodes, matches.iter().map(|m| m.nodes[v]).collect())?;
        }
        for v in &vars.edges {
            add(
                v,
                &g.edges,
                matches.iter().map(|m| m.edges[v].0[0]).collect(),
            )?;
        }
        for (k, l) in lists.iter().enumerate() {
            let values = self.list_values(g, matches, l, span)?;
            let array: ArrayRef = if l.kind == "map" {
                Arc::new(StringArray::from_iter_values(
                    values
                        .iter()
                        .map(|v| serde_json::Value::Array(v.clone()).to_string()),
                ))
            } else {
                let all = l.kind == "all";
                Arc::new(BooleanArray::from_iter(values.iter().map(|v| {
                    let truth = |x: &serde_json::Value| x.as_bool() == Some(true);
                    Some(if all {
                        v.iter().all(truth)
                    } else {
                        v.iter().any(truth)
                    })
                })))
            };
            let ty = if l.kind == "map" {
                KType::Dynamic
            } else {
                KType::Bool
            };
            columns.push((format!("__graph_list{k}"), ty, array));
        }
        memory_table(columns, span)
    }

    /// A list call's element values for each match, in path order, computed by running
    /// its expression over a table of the elements' properties.
    fn list_values(
        &mut self,
        g: &Graph,
        matches: &[Match],
        l: &ListCall,
        span: Span,
    ) -> Result<Vec<Vec<serde_json::Value>>, Diagnostic> {
        let err = |e: String| Diagnostic::error(codes::RUNTIME, e, span);
        let (mut owner, mut rows) = (Vec::new(), Vec::new());
        for (i, m) in matches.iter().enumerate() {
            let (edges, nodes) = &m.edges[&l.edge];
            let elements: Vec<usize> = if l.inner_nodes {
                nodes[1..nodes.len().saturating_sub(1).max(1)].to_vec()
            } else {
                edges.clone()
            };
            owner.extend(std::iter::repeat_n(i as i64, elements.len()));
            rows.extend(elements);
        }
        let props = if l.inner_nodes { &g.nodes } else { &g.edges };
        let mut columns: Vec<(String, KType, ArrayRef)> = vec![(
            "__owner".into(),
            KType::Long,
            Arc::new(Int64Array::from(owner.clone())),
        )];
        for c in 0..props.names.len() {
            columns.push((
                props.names[c].clone(),
                props.types[c],
                props.array(c, &rows).map_err(err)?,
            ));
        }
        let elements = memory_table(columns, span)?;
        let value = Expr {
            kind: ExprKind::Call {
                name: name("pack_array", span),
                args: vec![l.expr.clone()],
            },
            span,
        };
        let projected = self.operator(
            elements,
            &operator(
                OperatorKind::Project(vec![NamedExpr {
                    names: vec![name("__value", span)],
                    expr: value,
                }]),
                span,
            ),
        )?;
        let mut out = vec![Vec::new(); matches.len()];
        let mut at = 0;
        for batch in self.run_probe(projected.plan, span)? {
            let texts = datafusion::arrow::compute::cast(
                batch.column(0),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .map_err(|e| err(e.to_string()))?;
            let texts = texts
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| err("a list element is not text".into()))?;
            for r in 0..texts.len() {
                let v: serde_json::Value = serde_json::from_str(texts.value(r)).unwrap_or_default();
                let first = v.get(0).cloned().unwrap_or_default();
                out[owner[at] as usize].push(first);
                at += 1;
            }
        }
        Ok(out)
    }

    /// Keeps the shortest matches between each start and end node: one (the first found)
    /// or all of them.
    fn shortest(&mut self, tab: Tab, all: bool, span: Span) -> Result<Tab, Diagnostic> {
        let err = |e: String| Diagnostic::error(codes::RUNTIME, e, span);
        let names = tab.names();
        let at = |n: &str| {
            names
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| err(format!("no column {n}")))
        };
        let (id, len, start, end) = (
            at("__match")?,
            at("__length")?,
            at("__start")?,
            at("__end")?,
        );
        let mut best: HashMap<(i64, i64), (i64, Vec<i64>)> = HashMap::new();
        for batch in self.run_probe(tab.plan.clone(), span)? {
            let column = |c: usize| {
                batch
                    .column(c)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .cloned()
            };
            let (Some(ids), Some(lens), Some(starts), Some(ends)) =
                (column(id), column(len), column(start), column(end))
            else {
                return Err(err("graph match columns are not numbers".into()));
            };
            for r in 0..batch.num_rows() {
                let entry = best
                    .entry((starts.value(r), ends.value(r)))
                    .or_insert((i64::MAX, Vec::new()));
                if lens.value(r) < entry.0 {
                    *entry = (lens.value(r), vec![ids.value(r)]);
                } else if lens.value(r) == entry.0 && all {
                    entry.1.push(ids.value(r));
                }
            }
        }
        let keep: Vec<_> = best
            .into_values()
            .flat_map(|(_, ids)| ids)
            .map(lit)
            .collect();
        let types = tab.types.clone();
        tab.build(
            span,
            |b| b.filter(col("__match").in_list(keep, false)),
            types,
        )
    }
}
