//! Graphs: `make-graph` reads its edges (and node tables) while binding and keeps them in
//! memory; `graph-mark-components` labels connected nodes; `graph-to-table` turns nodes or
//! edges back into a table. `graph-match` is in `graph_match.rs`.

use crate::binder::Binder;
use crate::tab::Tab;
use datafusion::arrow::array::{ArrayRef, StringArray, new_empty_array};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::LogicalPlanBuilder;
use kql_syntax::ast::{Expr, ExprKind, MakeGraph, OpParam, OperatorKind};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};
use kql_types::KType;
use std::collections::HashMap;
use std::sync::Arc;

/// Columns of values held in memory: a graph's node or edge properties.
#[derive(Debug, Clone, Default)]
pub(super) struct Props {
    pub names: Vec<String>,
    pub types: Vec<KType>,
    pub data_types: Vec<DataType>,
    pub cols: Vec<Vec<ScalarValue>>,
}

impl Props {
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn rows(&self) -> usize {
        self.cols.first().map_or(0, Vec::len)
    }

    fn add_column(&mut self, name: &str, ty: KType, dt: DataType) -> usize {
        let null = ScalarValue::try_from(&dt).unwrap_or(ScalarValue::Null);
        self.names.push(name.to_string());
        self.types.push(ty);
        self.data_types.push(dt);
        self.cols.push(vec![null; self.rows()]);
        self.cols.len() - 1
    }

    fn push_null_row(&mut self) {
        for (c, dt) in self.cols.iter_mut().zip(&self.data_types) {
            c.push(ScalarValue::try_from(dt).unwrap_or(ScalarValue::Null));
        }
    }

    /// One column of the rows picked, as an array.
    pub fn array(&self, col: usize, rows: &[usize]) -> Result<ArrayRef, String> {
        if rows.is_empty() {
            return Ok(new_empty_array(&self.data_types[col]));
        }
        ScalarValue::iter_to_array(rows.iter().map(|&r| self.cols[col][r].clone()))
            .map_err(|e| e.to_string())
    }
}

/// A table of named, typed arrays, as a plan that scans them.
pub(super) fn memory_table(
    columns: Vec<(String, KType, ArrayRef)>,
    span: Span,
) -> Result<Tab, Diagnostic> {
    let err = |e: String| Diagnostic::error(codes::RUNTIME, e, span);
    let fields: Vec<_> = columns
        .iter()
        .map(|(n, t, a)| {
            let f = t.field(n.clone());
            f.with_data_type(a.data_type().clone())
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, _, a)| a).collect();
    let batch = if arrays.is_empty() {
        RecordBatch::new_empty(schema.clone())
    } else {
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| err(e.to_string()))?
    };
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| err(e.to_string()))?;
    let plan = LogicalPlanBuilder::scan("graph", provider_as_source(Arc::new(table)), None)
        .and_then(|b| b.build())
        .map_err(crate::df_err(span))?;
    Ok(Tab::from_plan(plan))
}

/// A graph in memory: node and edge properties, and each edge's source and target node.
#[derive(Debug, Clone, Default)]
pub(super) struct Graph {
    pub nodes: Props,
    pub edges: Props,
    pub ends: Vec<(usize, usize)>,
    /// Each node's key (the value edges name it by), whose hash is its id.
    pub keys: Vec<ScalarValue>,
}

