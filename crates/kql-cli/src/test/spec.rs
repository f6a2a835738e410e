//! The test file format (`*.kqltest.yaml`): defaults for the file, then a list of tests,
//! each naming its query, input tables, pinned `now`, parameters and expectation.
//! docs/testing.md describes it for users.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A test file, or one test of its `tests` list: the same keys, so that a test can override
/// any of the file's.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The test's name (tests only).
    pub name: Option<String>,
    /// A `.kql` file or a Sentinel rule `.yaml`, relative to the test file.
    pub query: Option<PathBuf>,
    /// Inline query text (instead of `query`).
    pub kql: Option<String>,
    /// A folder (or a list of them) of `NAME.json|jsonl|csv|parquet` files.
    #[serde(default)]
    pub data: Paths,
    /// Tables by name: a file path, or the rows inline (a list of objects).
    #[serde(default)]
    pub tables: BTreeMap<String, TableSource>,
    /// A table schema file or folder (or a list of them).
    #[serde(default)]
    pub schema: Paths,
    /// `now()` for the query, as a datetime.
    pub now: Option<String>,
    /// `declare query_parameters` values, as text.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// What the result must be (tests only).
    pub expect: Option<Expect>,
    /// The tests (the file only).
    pub tests: Option<Vec<Entry>>,
}

/// One path or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl Default for Paths {
    fn default() -> Self {
        Paths::Many(Vec::new())
    }
}

impl Paths {
    pub fn list(&self) -> Vec<PathBuf> {
        match self {
            Paths::One(p) => vec![p.clone()],
            Paths::Many(v) => v.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.list().is_empty()
    }
}

/// The inputs of one test, after merging the file's defaults and resolving paths.
#[derive(Debug, Clone)]
pub struct Setup {
    pub query: Option<PathBuf>,
    pub kql: Option<String>,
    pub data: Vec<PathBuf>,
    pub tables: BTreeMap<String, TableSource>,
    pub schema: Vec<PathBuf>,
    pub now: Option<String>,
    pub params: BTreeMap<String, String>,
}

/// One test, ready to run.
#[derive(Debug)]
pub struct TestCase {
    pub name: String,
    pub setup: Setup,
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TableSource {
    File(PathBuf),
    Rows(Vec<Map<String, Value>>),
}

/// What the result must be. Every given part must hold.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Exactly these rows (all columns), as a multiset unless `ordered`.
    pub rows: Option<Vec<Map<String, Value>>>,
    /// Compare `rows` in order.
    #[serde(default)]
    pub ordered: bool,
    /// The number of rows.
    pub count: Option<usize>,
    /// Rows that must appear: each matches some result row on the columns it names.
    #[serde(default)]
    pub contains: Vec<Map<String, Value>>,
    /// Rows that must not appear: no result row matches one on the columns it names.
    #[serde(default)]
    pub excludes: Vec<Map<String, Value>>,
}

/// The file's settings with a test's own where it gives them, paths relative to `dir`.
fn setup(file: &Entry, test: &Entry, dir: &Path) -> Setup {
    let at = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
    let (query, kql) = if test.query.is_some() || test.kql.is_some() {
        (test.query.clone(), test.kql.clone())
    } else {
        (file.query.clone(), file.kql.clone())
    };
    let pick = |own: &Paths, default: &Paths| {
        let chosen = if own.is_empty() { default } else { own };
        chosen.list().into_iter().map(at).collect()
    };
    let mut tables = file.tables.clone();
    tables.extend(test.tables.clone());
    for t in tables.values_mut() {
        if let TableSource::File(p) = t {
            *p = at(p.clone());
        }
    }
    let mut params = file.params.clone();
    params.extend(test.params.clone());
    Setup {
        query: query.map(at),
        kql,
        data: pick(&test.data, &file.data),
        tables,
        schema: pick(&test.schema, &file.schema),
        now: test.now.clone().or_else(|| file.now.clone()),
        params,
    }
}

/// Reads a test file; errors name the file and, from the YAML parser, the line.
pub fn load(path: &Path) -> Result<Vec<TestCase>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: Entry =
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let fail = |m: String| Err(format!("{}: {m}", path.display()));
    if file.name.is_some() || file.expect.is_some() {
        return fail("'name' and 'expect' belong to the entries of 'tests'".into());
    }
    let Some(tests) = &file.tests else {
        return fail("no 'tests' list".into());
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for t in tests {
        let Some(name) = t.name.clone() else {
            return fail("a test has no 'name'".into());
        };
        if t.tests.is_some() {
            return fail(format!("test '{name}': tests do not nest"));
        }
        let Some(expect) = t.expect.clone() else {
            return fail(format!("test '{name}' has no 'expect'"));
        };
        if expect.rows.is_none()
            && expect.count.is_none()
            && expect.contains.is_empty()
            && expect.excludes.is_empty()
        {
            return fail(format!(
                "test '{name}' expects nothing (give rows, count, contains or excludes)"
            ));
        }
        let setup = setup(&file, t, dir);
        if setup.query.is_none() && setup.kql.is_none() {
            return fail(format!("test '{name}' has no 'query' file or 'kql' text"));
        }
        out.push(TestCase {
            name,
            setup,
            expect,
        });
    }
    Ok(out)
}
