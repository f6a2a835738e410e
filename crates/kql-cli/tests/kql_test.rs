//! `kql test` end to end: the project's own hunt tests pass; a changed expected cell fails
//! with a diff naming the test, the row and the column; `--update` restores it.

mod common;

use common::{kql_command, root};
use std::path::Path;

const TESTS: &str = "queries/identify-acting-user-for-reported-phish.kqltest.yaml";

#[test]
fn the_reference_hunt_tests_pass() {
    let out = kql_command(&root())
        .args(["test", "queries/"])
        .output()
        .expect("kql runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok    queries/"), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// A copy of `queries/` and `testdata/phish` in a temporary folder, same layout.
fn copy_project(dir: &Path) {
    for sub in ["queries", "testdata/phish"] {
        let to = dir.join(sub);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(root().join(sub)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn a_changed_cell_fails_with_a_diff_and_update_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path());
    let file = dir.path().join(TESTS);
    let original = std::fs::read_to_string(&file).unwrap();
    let broken = original.replacen(
        "\"Recipient\":\"carol@contoso.com\"",
        "\"Recipient\":\"bob@contoso.com\"",
        1,
    );
    assert_ne!(broken, original);
    std::fs::write(&file, &broken).unwrap();

    let junit = dir.path().join("results.xml");
    let out = kql_command(dir.path())
        .args(["test", "queries", "--junit", junit.to_str().unwrap()])
        .output()
        .expect("kql runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  queries/identify-acting-user-for-reported-phish.kqltest.yaml: the whole result, newest deletion first"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "row 4, column Recipient: expected \"bob@contoso.com\", got \"carol@contoso.com\""
        ),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<failure message=\"row 4, column Recipient"),
        "{xml}"
    );

    let out = kql_command(dir.path())
        .args(["test", "queries", "--update"])
        .output()
        .expect("kql runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    let out = kql_command(dir.path())
        .args(["test", "queries"])
        .output()
        .expect("kql runs");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_malformed_test_file_is_a_usage_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.kqltest.yaml");
    std::fs::write(
        &file,
        "kql: print 1\ntests:\n  - name: x\n    expcet:\n      count: 1\n",
    )
    .unwrap();
    let out = kql_command(dir.path())
        .args(["test", "."])
        .output()
        .expect("kql runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.kqltest.yaml"), "{stderr}");
    assert!(stderr.contains("expcet"), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
}

#[test]
fn inline_queries_tables_and_json_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.kqltest.yaml"),
        r#"now: 2024-01-02T00:00:00Z
tests:
  - name: recent rows only
    kql: T | where ts > ago(1d) | project name
    tables:
      T:
        - {ts: 2024-01-01T12:00:00Z, name: new}
        - {ts: 2023-12-01T00:00:00Z, name: old}
    expect:
      rows:
        - {name: new}
  - name: a wrong count
    kql: print x = 1
    expect:
      count: 2
"#,
    )
    .unwrap();
    let out = kql_command(dir.path())
        .args(["test", ".", "--format", "json"])
        .output()
        .expect("kql runs");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], 1);
    assert_eq!(v["tests"][1]["messages"][0], "expected 2 rows, got 1");
}