impl Binder<'_> {
    /// A table's rows, read now.
    pub(super) fn props(&self, tab: Tab, span: Span) -> Result<Props, Diagnostic> {
        let names = tab.names();
        let types = tab.types.clone();
        let data_types: Vec<DataType> = tab
            .plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let mut cols = vec![Vec::new(); names.len()];
        for batch in self.run_probe(tab.plan, span)? {
            for (c, col) in cols.iter_mut().enumerate() {
                for r in 0..batch.num_rows() {
                    col.push(
                        ScalarValue::try_from_array(batch.column(c), r)
                            .map_err(|e| Diagnostic::error(codes::RUNTIME, e.to_string(), span))?,
                    );
                }
            }
        }
        Ok(Props {
            names,
            types,
            data_types,
            cols,
        })
    }

    /// Binds an expression whose value must be a graph.
    pub(super) fn graph(&mut self, e: &Expr) -> Result<Graph, Diagnostic> {
        let not_graph = || {
            Diagnostic::error(
                codes::EXPR_KIND,
                "expected a graph (made by make-graph)",
                e.span,
            )
        };
        let ExprKind::Pipe { input, op } = &e.kind else {
            return Err(not_graph());
        };
        match &op.kind {
            OperatorKind::MakeGraph(mg) => {
                let edges = self.tabular(input)?;
                let mut nodes = Vec::new();
                for (table, key) in &mg.nodes {
                    nodes.push((self.tabular(table)?, key));
                }
                self.make_graph(edges, nodes, mg, op.span)
            }
            OperatorKind::GraphMarkComponents(params) => {
                let g = self.graph(input)?;
                mark_components(g, params)
            }
            _ => Err(not_graph()),
        }
    }

    pub(super) fn make_graph(
        &mut self,
        edges: Tab,
        nodes: Vec<(Tab, &kql_syntax::ast::Name)>,
        mg: &MakeGraph,
        span: Span,
    ) -> Result<Graph, Diagnostic> {
        let edge_props = self.props(edges, span)?;
        let column = |n: &kql_syntax::ast::Name| {
            edge_props.find(&n.name).ok_or_else(|| {
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("the edges have no column '{}'", n.name),
                    n.span,
                )
            })
        };
        let (mut src, mut dst) = (column(&mg.source)?, column(&mg.target)?);
        if mg.reversed {
            std::mem::swap(&mut src, &mut dst);
        }
        let mut g = Graph::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut key_col = None;
        for (t, key) in nodes {
            let p = self.props(t, span)?;
            let k = p.find(&key.name).ok_or_else(|| {
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("the node table has no column '{}'", key.name),
                    key.span,
                )
            })?;
            let map: Vec<usize> = (0..p.names.len())
                .map(|c| {
                    g.nodes.find(&p.names[c]).unwrap_or_else(|| {
                        g.nodes
                            .add_column(&p.names[c], p.types[c], p.data_types[c].clone())
                    })
                })
                .collect();
            key_col.get_or_insert(map[k]);
            for r in 0..p.rows() {
                let id = p.cols[k][r].to_string();
                if p.cols[k][r].is_null() || index.contains_key(&id) {
                    continue;
                }
                index.insert(id, g.nodes.rows());
                g.keys.push(p.cols[k][r].clone());
                g.nodes.push_null_row();
                let last = g.nodes.rows() - 1;
                for (c, &to) in map.iter().enumerate() {
                    g.nodes.cols[to][last] = p.cols[c][r].clone();
                }
            }
        }
        if let Some(n) = &mg.node_id {
            let c = g.nodes.add_column(
                &n.name,
                edge_props.types[src],
                edge_props.data_types[src].clone(),
            );
            key_col = Some(c);
        }
        let mut kept = Vec::new();
        for r in 0..edge_props.rows() {
            let (s, d) = (&edge_props.cols[src][r], &edge_props.cols[dst][r]);
            if s.is_null() || d.is_null() {
                continue;
            }
            let mut node = |v: &ScalarValue| {
                *index.entry(v.to_string()).or_insert_with(|| {
                    g.keys.push(v.clone());
                    g.nodes.push_null_row();
                    let at = g.nodes.rows() - 1;
                    if let Some(k) = key_col
                        && g.nodes.data_types[k] == v.data_type()
                    {
                        g.nodes.cols[k][at] = v.clone();
                    }
                    at
                })
            };
            let ends = (node(s), node(d));
            g.ends.push(ends);
            kept.push(r);
        }
        g.edges = Props {
            cols: edge_props
                .cols
                .iter()
                .map(|c| kept.iter().map(|&r| c[r].clone()).collect())
                .collect(),
            ..edge_props
        };
        Ok(g)
    }

    /// `graph-to-table nodes|edges`.
    pub(super) fn graph_to_table(
        &mut self,
        g: Graph,
        nodes: bool,
        params: &[OpParam],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        // Ids are the hashes of the node keys, as Kusto gives them.
        let mut ids: Vec<(String, Vec<usize>)> = Vec::new();
        for p in params {
            let (Some(column), wanted) = (p.word(), p.name.name.as_str()) else {
                return Err(Diagnostic::error(
                    codes::SYNTAX,
                    "expected a column name",
                    p.value.span,
                ));
            };
            let ends: Vec<usize> = match (nodes, wanted) {
                (true, "with_node_id") => (0..g.keys.len()).collect(),
                (false, "with_source_id") => g.ends.iter().map(|e| e.0).collect(),
                (false, "with_target_id") => g.ends.iter().map(|e| e.1).collect(),
                _ => {
                    return Err(Diagnostic::unsupported(
                        format!("the graph-to-table option '{wanted}'"),
                        p.name.span,
                    ));
                }
            };
            ids.push((column, ends));
        }
        let props = if nodes { g.nodes } else { g.edges };
        let rows: Vec<usize> = (0..props.rows()).collect();
        let err = |e: String| Diagnostic::error(codes::RUNTIME, e, span);
        let mut columns = Vec::new();
        for (k, (_, ends)) in ids.iter().enumerate() {
            let array: ArrayRef = if ends.is_empty() {
                Arc::new(StringArray::from(Vec::<String>::new()))
            } else {
                ScalarValue::iter_to_array(ends.iter().map(|&n| g.keys[n].clone()))
                    .map_err(|e| err(e.to_string()))?
            };
            let ty = KType::from_arrow(array.data_type());
            columns.push((format!("__graph_key{k}"), ty, array));
        }
        for c in 0..props.names.len() {
            columns.push((
                props.names[c].clone(),
                props.types[c],
                props.array(c, &rows).map_err(err)?,
            ));
        }
        let table = memory_table(columns, span)?;
        if ids.is_empty() {
            return Ok(table);
        }
        let mut items: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(k, (name, _))| format!("['{name}'] = hash(__graph_key{k})"))
            .collect();
        items.extend(props.names.iter().map(|n| format!("['{n}']")));
        let saved = self.scope.clone();
        self.scope.push();
        self.scope
            .define("__graph_table", crate::scope::Binding::Tabular(table));
        let out = self.query_text(
            "graph-to-table",
            &format!("__graph_table | project {}", items.join(", ")),
            span,
        );
        self.scope = saved;
        out
    }
}

