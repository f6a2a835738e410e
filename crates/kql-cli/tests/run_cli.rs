//! End-to-end tests of the real `kql` binary: the reference hunt, diagnostics, exit codes.

mod common;

use common::{kql_command, root};
use serde_json::Value;
use std::process::Output;

fn kql(args: &[&str]) -> Output {
    kql_command(&root()).args(args).output().expect("kql runs")
}

const NOW: &str = "2024-05-08T00:00:00Z";

fn run_hunt(file: &str) -> Value {
    let out = kql(&[
        "run",
        file,
        "--data",
        "testdata/phish",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn sorted_rows(v: &Value) -> Vec<String> {
    let mut rows: Vec<String> = v["tables"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.to_string())
        .collect();
    rows.sort();
    rows
}

#[test]
fn both_seed_files_reproduce_the_hand_verified_result() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/expected/phish.json")).unwrap(),
    )
    .unwrap();
    for file in [
        "queries/identify-acting-user-for-reported-phish.kql",
        "queries/identify-acting-user-for-reported-phish.yaml",
    ] {
        let got = run_hunt(file);
        assert_eq!(
            got["tables"][0]["columns"], expected["tables"][0]["columns"],
            "{file}: columns"
        );
        assert_eq!(sorted_rows(&got), sorted_rows(&expected), "{file}: rows");
        // Ordered by AppTimestamp descending (rows with equal timestamps may come in any order).
        let times: Vec<String> = got["tables"][0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "{file}: order {times:?}"
        );
    }
}

#[test]
fn a_syntax_error_exits_1_with_line_column_and_caret() {
    let out = kql(&["run", "-e", "AlertEvidence\n| where Timestamp >"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("query:2:20: error[KS002]: expected an expression; found end of input"),
        "{err}"
    );
    assert!(
        err.contains("2 | | where Timestamp >\n  |                    ^"),
        "{err}"
    );
}

#[test]
fn a_syntax_error_is_told_before_the_data_is_read() {
    // The data file is malformed: had it been read, loading would have failed first.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("T.jsonl"), "{\"a\":1}\n{\"a\":\n").unwrap();
    let data = dir.path().to_str().unwrap();
    let out = kql(&["run", "-e", "T | where a >", "--data", data]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("query:1:14: error[KS002]"), "{err}");
    assert!(!err.contains("T.jsonl"), "{err}");
    // With a query that parses, the malformed file is reported.
    let out = kql(&["run", "-e", "T | where a > 0", "--data", data]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("T.jsonl:2"));
}

#[test]
fn an_unknown_column_suggests_the_right_one() {
    let out = kql(&[
        "run",
        "-e",
        "AlertEvidence | where AlertID == 'a1'",
        "--data",
        "testdata/phish",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown column, variable or table 'AlertID'"),
        "{err}"
    );
    assert!(err.contains("did you mean 'AlertId'?"), "{err}");
}

#[test]
fn unsupported_features_say_so_with_a_span() {
    let out = kql(&["run", "-e", "print x = 1 | partition by x (take 1)"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("query:1:15: error[KQL001]: not supported yet: the 'partition' operator"),
        "{err}"
    );
}

#[test]
fn a_malformed_data_file_exits_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("T.jsonl"), "{\"a\": 1}\n{\"a\": \n").unwrap();
    let out = kql(&["run", "-e", "T", "--data", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("T.jsonl:2:"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(kql(&["run", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(
        kql(&["run", "-e", "print 1", "--now", "yesterday"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(kql(&["run", "missing-file.kql"]).status.code(), Some(2));
}

#[test]
fn json_output_uses_kusto_types_and_formats() {
    let out = kql(&[
        "run",
        "-e",
        "print a = 1, b = 1.5, c = 'x', d = datetime(2024-01-02 03:04:05.5), e = 90m, f = dynamic({\"k\": [1]}), g = real(nan)",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let types: Vec<&str> = v["tables"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "long", "real", "string", "datetime", "timespan", "dynamic", "real"
        ]
    );
    assert_eq!(
        v["tables"][0]["rows"][0].to_string(),
        r#"[1,1.5,"x","2024-01-02T03:04:05.5Z","01:30:00",{"k":[1]},"NaN"]"#
    );
}

#[test]
fn built_in_schemas_are_printed() {
    let out = kql(&["schema", "CloudAppEvents"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("RawEventData: dynamic"));
    assert_eq!(kql(&["schema", "NoSuchTable"]).status.code(), Some(2));
}

#[test]
fn check_reports_each_failure_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("queries.jsonl"),
        "{\"id\": \"good\", \"query\": \"AlertEvidence | where Timestamp > ago(1d)\"}\n\
         {\"id\": \"bad\", \"query\": \"AlertEvidence\\n| where Nope == 1\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rule.yaml"),
        "id: x\nquery: |\n  AlertEvidence | take 1\n",
    )
    .unwrap();
    let schema = dir.path().join("AlertEvidence.json");
    std::fs::write(
        &schema,
        r#"{"name": "AlertEvidence", "columns": [{"name": "Timestamp", "type": "datetime"}]}"#,
    )
    .unwrap();
    let out = kql(&[
        "check",
        dir.path().to_str().unwrap(),
        "--schema",
        schema.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 ok, 1 failed"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("queries.jsonl:2[bad]:2:9: error[KS142]"),
        "{err}"
    );
}

#[test]
fn query_parameters_come_from_the_command_line() {
    let q = "declare query_parameters(since: datetime, who: string); print since, who";
    let out = kql(&[
        "run",
        "-e",
        q,
        "--param",
        "since=2024-01-01",
        "--param",
        "who=a b",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2024-01-01T00:00:00Z,a b"));
    let out = kql(&["run", "-e", q]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give it with --param since=VALUE"));
}
