//! `kql test`: regression tests of KQL logic, written in `*.kqltest.yaml` files.

mod expect;
mod junit;
mod spec;
mod update;

use crate::args::{CheckFormat, TestArgs};
use crate::{EXIT_QUERY_FAILED, EXIT_USAGE};
use expect::Rows;
use kql::{QueryError, Session};
use serde_json::{Map, Value, json};
use spec::{Setup, TableSource, TestCase};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The suffix that marks a test file.
pub const TEST_SUFFIX: &str = ".kqltest.yaml";

/// How one test ended.
enum Outcome {
    Passed,
    /// The result differs from the expectation: one line per difference.
    Failed(Vec<String>),
    /// The query or its inputs failed before there was a result.
    Error(String),
}

struct Report {
    file: PathBuf,
    case: TestCase,
    outcome: Outcome,
    /// The result, kept for `--update`.
    result: Option<Rows>,
}

pub fn test(a: TestArgs) -> u8 {
    let mut files = Vec::new();
    for p in &a.paths {
        if let Err(e) = find(p, &mut files) {
            eprintln!("error: {}: {e}", p.display());
            return EXIT_USAGE;
        }
    }
    files.sort();
    let mut cases: Vec<(PathBuf, TestCase)> = Vec::new();
    for f in &files {
        match spec::load(f) {
            Ok(tests) => cases.extend(
                tests
                    .into_iter()
                    .filter(|t| {
                        a.filter
                            .as_ref()
                            .is_none_or(|s| t.name.contains(s.as_str()))
                    })
                    .map(|t| (f.clone(), t)),
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    }
    if cases.is_empty() {
        eprintln!("error: no tests found (test files end in {TEST_SUFFIX})");
        return EXIT_USAGE;
    }
    let reports = run_all(cases);
    if a.update {
        return update::rewrite(&reports);
    }
    let failed = reports
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Passed))
        .count();
    match a.format {
        CheckFormat::Text => print_text(&reports),
        CheckFormat::Json => print_json(&reports),
    }
    if let Some(path) = &a.junit
        && let Err(e) = junit::write(path, &reports)
    {
        eprintln!("error: {}: {e}", path.display());
        return EXIT_USAGE;
    }
    if failed == 0 { 0 } else { EXIT_QUERY_FAILED }
}

/// Test files under `path` (or `path` itself).
fn find(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(path)? {
        let p = e?.path();
        if p.is_dir() {
            find(&p, out)?;
        } else if is_test_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

pub fn is_test_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(TEST_SUFFIX))
}

/// Runs the tests on as many threads as there are cores, each with its own runtime; the
/// reports keep the order of the files and tests.
fn run_all(cases: Vec<(PathBuf, TestCase)>) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut done: Vec<Option<(Outcome, Option<Rows>)>> = (0..cases.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(cases.len()))
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(kql::PLANNING_STACK)
                    .spawn_scoped(s, || {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build();
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((_, case)) = cases.get(i) else { break };
                            let ended = match &rt {
                                Ok(rt) => rt.block_on(run_one(case)),
                                Err(e) => {
                                    (Outcome::Error(format!("cannot start a runtime: {e}")), None)
                                }
                            };
                            out.push((i, ended));
                        }
                        out
                    })
            })
            .collect();
        for h in handles.into_iter().flatten() {
            for (i, ended) in h.join().unwrap_or_default() {
                done[i] = Some(ended);
            }
        }
    });
    cases
        .into_iter()
        .zip(done)
        .map(|((file, case), ended)| {
            let (outcome, result) =
                ended.unwrap_or_else(|| (Outcome::Error("the test's thread failed".into()), None));
            Report {
                file,
                case,
                outcome,
                result,
            }
        })
        .collect()
}

async fn run_one(case: &TestCase) -> (Outcome, Option<Rows>) {
    match execute(&case.setup).await {
        Ok(rows) => {
            let problems = expect::check(&case.expect, &rows);
            let outcome = if problems.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Failed(problems)
            };
            (outcome, Some(rows))
        }
        Err(e) => (Outcome::Error(e), None),
    }
}

/// Loads the test's inputs and runs its query; the first result table.
async fn execute(setup: &Setup) -> Result<Rows, String> {
    let mut session = Session::new();
    if let Some(now) = &setup.now {
        let nanos = kql_types::parse_datetime(now)
            .ok_or_else(|| format!("now: '{now}' is not a datetime"))?;
        session.set_now(nanos);
    }
    for (k, v) in &setup.params {
        session.set_param(k, v);
    }
    for s in &setup.schema {
        session.load_schema(s).map_err(|e| e.to_string())?;
    }
    for d in &setup.data {
        session.load_dir(d).map_err(|e| e.to_string())?;
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
    for (name, source) in &setup.tables {
        let path = match source {
            TableSource::File(p) => p.clone(),
            TableSource::Rows(rows) => {
                let p = scratch.path().join(format!("{name}.jsonl"));
                let lines: Vec<String> = rows
                    .iter()
                    .map(|r| Value::Object(r.clone()).to_string())
                    .collect();
                std::fs::write(&p, lines.join("\n")).map_err(|e| format!("table {name}: {e}"))?;
                p
            }
        };
        session
            .load_files(name, &[path])
            .map_err(|e| e.to_string())?;
    }
    let (origin, query) = match (&setup.kql, &setup.query) {
        (Some(text), _) => ("kql".to_string(), text.clone()),
        (None, Some(file)) => {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let is_rule = file
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e == "yaml" || e == "yml");
            let text = if is_rule {
                crate::source::rule_query(file, &text)?
            } else {
                text
            };
            (file.display().to_string(), text)
        }
        (None, None) => return Err("no query".into()),
    };
    let results = session
        .run(&query)
        .await
        .map_err(|QueryError::Query(d)| d.render(&query, &origin))?;
    let Some(first) = results.first() else {
        return Err("the query gave no result table".into());
    };
    let mut rows = Vec::new();
    for b in &first.batches {
        for r in 0..b.num_rows() {
            let mut m = Map::new();
            for (i, (name, ty)) in first.columns.iter().enumerate() {
                m.insert(name.clone(), kql_io::write::cell_json(b.column(i), r, *ty));
            }
            rows.push(m);
        }
    }
    Ok(Rows {
        columns: first.columns.clone(),
        rows,
    })
}

fn print_text(reports: &[Report]) {
    let (mut passed, mut failed) = (0, 0);
    for r in reports {
        let title = format!("{}: {}", r.file.display(), r.case.name);
        match &r.outcome {
            Outcome::Passed => {
                passed += 1;
                println!("ok    {title}");
            }
            Outcome::Failed(problems) => {
                failed += 1;
                println!("FAIL  {title}");
                for p in problems {
                    println!("      {p}");
                }
            }
            Outcome::Error(e) => {
                failed += 1;
                println!("ERROR {title}");
                for line in e.lines() {
                    println!("      {line}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
}

fn print_json(reports: &[Report]) {
    let tests: Vec<Value> = reports
        .iter()
        .map(|r| {
            let (status, messages) = match &r.outcome {
                Outcome::Passed => ("passed", Vec::new()),
                Outcome::Failed(p) => ("failed", p.clone()),
                Outcome::Error(e) => ("error", vec![e.clone()]),
            };
            json!({"file": r.file.display().to_string(), "name": r.case.name, "status": status, "messages": messages})
        })
        .collect();
    let passed = tests.iter().filter(|t| t["status"] == "passed").count();
    println!(
        "{}",
        json!({"passed": passed, "failed": tests.len() - passed, "tests": tests})
    );
}
