//! A session: registered tables, a pinned `now`, and query execution.

use crate::{external, limits};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use kql_io::{
    LoadError, LoadedTable, NdjsonTable, OnError, Skipped, TableSchema, builtin_schema, is_ndjson,
    load_csv, load_json, load_parquet, load_schemas, parquet_table,
};
use kql_plan::{Binder, Catalog, ExternalFile, Outcome, Tab};
use kql_syntax::ast::Statement;
use kql_syntax::{Diagnostic, diagnostic::codes};
use kql_types::KType;
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One result table of a query.
#[derive(Debug)]
pub struct QueryResult {
    pub columns: Vec<(String, KType)>,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Why a query did not produce results.
#[derive(Debug)]
pub enum QueryError {
    /// A syntax or semantic error, or a runtime error, located in the query text.
    Query(Diagnostic),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Query(d) => write!(f, "{}", d.message),
        }
    }
}

impl std::error::Error for QueryError {}

struct Tables {
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
    /// The session's context (a shared handle), to evaluate plans while binding.
    ctx: SessionContext,
    /// Canonical folders whose files `externaldata` may read.
    allowed: Vec<PathBuf>,
    /// What loading does with a malformed line.
    on_error: OnError,
}

impl Catalog for Tables {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.tables.get(name).cloned()
    }

    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    fn evaluate(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>, String> {
        let ctx = self.ctx.clone();
        on_own_runtime(async move {
            ctx.execute_logical_plan(plan)
                .await
                .map_err(|e| e.to_string())?
                .collect()
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn external_file(&self, file: &ExternalFile<'_>) -> Result<Arc<dyn TableProvider>, String> {
        external::read(file, &self.allowed, self.on_error)
    }
}

impl Tables {
    /// Optimises a plan and makes its physical plan, without running it.
    fn physical(&self, plan: LogicalPlan) -> Result<(), String> {
        let state = self.ctx.state();
        on_own_runtime(async move {
            state
                .create_physical_plan(&plan)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// The stack of the threads that plan: DataFusion's optimiser recurses once per plan level
/// (up to `limits::MAX_PLAN_DEPTH`). Only the pages used are ever touched.
pub const PLANNING_STACK: usize = 64 << 20;

/// Runs a future to completion on a thread of its own with its own runtime: binding is
/// synchronous and may itself run inside the caller's runtime, which must not be blocked
/// from within.
fn on_own_runtime<T: Send>(
    fut: impl std::future::Future<Output = Result<T, String>> + Send,
) -> Result<T, String> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(PLANNING_STACK)
            .spawn_scoped(s, move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(fut)
            })
            .map_err(|e| e.to_string())?
            .join()
            .unwrap_or_else(|_| Err("the evaluation thread failed".to_string()))
    })
}

pub struct Session {
    ctx: SessionContext,
    tables: Tables,
    schemas: BTreeMap<String, TableSchema>,
    now: Option<i64>,
    params: BTreeMap<String, String>,
    timeout: Option<Duration>,
    memory_limit: Option<usize>,
    warnings: Vec<String>,
    /// The tables `load_files` registered.
    loaded: BTreeSet<String>,
    /// `let` (and `declare`, `set`) statements every later query starts with: what a REPL
    /// session defines.
    prelude: Vec<Statement>,
    /// Queries run on a cluster (`use_cluster`).
    remote: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    pub fn new() -> Self {
        let ctx = context(SessionConfig::new(), None);
        Session {
            tables: Tables {
                tables: BTreeMap::new(),
                ctx: ctx.clone(),
                allowed: Vec::new(),
                on_error: OnError::Fail,
            },
            ctx,
            schemas: BTreeMap::new(),
            now: None,
            params: BTreeMap::new(),
            timeout: None,
            memory_limit: None,
            warnings: Vec::new(),
            loaded: BTreeSet::new(),
            prelude: Vec::new(),
            remote: false,
        }
    }

    /// Runs every later query through `ctx`, a context whose plans execute elsewhere (a
    /// Ballista cluster's client context). There, `materialize()` and tabular `let`s are
    /// evaluated again wherever they are used, rather than held in this process's memory,
    /// and `set_memory_limit` no longer applies: the executors have their own.
    pub fn use_cluster(&mut self, ctx: SessionContext) {
        self.tables.ctx = ctx.clone();
        self.ctx = ctx;
        self.remote = true;
    }

    /// Pins `now()` (and so `ago()`) for every query, in nanoseconds since the epoch.
    pub fn set_now(&mut self, nanos: i64) {
        self.now = Some(nanos);
    }

    /// Ends any query that runs longer than `limit` with a diagnostic.
    pub fn set_timeout(&mut self, limit: Duration) {
        self.timeout = Some(limit);
    }

    /// Bounds the memory of query operators (sorts, aggregations, joins) to `bytes`: they
    /// spill to temporary files where they can, and a query that still needs more ends
    /// with a diagnostic. Loaded tables are not counted.
    pub fn set_memory_limit(&mut self, bytes: usize) {
        if self.remote {
            return;
        }
        let ctx = context(self.ctx.copied_config(), Some(bytes));
        self.tables.ctx = ctx.clone();
        self.ctx = ctx;
        self.memory_limit = Some(bytes);
    }

    /// What loading does with malformed lines from now on: stop (the default) or skip and
    /// count them (a note says how many).
    pub fn set_on_error(&mut self, on_error: OnError) {
        self.tables.on_error = on_error;
    }

    /// Lets `externaldata` read the files under `dir`. Without any, it reads none.
    pub fn allow_path(&mut self, dir: &Path) -> Result<(), LoadError> {
        let dir = dir
            .canonicalize()
            .map_err(|e| LoadError::new(dir, e.to_string()))?;
        self.tables.allowed.push(dir);
        Ok(())
    }

    /// Gives a value (as text) to a `declare query_parameters` parameter.
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.params.insert(name.to_string(), value.to_string());
    }

    /// The DataFusion context, to run SQL over the same tables (benchmarks).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Notes gathered while loading (e.g. fields a declared schema lacks).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Declares table schemas from a file or folder. A declared table with no data is empty.
    pub fn load_schema(&mut self, path: &Path) -> Result<(), LoadError> {
        for s in load_schemas(path)? {
            self.declare(s).map_err(|e| LoadError::new(path, e))?;
        }
        Ok(())
    }

    /// Declares the built-in Defender XDR tables (`kql schema NAME`) that are neither loaded
    /// nor declared yet, as empty tables: what `kql check` plans against by default.
    pub fn declare_builtin_tables(&mut self) -> Result<(), String> {
        for name in kql_io::builtin_table_names() {
            if !self.schemas.contains_key(name)
                && let Some(s) = builtin_schema(name)
            {
                self.declare(s)?;
            }
        }
        Ok(())
    }

    /// Declares a table: empty unless data for it is loaded.
    fn declare(&mut self, s: TableSchema) -> Result<(), String> {
        if !self.tables.tables.contains_key(&s.name) {
            let empty = MemTable::try_new(s.arrow(), vec![vec![]]).map_err(|e| e.to_string())?;
            self.register(&s.name, Arc::new(empty));
        }
        self.schemas.insert(s.name.clone(), s);
        Ok(())
    }

    /// Registers every `NAME.json|jsonl|ndjson|csv|parquet` file of a folder, and every sub-folder of
    /// such files, as table NAME.
    pub fn load_dir(&mut self, dir: &Path) -> Result<Vec<String>, LoadError> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| LoadError::new(dir, e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut names = Vec::new();
        for p in entries {
            let Some(stem) = p.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            if p.is_dir() {
                let mut files: Vec<_> = std::fs::read_dir(&p)
                    .map_err(|e| LoadError::new(&p, e.to_string()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| is_data_file(f))
                    .collect();
                files.sort();
                if !files.is_empty() {
                    self.load_files(&stem, &files)?;
                    names.push(stem);
                }
            } else if is_data_file(&p) {
                self.load_files(&stem, std::slice::from_ref(&p))?;
                names.push(stem);
            }
        }
        Ok(names)
    }

    /// Registers the files as one table `name`.
    pub fn load_files(
        &mut self,
        name: &str,
        files: &[std::path::PathBuf],
    ) -> Result<(), LoadError> {
        self.loaded.insert(name.to_string());
        let declared = self
            .schemas
            .get(name)
            .cloned()
            .or_else(|| builtin_schema(name));
        if files
            .iter()
            .all(|f| has_extension(f, &["json", "jsonl", "ndjson"]))
            && files
                .iter()
                .map(|f| is_ndjson(f))
                .collect::<Result<Vec<_>, _>>()?
                .iter()
                .all(|n| *n)
        {
            let (table, surveys) =
                NdjsonTable::open(files, declared.as_ref(), self.tables.on_error)?;
            for (f, s) in files.iter().zip(&surveys) {
                self.note_damage(f, &s.columns, &s.nulled, &s.skipped);
                self.note_extra(f, name, &s.extra_columns);
            }
            self.register(name, Arc::new(table));
            return Ok(());
        }
        if files.iter().all(|f| has_extension(f, &["parquet"]))
            && let Some(table) = parquet_table(files, declared.as_ref())?
        {
            self.register(name, table);
            return Ok(());
        }
        let mut batches = Vec::new();
        let mut schema = None;
        for f in files {
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or_default();
            let loaded: Vec<LoadedTable> = match ext {
                "json" | "jsonl" | "ndjson" => {
                    vec![load_json(f, declared.as_ref(), self.tables.on_error)?]
                }
                "csv" => vec![load_csv(f, declared.as_ref(), self.tables.on_error)?],
                "parquet" => load_parquet(f, declared.as_ref())?,
                _ => {
                    return Err(LoadError::new(
                        f,
                        format!("'.{ext}' files are not supported"),
                    ));
                }
            };
            for t in loaded {
                self.note_damage(f, &t.columns, &t.nulled, &t.skipped);
                self.note_extra(f, name, &t.extra_columns);
                match &schema {
                    None => schema = Some(t.batch.schema()),
                    Some(s) if *s != t.batch.schema() => {
                        return Err(LoadError::new(
                            f,
                            format!("its columns differ from the other files of table {name}"),
                        ));
                    }
                    Some(_) => {}
                }
                batches.push(t.batch);
            }
        }
        let Some(schema) = schema else {
            return Ok(());
        };
        let mem = MemTable::try_new(schema, vec![batches])
            .map_err(|e| LoadError::new(name, e.to_string()))?;
        self.register(name, Arc::new(mem));
        Ok(())
    }

    /// Notes what a load could not keep as it was: nulled values and skipped lines.
    fn note_damage(
        &mut self,
        file: &Path,
        columns: &[(String, KType)],
        nulled: &[(String, usize)],
        skipped: &Skipped,
    ) {
        if !nulled.is_empty() {
            let counts: Vec<String> = nulled
                .iter()
                .map(|(column, n)| {
                    let ty = columns.iter().find(|(c, _)| c == column);
                    let ty = ty.map_or(String::new(), |(_, ty)| format!(" ({ty})"));
                    format!("{column}{ty}: {n}")
                })
                .collect();
            self.warnings.push(format!(
                "{}: values that do not fit their column's type were nulled: {}",
                file.display(),
                counts.join(", ")
            ));
        }
        if let Some(first) = &skipped.first {
            self.warnings.push(format!(
                "{}: skipped {} malformed line{} (the first: {first})",
                file.display(),
                skipped.count,
                if skipped.count == 1 { "" } else { "s" }
            ));
        }
    }

    /// Notes the fields a declared schema lacks.
    fn note_extra(&mut self, file: &Path, table: &str, extra: &[String]) {
        if !extra.is_empty() {
            self.warnings.push(format!(
                "{}: fields not in the schema of {table}, kept as extra columns: {}",
                file.display(),
                extra.join(", ")
            ));
        }
    }

    pub fn register(&mut self, name: &str, table: Arc<dyn TableProvider>) {
        self.tables.tables.insert(name.to_string(), table);
    }

    /// A registered table.
    pub fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.tables.table(name)
    }

    pub fn table_names(&self) -> Vec<String> {
        self.tables.table_names()
    }

    /// The tables loaded from files (not only declared), by name.
    pub fn loaded_table_names(&self) -> Vec<String> {
        self.loaded.iter().cloned().collect()
    }

    /// A binder over the session's tables, `now` and parameters.
    fn binder(&self) -> Binder<'_> {
        let now = self.now.unwrap_or_else(now_nanos);
        Binder::new(&self.tables, now).with_params(self.params.clone())
    }

    /// The names the kept `let` statements define.
    pub fn defined_names(&self) -> Vec<String> {
        self.prelude
            .iter()
            .filter_map(|s| match s {
                Statement::Let(l) => Some(l.name.name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Keeps `let`, `declare` and `set` statements for every later query (a REPL's session
    /// state). They are bound now, so that an error is reported where it is made. Returns the
    /// names the `let`s define.
    pub fn define(&mut self, text: &str) -> Result<Vec<String>, Diagnostic> {
        let script = kql_syntax::parse(text)?;
        let mut names = Vec::new();
        for stmt in &script.statements {
            match stmt {
                Statement::Let(l) => names.push(l.name.name.clone()),
                Statement::Query(e) => {
                    return Err(Diagnostic::error(
                        codes::EXPR_KIND,
                        "only let, declare and set statements can be kept",
                        e.span,
                    ));
                }
                Statement::DeclareParams(..) | Statement::Set(..) | Statement::Pattern(_) => {}
            }
        }
        let mut binder = self.binder();
        for stmt in self.prelude.iter().chain(&script.statements) {
            if let Outcome::Materialize { name, tab } = binder.statement(stmt)? {
                binder.define_table(&name, tab);
            }
        }
        self.prelude.extend(script.statements);
        Ok(names)
    }

    /// Parses, binds and plans a query text down to DataFusion's physical plan, without
    /// running it. Data is read only where an operator's output columns depend on it
    /// (`bag_unpack` or `pivot` without a declared schema), and the files `externaldata`
    /// names are read.
    pub fn check(&self, query: &str) -> Result<(), Diagnostic> {
        let script = kql_syntax::parse(query)?;
        let mut binder = self.binder();
        for stmt in self.prelude.iter().chain(&script.statements) {
            match binder.statement(stmt)? {
                Outcome::Materialize { name, tab } => binder.define_table(&name, tab),
                Outcome::Query(tab) => {
                    limits::check_depth(&tab.plan, statement_span(stmt))?;
                    self.tables.physical(tab.plan).map_err(|e| {
                        Diagnostic::error(
                            codes::RUNTIME,
                            format!("planning failed: {e}"),
                            statement_span(stmt),
                        )
                    })?
                }
                Outcome::Defined => {}
            }
        }
        Ok(())
    }

    /// Runs a query text: its `let` statements, then each query statement's result.
    pub async fn run(&self, query: &str) -> Result<Vec<QueryResult>, QueryError> {
        let Some(limit) = self.timeout else {
            return self.run_unlimited(query).await;
        };
        match tokio::time::timeout(limit, self.run_unlimited(query)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(QueryError::Query(limits::timed_out(
                limit,
                kql_syntax::Span::new(0, query.len()),
            ))),
        }
    }

    async fn run_unlimited(&self, query: &str) -> Result<Vec<QueryResult>, QueryError> {
        let script = kql_syntax::parse(query).map_err(QueryError::Query)?;
        let mut binder = self.binder();
        let mut results = Vec::new();
        for stmt in self.prelude.iter().chain(&script.statements) {
            let span = statement_span(stmt);
            match binder.statement(stmt).map_err(QueryError::Query)? {
                Outcome::Defined => {}
                Outcome::Materialize { name, tab } if self.remote => {
                    binder.define_table(&name, tab);
                }
                Outcome::Materialize { name, tab } => {
                    let types = tab.types.clone();
                    let schema = Arc::new(tab.plan.schema().as_arrow().clone());
                    let batches = self.collect(tab, span).await?;
                    let mem = MemTable::try_new(schema, vec![batches])
                        .map_err(|e| self.failed(e, span))?;
                    let plan = datafusion::logical_expr::LogicalPlanBuilder::scan(
                        &name,
                        datafusion::datasource::provider_as_source(Arc::new(mem)),
                        None,
                    )
                    .and_then(|b| b.build())
                    .map_err(|e| self.failed(e, span))?;
                    binder.define_table(&name, Tab::new(plan, types));
                }
                Outcome::Query(tab) => {
                    let columns = tab.names().into_iter().zip(tab.types.clone()).collect();
                    let batches = self.collect(tab, span).await?;
                    results.push(QueryResult { columns, batches });
                }
            }
        }
        Ok(results)
    }

    async fn collect(
        &self,
        tab: Tab,
        span: kql_syntax::Span,
    ) -> Result<Vec<RecordBatch>, QueryError> {
        limits::check_depth(&tab.plan, span).map_err(QueryError::Query)?;
        let df = self
            .ctx
            .execute_logical_plan(tab.plan)
            .await
            .map_err(|e| self.failed(e, span))?;
        df.collect().await.map_err(|e| self.failed(e, span))
    }

    fn failed(&self, e: datafusion::error::DataFusionError, span: kql_syntax::Span) -> QueryError {
        QueryError::Query(limits::runtime_error(e, self.memory_limit, span))
    }
}

/// How many of the largest memory consumers an out-of-memory error names.
const TOP_CONSUMERS: NonZeroUsize = NonZeroUsize::new(5).unwrap();

/// A context with the engine's functions, and a memory pool of `memory_limit` bytes.
fn context(mut config: SessionConfig, memory_limit: Option<usize>) -> SessionContext {
    // Parquet scans evaluate `where` filters while decoding, and read the other columns
    // only for the rows that pass.
    config.options_mut().execution.parquet.pushdown_filters = true;
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(bytes) = memory_limit {
        // A sort that spills sets aside memory to merge its spilled runs, per partition and
        // outside its share (10 MiB by default): at most an eighth of the limit.
        let merge = &mut config.options_mut().execution.sort_spill_reservation_bytes;
        *merge = (*merge).min(bytes / 8);
        // Each operator that can spill gets an equal share of what the others leave: with
        // a greedy pool, one partition's aggregation could take nearly all of it and leave
        // the next none, not even for its first batch.
        runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(
            FairSpillPool::new(bytes),
            TOP_CONSUMERS,
        )));
    }
    // The builder fails only on a disk manager it cannot create; fall back to no limit.
    let ctx = match runtime.build_arc() {
        Ok(env) => SessionContext::new_with_config_rt(config, env),
        Err(_) => SessionContext::new_with_config(config),
    };
    for udf in kql_functions::all_udfs() {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx.add_optimizer_rule(Arc::new(kql_plan::PruneRowFields));
    ctx
}

fn statement_span(s: &kql_syntax::ast::Statement) -> kql_syntax::Span {
    use kql_syntax::ast::Statement;
    match s {
        Statement::Let(l) => l.span,
        Statement::DeclareParams(_, span) | Statement::Set(_, _, span) => *span,
        Statement::Pattern(p) => p.span,
        Statement::Query(e) => e.span,
    }
}

fn is_data_file(p: &Path) -> bool {
    p.is_file() && has_extension(p, &["json", "jsonl", "ndjson", "csv", "parquet"])
}

fn has_extension(p: &Path, any: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| any.contains(&e))
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default()
}
