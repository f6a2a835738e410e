//! The KQL syntax tree. Every node carries the span of the text it came from.
//!
//! Tabular and scalar expressions share one `Expr` type, as in Kusto's own grammar: the
//! binder decides which kind each one is.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Let(LetStmt),
    /// `declare query_parameters(name: type [= default], ...)`.
    DeclareParams(Vec<Param>, Span),
    /// `set name [= value]`: client request options, accepted and ignored.
    /// `declare pattern Name [= (params) [path] { entries }]`.
    Pattern(PatternDecl),
    /// `set name [= value]`: a query option.
    Set(Name, Option<Expr>, Span),
    Query(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetStmt {
    pub name: Name,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// `let x = expr`
    Expr(Expr),
    /// `let f = (params) { body }` or `let v = view () { body }`
    Function(FunctionDef),
}

/// A pattern: named queries chosen by constant argument values (and a path value).
#[derive(Debug, Clone, PartialEq)]
pub struct PatternDecl {
    pub name: Name,
    pub params: Vec<Param>,
    pub path: Option<Param>,
    pub entries: Vec<PatternEntry>,
    pub span: Span,
}

/// `(values).[path] = { query }` in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternEntry {
    pub args: Vec<Expr>,
    pub path: Option<Expr>,
    pub body: Vec<Statement>,
    pub result: Box<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    /// `let` statements of the body, then its result expression.
    pub body: Vec<Statement>,
    pub result: Box<Expr>,
    pub is_view: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Name,
    pub ty: ParamType,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Scalar(TypeName),
    /// `(*)` or `(Col: type, ...)`: a table parameter.
    Tabular(Vec<ColumnDecl>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    pub name: Name,
    pub ty: TypeName,
}

/// A type name as written (`string`, `long`, `int`, `datetime`, ...), lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Name(Name),
    /// `*` where a column list is allowed (`arg_max(x, *)`).
    Star,
    /// `dynamic(...)`
    Dynamic(DynValue),
    /// `typeof(type)`
    TypeOf(TypeName),
    /// `a.b`
    Member {
        target: Box<Expr>,
        name: Name,
    },
    /// `a[i]`, `a['k']`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// `f(args)`.
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    /// `name = value` as a function call argument.
    NamedArg {
        name: Name,
        value: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x in (a, b)`, `x !in~ (T | project c)`.
    In {
        lhs: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
        list: Vec<Expr>,
    },
    /// `x between (a .. b)`, `!between`.
    Between {
        lhs: Box<Expr>,
        negated: bool,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `(a, b)` in scalar context is only valid in a few places; kept for the binder to judge.
    Tuple(Vec<Expr>),
    /// `input | operator`
    Pipe {
        input: Box<Expr>,
        op: Box<Operator>,
    },
    /// A tabular source that needs no input: `print`, `range`, `datatable`, `union`, ...
    Source(Box<Operator>),
}

impl Expr {
    /// A copy in which `f` replaces the nodes it returns Some for (outermost first); the
    /// nodes it leaves have their children rewritten.
    pub fn rewrite(&self, f: &mut dyn FnMut(&Expr) -> Option<Expr>) -> Expr {
        if let Some(done) = f(self) {
            return done;
        }
        let mut sub = |e: &Expr| Box::new(e.rewrite(f));
        let kind = match &self.kind {
            ExprKind::Member { target, name } => ExprKind::Member {
                target: sub(target),
                name: name.clone(),
            },
            ExprKind::Index { target, index } => ExprKind::Index {
                target: sub(target),
                index: sub(index),
            },
            ExprKind::Call { name, args } => ExprKind::Call {
                name: name.clone(),
                args: args.iter().map(|a| *sub(a)).collect(),
            },
            ExprKind::NamedArg { name, value } => ExprKind::NamedArg {
                name: name.clone(),
                value: sub(value),
            },
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: sub(operand),
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: *op,
                lhs: sub(lhs),
                rhs: sub(rhs),
            },
            ExprKind::In {
                lhs,
                negated,
                case_insensitive,
                list,
            } => ExprKind::In {
                lhs: sub(lhs),
                negated: *negated,
                case_insensitive: *case_insensitive,
                list: list.iter().map(|a| *sub(a)).collect(),
            },
            ExprKind::Between {
                lhs,
                negated,
                low,
                high,
            } => ExprKind::Between {
                lhs: sub(lhs),
                negated: *negated,
                low: sub(low),
                high: sub(high),
            },
            ExprKind::Tuple(items) => ExprKind::Tuple(items.iter().map(|a| *sub(a)).collect()),
            other => other.clone(),
        };
        Expr {
            kind,
            span: self.span,
        }
    }

    /// The names a scalar expression mentions (columns or variables), outside nested queries.
    pub fn names(&self) -> Vec<&Name> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names<'a>(&'a self, out: &mut Vec<&'a Name>) {
        match &self.kind {
            ExprKind::Name(n) => out.push(n),
            ExprKind::Member { target, .. } => target.collect_names(out),
            ExprKind::Index { target, index } => {
                target.collect_names(out);
                index.collect_names(out);
            }
            ExprKind::Call { args, .. } | ExprKind::Tuple(args) => {
                args.iter().for_each(|a| a.collect_names(out))
            }
            ExprKind::NamedArg { value, .. } => value.collect_names(out),
            ExprKind::Unary { operand, .. } => operand.collect_names(out),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.collect_names(out);
                rhs.collect_names(out);
            }
            ExprKind::In { lhs, list, .. } => {
                lhs.collect_names(out);
                list.iter().for_each(|a| a.collect_names(out));
            }
            ExprKind::Between { lhs, low, high, .. } => {
                lhs.collect_names(out);
                low.collect_names(out);
                high.collect_names(out);
            }
            ExprKind::Literal(_)
            | ExprKind::Star
            | ExprKind::Dynamic(_)
            | ExprKind::TypeOf(_)
            | ExprKind::Pipe { .. }
            | ExprKind::Source(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Long(i64),
    Int(i64),
    Real(f64),
    Decimal(String),
    String(String),
    /// Raw text of `datetime(...)`.
    Datetime(String),
    /// A timespan in nanoseconds (literal `7d`), or the raw text of `time(...)`.
    Timespan(i64),
    TimespanText(String),
    Guid(String),
    /// `long(null)`, `datetime(null)`, ...: a null of a named type.
    TypedNull(String),
}

/// The value of a `dynamic(...)` literal.
#[derive(Debug, Clone, PartialEq)]
pub enum DynValue {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    String(String),
    /// Other scalars inside dynamic (datetime, timespan, guid): raw literal.
    Scalar(Literal),
    Array(Vec<DynValue>),
    Object(Vec<(String, DynValue)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    EqTilde,
    NotTilde,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// A string operator: `has`, `!contains_cs`, `matches regex`, ...
    Str(StrOp),
}

/// The string operators (negation and case sensitivity are part of the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StrOp {
    pub kind: StrOpKind,
    pub negated: bool,
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrOpKind {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    MatchesRegex,
    HasAny,
    HasAll,
}

impl StrOp {
    /// The operator as written (`!has_cs`).
    pub fn spelling(&self) -> String {
        let base = match self.kind {
            StrOpKind::Has => "has",
            StrOpKind::HasPrefix => "hasprefix",
            StrOpKind::HasSuffix => "hassuffix",
            StrOpKind::Contains => "contains",
            StrOpKind::StartsWith => "startswith",
            StrOpKind::EndsWith => "endswith",
            StrOpKind::MatchesRegex => "matches regex",
            StrOpKind::HasAny => "has_any",
            StrOpKind::HasAll => "has_all",
        };
        let neg = if self.negated { "!" } else { "" };
        let cs = if self.case_sensitive && !matches!(self.kind, StrOpKind::MatchesRegex) {
            "_cs"
        } else {
            ""
        };
        format!("{neg}{base}{cs}")
    }
}

/// `name.sub = value` options of an operator (`kind=inner`, `with_itemindex=I`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpParam {
    pub name: Name,
    pub value: Expr,
}

impl OpParam {
    /// The value as a word: a bare name (`kind=inner`) or a bool (`isfuzzy=true`).
    pub fn word(&self) -> Option<String> {
        match &self.value.kind {
            ExprKind::Name(n) => Some(n.name.clone()),
            ExprKind::Literal(Literal::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// `[Name =] expr` as in `extend` or `project`, or `(A, B) = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub names: Vec<Name>,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// None: the operator's default (descending for `order by`).
    pub ascending: Option<bool>,
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    /// The span of the operator's name (`where`, `mv-expand`).
    pub name_span: Span,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Extend(Vec<NamedExpr>),
    Project(Vec<NamedExpr>),
    ProjectAway(Vec<Expr>),
    ProjectKeep(Vec<Expr>),
    ProjectRename(Vec<(Name, Name)>),
    ProjectReorder(Vec<SortKey>),
    Summarize {
        params: Vec<OpParam>,
        aggregates: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Sort(Vec<SortKey>),
    Top {
        count: Expr,
        by: SortKey,
    },
    Take(Expr),
    Distinct(Vec<Expr>),
    Count,
    Join {
        params: Vec<OpParam>,
        right: Expr,
        on: Vec<Expr>,
    },
    Lookup {
        params: Vec<OpParam>,
        right: Expr,
        on: Vec<Expr>,
    },
    Union {
        params: Vec<OpParam>,
        tables: Vec<Expr>,
    },
    MvExpand {
        params: Vec<OpParam>,
        columns: Vec<MvExpandColumn>,
        limit: Option<Expr>,
    },
    Parse {
        params: Vec<OpParam>,
        source: Expr,
        pattern: Vec<ParsePart>,
        where_: bool,
    },
    /// `project-by-names "a", dynamic(["b"]), "c*"`: the columns named (or matched) by
    /// constant strings and arrays of strings.
    ProjectByNames(Vec<Expr>),
    /// `parse-kv source as (columns) with (properties)`: key/value pairs of a text.
    ParseKv {
        source: Expr,
        columns: Vec<ColumnDecl>,
        properties: Vec<OpParam>,
    },
    Print(Vec<NamedExpr>),
    Range {
        name: Name,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    Datatable {
        columns: Vec<ColumnDecl>,
        values: Vec<Expr>,
    },
    /// `externaldata (columns) [uris] with (properties)`: a table read from files.
    ExternalData {
        columns: Vec<ColumnDecl>,
        uris: Vec<Expr>,
        properties: Vec<OpParam>,
    },
    As(Name),
    GetSchema,
    Serialize(Vec<NamedExpr>),
    Sample(Expr),
    Evaluate {
        params: Vec<OpParam>,
        plugin: Expr,
        /// `: (*, Name: type, ...)` after the plugin call.
        schema: Option<OutputSchema>,
    },
    Invoke(Expr),
    MakeSeries(Box<MakeSeries>),
    /// `mv-apply columns [limit n] on (operators)`: the operators run on each row's
    /// expanded sub-table.
    MvApply {
        params: Vec<OpParam>,
        columns: Vec<MvExpandColumn>,
        limit: Option<Expr>,
        body: Vec<Operator>,
    },
    /// `render` only affects display in Kusto's clients: accepted and ignored.
    Render,
    /// `search [kind=...] [in (tables)] predicate`: rows of any table that match; a bare
    /// string matches rows where any text column has it.
    Search {
        params: Vec<OpParam>,
        tables: Vec<Expr>,
        predicate: Expr,
    },
    /// `scan`: steps matched row by row over the serialized input.
    Scan(Box<Scan>),
    /// `top-nested` levels, outermost first.
    TopNested(Vec<TopNestedLevel>),
    /// `make-graph Source --> Target [with Nodes on Key, ...] [with_node_id=Name]`.
    MakeGraph(Box<MakeGraph>),
    /// `graph-match` and `graph-shortest-paths`: paths of a graph as rows.
    GraphMatch(Box<GraphMatch>),
    /// `graph-mark-components [kind=weak|strong] [with_component_id=Name]`.
    GraphMarkComponents(Vec<OpParam>),
    /// `graph-to-table nodes|edges [options]`.
    GraphToTable {
        nodes: bool,
        params: Vec<OpParam>,
    },
    /// An operator the parser recognises by name but does not parse yet.
    Unsupported(String),
}

/// `make-series Name = Aggregation [default = Value], ... on Axis from A to B step S by ...`
/// (`in range(A, B, S)` gives the same bounds, with B included).
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    pub params: Vec<OpParam>,
    pub aggregates: Vec<(NamedExpr, Option<Expr>)>,
    pub axis: Expr,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    pub step: Expr,
    /// True for `in range(...)`, whose upper bound is inclusive.
    pub inclusive: bool,
    pub by: Vec<NamedExpr>,
}

/// `scan [with_match_id=Id] [declare (...)] with (step ...; ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub params: Vec<OpParam>,
    /// Declared columns and their defaults.
    pub declare: Vec<(ColumnDecl, Option<Expr>)>,
    pub steps: Vec<ScanStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    pub name: Name,
    pub output: ScanOutput,
    pub condition: Expr,
    pub assignments: Vec<(Name, Expr)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutput {
    All,
    Last,
    None,
}

/// One level of `top-nested [N] of Expr [with others = V] by Aggregation [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    pub count: Option<Expr>,
    pub of: NamedExpr,
    pub others: Option<Expr>,
    pub by: NamedExpr,
    pub ascending: bool,
}

/// `make-graph`: edges from the input rows, nodes from tables or from the edges' ends.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeGraph {
    pub source: Name,
    pub target: Name,
    /// `<--`: edges go from the second column to the first.
    pub reversed: bool,
    /// `with Table on Key, ...`: node tables and their key columns.
    pub nodes: Vec<(Expr, Name)>,
    /// `with_node_id=Name`: nodes are the edges' ends, with one property of this name.
    pub node_id: Option<Name>,
    /// `partitioned-by Column (graph operators ...)`: one graph per value of the column,
    /// each run through the operators, and the results' union.
    pub partitioned: Option<(Name, Vec<Operator>)>,
}

/// `graph-match [cycles=...] pattern, ... [where pred] project items`, and
/// `graph-shortest-paths [output=any|all] ...` (`shortest`).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphMatch {
    pub shortest: bool,
    pub params: Vec<OpParam>,
    pub patterns: Vec<Vec<PatternPart>>,
    pub where_: Option<Expr>,
    pub project: Vec<NamedExpr>,
}

/// A part of a path pattern: nodes and edges alternate, starting and ending with a node.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternPart {
    Node(Option<Name>),
    Edge(PatternEdge),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternEdge {
    pub name: Option<Name>,
    pub direction: EdgeDirection,
    /// `*min..max`: a path of that many edges; None for exactly one edge.
    pub hops: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeDirection {
    /// `-[e]->`
    Forward,
    /// `<-[e]-`
    Backward,
    /// `-[e]-`
    Any,
}

/// A plugin's declared output columns; `wildcard` (`*` first) keeps the input's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    pub wildcard: bool,
    pub columns: Vec<ColumnDecl>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandColumn {
    pub name: Option<Name>,
    pub expr: Expr,
    pub to_type: Option<TypeName>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    Literal(String, Span),
    Wildcard(Span),
    Column(Name, Option<TypeName>),
}
