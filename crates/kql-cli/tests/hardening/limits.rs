//! The engine's limits through the real binary: a query too deep, too long-chained, too
//! slow or too hungry ends with a `KQL002` diagnostic and exit code 1, never a crash.

use crate::common::kql_command;
use std::process::Output;
use std::time::{Duration, Instant};

fn run_text(query: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.kql");
    std::fs::write(&file, query).unwrap();
    kql_command(dir.path())
        .arg("run")
        .arg(&file)
        .args(extra)
        .output()
        .unwrap()
}

fn assert_limit(out: &Output, message: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(
        err.contains("error[KQL002]") && err.contains(message),
        "{err}"
    );
    // The source line is shown as a window, not as the whole (huge) line.
    let source_line = err.lines().nth(2).unwrap_or_default();
    assert!(source_line.chars().count() < 200, "{err}");
}

#[test]
fn a_hundred_thousand_nested_parentheses_get_a_diagnostic() {
    let q = format!("print {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_limit(&run_text(&q, &[]), "nests deeper than");
}

#[test]
fn a_ten_thousand_stage_pipe_gets_a_diagnostic() {
    let q = format!(
        "range x from 1 to 3 step 1{}",
        " | where x > 0".repeat(10_000)
    );
    assert_limit(&run_text(&q, &[]), "chains more than 1000 operators");
    // 990 stages are fine.
    let q = format!("range x from 1 to 3 step 1{}", " | where x > 0".repeat(990));
    let out = run_text(&q, &["--format", "csv"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x\n1\n2\n3\n");
}

#[test]
fn a_hundred_thousand_term_condition_gets_a_diagnostic() {
    let terms: Vec<String> = (0..100_000).map(|i| format!("x == {i}")).collect();
    let q = format!("print x = 1 | where {}", terms.join(" or "));
    assert_limit(&run_text(&q, &[]), "chains more than 1000 operators");
}

#[test]
fn a_ten_thousand_let_chain_gets_a_diagnostic() {
    let mut q = String::from("let a0 = range x from 1 to 3 step 1;\n");
    for i in 1..10_000 {
        q.push_str(&format!("let a{i} = a{} | where x > 0;\n", i - 1));
    }
    q.push_str("a9999 | count");
    assert_limit(&run_text(&q, &[]), "operators deep, more than the limit");
}

#[test]
fn timeout_ends_a_long_query() {
    let q = "let t = range x from 1 to 100000 step 1 | extend k = 1;\n\
             t | join kind=inner (t) on k | count";
    let started = Instant::now();
    let out = run_text(q, &["--timeout", "1s"]);
    assert_limit(&out, "ran longer than its time limit of 1s (--timeout)");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn timeout_ends_a_computation_that_never_yields() {
    // One huge array built in one step: the process ends it after a grace period.
    let q = "range x from 1 to 100000000 step 1 | extend s = strcat('v', x) | summarize dcount(s)";
    let started = Instant::now();
    let out = run_text(q, &["--timeout", "1s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("time limit"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn memory_limit_ends_a_runaway_query_with_a_clear_error() {
    let q = "range x from 1 to 3000000 step 1 | extend s = strcat('value-', x)\n\
             | summarize make_list(s) | project n = array_length(list_s)";
    let out = run_text(q, &["--memory-limit", "32M"]);
    assert_limit(
        &out,
        "needs more memory than its limit of 32 MiB (--memory-limit)",
    );
    // A query that needs little memory runs under the same limit.
    let q =
        "range x from 1 to 2000000 step 1 | summarize n = count() by k = x % 2 | order by k asc";
    let out = run_text(q, &["--memory-limit", "32M", "--format", "csv"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "k,n\n0,1000000\n1,1000000\n"
    );
}

#[test]
fn bad_limit_values_are_usage_errors() {
    let out = run_text("print 1", &["--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_text("print 1", &["--memory-limit", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn regular_expressions_are_compiled_with_a_size_limit() {
    let out = run_text(
        "print x = 'a' | where x matches regex '((a{1000}){1000}){1000}'",
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("exceeds size limit"), "{err}");
}