/// `graph-mark-components`: a node property numbering the (weakly or strongly) connected
/// components in the order their first node appears.
pub(super) fn mark_components(mut g: Graph, params: &[OpParam]) -> Result<Graph, Diagnostic> {
    let (mut strong, mut name) = (false, "ComponentId".to_string());
    for p in params {
        match (p.name.name.as_str(), p.word()) {
            ("kind", Some(k)) if k == "weak" || k == "strong" => strong = k == "strong",
            ("with_component_id", Some(n)) => name = n,
            _ => {
                return Err(Diagnostic::error(
                    codes::SYNTAX,
                    format!("unknown graph-mark-components option '{}'", p.name.name),
                    p.name.span,
                ));
            }
        }
    }
    let n = g.nodes.rows();
    let component = if strong {
        strong_components(n, &g.ends)
    } else {
        weak_components(n, &g.ends)
    };
    let mut number: HashMap<usize, i64> = HashMap::new();
    let c = g.nodes.add_column(&name, KType::Long, DataType::Int64);
    for (node, comp) in component.into_iter().enumerate() {
        let next = number.len() as i64;
        let id = *number.entry(comp).or_insert(next);
        g.nodes.cols[c][node] = ScalarValue::Int64(Some(id));
    }
    Ok(g)
}

fn weak_components(n: usize, ends: &[(usize, usize)]) -> Vec<usize> {
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for &(a, b) in ends {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    (0..n).map(|x| root(&mut parent, x)).collect()
}

/// Kosaraju's algorithm, iterative: the component (a representative node) of each node.
fn strong_components(n: usize, ends: &[(usize, usize)]) -> Vec<usize> {
    let (mut out, mut inc) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for &(a, b) in ends {
        out[a].push(b);
        inc[b].push(a);
    }
    let mut order = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for s in 0..n {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        let mut stack = vec![(s, 0usize)];
        while let Some((v, i)) = stack.pop() {
            if let Some(&w) = out[v].get(i) {
                stack.push((v, i + 1));
                if !seen[w] {
                    seen[w] = true;
                    stack.push((w, 0));
                }
            } else {
                order.push(v);
            }
        }
    }
    let mut comp = vec![usize::MAX; n];
    for &s in order.iter().rev() {
        if comp[s] != usize::MAX {
            continue;
        }
        comp[s] = s;
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            for &w in &inc[v] {
                if comp[w] == usize::MAX {
                    comp[w] = s;
                    stack.push(w);
                }
            }
        }
    }
    comp
}
