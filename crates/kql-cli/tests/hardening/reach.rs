//! Nothing beyond what the user allowed, through the real binary: `externaldata` reads local
//! files under `--allow-path` folders only, never the network; YAML files are parsed with
//! limits, so an alias bomb is an error and not an exhausted machine.

use crate::common::kql_command;
use crate::{run_in, text};

/// A folder with `allowed/t.csv` (a header and two rows) and `other/t.csv`.
fn folders() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["allowed", "other"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("t.csv"), "a,b\n1,x\n2,y\n").unwrap();
    }
    std::fs::write(
        dir.path().join("allowed/t.json"),
        "{\"a\":3,\"b\":\"z\",\"c\":true}\n",
    )
    .unwrap();
    dir
}

#[test]
fn externaldata_reads_files_under_allowed_folders() {
    let dir = folders();
    let q = "externaldata (a:long, b:string) [@'allowed/t.csv', @'allowed/t.json']\n\
             with (ignoreFirstRecord=true) | order by a asc";
    let out = run_in(dir.path(), q, &["--allow-path", "allowed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a,b\n1,x\n2,y\n3,z\n");
    // Without ignoreFirstRecord, the header is a row whose `a` is not a long.
    let q = "externaldata (a:long, b:string) [@'allowed/t.csv'] with (format='csv') | count";
    let out = run_in(dir.path(), q, &["--allow-path", "allowed"]);
    assert_eq!(text(&out.stdout), "Count\n3\n");
}

#[test]
fn externaldata_refuses_files_outside_allowed_folders() {
    let dir = folders();
    for uri in [
        "other/t.csv",
        "allowed/../other/t.csv",
        "allowed/missing.csv",
    ] {
        let q = format!("externaldata (a:long, b:string) [@'{uri}'] with (format='csv')");
        let out = run_in(dir.path(), &q, &["--allow-path", "allowed"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{uri}: {err}");
        assert!(err.contains("error[KQL003]"), "{err}");
        if uri.contains("missing") {
            assert!(err.contains("cannot read"), "{err}");
        } else {
            assert!(
                err.contains("not under a folder allowed with --allow-path"),
                "{err}"
            );
        }
    }
    // No --allow-path at all: no file may be read.
    let q = "externaldata (a:long, b:string) [@'allowed/t.csv'] with (format='csv')";
    let out = run_in(dir.path(), q, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not under a folder allowed"));
}

#[test]
fn network_sources_are_refused_without_a_connection() {
    let dir = folders();
    let q = "externaldata (a:long) [h@'https://example.blob.core.windows.net/c/t.csv?sig=SECRET']";
    let out = run_in(dir.path(), q, &["--allow-path", "allowed"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("kql never opens a network connection: externaldata from https://example.blob.core.windows.net is refused"),
        "{err}"
    );
    let out = run_in(
        dir.path(),
        "evaluate http_request('https://example.com')",
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the 'http_request' plugin sends requests over the network")
    );
}

/// Ten levels of ten aliases each (10^10 nodes once expanded): `line(i, value)` places
/// level `i`'s anchored value on a line of its own.
fn alias_bomb(line: impl Fn(usize, String) -> String) -> String {
    let mut lines = Vec::new();
    for i in 0..10 {
        let items = if i == 0 {
            vec!["\"lol\"".to_string(); 10]
        } else {
            vec![format!("*a{}", i - 1); 10]
        };
        lines.push(line(i, format!("&a{i} [{}]", items.join(","))));
    }
    lines.join("\n")
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rule.yaml"),
        format!(
            "{}\nquery: print 1\n",
            alias_bomb(|i, v| format!("a{i}: {v}"))
        ),
    )
    .unwrap();
    let out = kql_command(dir.path())
        .args(["run", "rule.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("budget breached"),
        "{}",
        text(&out.stderr)
    );
    // In a test file, inside a field that takes any YAML (inline table rows).
    let rows = alias_bomb(|_, v| format!("        - {{a: {v}}}"));
    std::fs::write(
        dir.path().join("bomb.kqltest.yaml"),
        format!("kql: T | count\ntests:\n  - name: one\n    tables:\n      T:\n{rows}\n    expect:\n      count: 1\n"),
    )
    .unwrap();
    let out = kql_command(dir.path())
        .args(["test", "bomb.kqltest.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("budget breached"),
        "{}",
        text(&out.stderr)
    );
}
