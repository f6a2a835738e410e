//! Damaged data files through the real binary: syntax damage stops the load with
//! `file:line:column` and exit 2; a value that does not fit its column is nulled and
//! counted; `--on-error skip` skips bad lines and counts them; harmless variations (a
//! byte-order mark, CRLF line ends, an empty file, a very long line) load as they should.

use crate::{run_in, text};

fn folder_with(name: &str, content: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    dir
}

#[test]
fn truncated_json_stops_the_load_with_file_line_and_column() {
    let dir = folder_with("T.jsonl", b"{\"a\":1}\n{\"a\":2}\n{\"a\":");
    let out = run_in(dir.path(), "T | count", &["--table", "T=T.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: T.jsonl:3:5: EOF while parsing a value"
    );
    let dir = folder_with("T.json", b"[{\"a\":1},\n{\"a\":2");
    let out = run_in(dir.path(), "T | count", &["--table", "T=T.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("T.json:2:6: EOF while parsing an object"));
}

#[test]
fn invalid_utf8_is_located() {
    let dir = folder_with("T.jsonl", b"{\"a\":\"ok\"}\n{\"a\":\"caf\xe9\"}\n");
    let out = run_in(dir.path(), "T | count", &["--table", "T=T.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: T.jsonl:2:10: invalid UTF-8"
    );
}

#[test]
fn skip_mode_skips_bad_lines_and_counts_them() {
    let dir = folder_with(
        "T.jsonl",
        b"{\"a\":1}\n{\"a\":\n[1,2]\n{\"a\":\"caf\xe9\"}\n{\"a\":5}\n",
    );
    let out = run_in(
        dir.path(),
        "T | summarize n = count(), s = sum(a)",
        &["--table", "T=T.jsonl", "--on-error", "skip"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n,s\n2,6\n");
    assert!(
        text(&out.stderr).contains(
            "T.jsonl: skipped 3 malformed lines (the first: T.jsonl:2:5: EOF while parsing a value)"
        ),
        "{}",
        text(&out.stderr)
    );
    let dir = folder_with("T.csv", b"a,b\n1,x\n2\n3,z\n");
    let out = run_in(
        dir.path(),
        "T | summarize s = sum(a)",
        &["--table", "T=T.csv", "--on-error", "skip"],
    );
    assert_eq!(text(&out.stdout), "s\n4\n");
    assert!(text(&out.stderr).contains("skipped 1 malformed line"));
}

#[test]
fn values_that_do_not_fit_their_declared_type_are_nulled_and_counted() {
    let dir = folder_with(
        "T.jsonl",
        b"{\"n\":1,\"t\":\"2024-01-01T00:00:00Z\"}\n{\"n\":\"many\",\"t\":\"yesterday\"}\n{\"n\":3,\"t\":42}\n",
    );
    std::fs::write(
        dir.path().join("schema.json"),
        r#"{"name":"T","columns":[{"name":"n","type":"long"},{"name":"t","type":"datetime"}]}"#,
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        "T | summarize rows = count(), n = countif(isnotnull(n)), t = countif(isnotnull(t))",
        &["--table", "T=T.jsonl", "--schema", "schema.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "rows,n,t\n3,2,1\n");
    assert!(
        text(&out.stderr).contains(
            "T.jsonl: values that do not fit their column's type were nulled: n (long): 1, t (datetime): 2"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn byte_order_mark_and_crlf_line_ends_load() {
    let dir = folder_with("T.jsonl", b"\xEF\xBB\xBF{\"a\":1}\r\n{\"a\":2}\r\n");
    std::fs::write(
        dir.path().join("C.csv"),
        b"\xEF\xBB\xBFa,b\r\n1,x\r\n2,y\r\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        "T | join kind=inner (C) on a | project a, b | order by a asc",
        &["--data", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a,b\n1,x\n2,y\n");
}

#[test]
fn an_empty_file_is_an_empty_table() {
    let dir = folder_with("AlertInfo.jsonl", b"");
    let out = run_in(dir.path(), "AlertInfo | count", &["--data", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Count\n0\n");
    // The built-in schema still types it: its columns can be named.
    let out = run_in(
        dir.path(),
        "AlertInfo | project Title | count",
        &["--data", "."],
    );
    assert_eq!(text(&out.stdout), "Count\n0\n");
}

#[test]
fn a_hundred_megabyte_single_line_loads() {
    // One JSON array of ~1.1 million objects, on one line.
    let mut line = Vec::with_capacity(110 << 20);
    line.push(b'[');
    let mut i = 0u64;
    while line.len() < 100 << 20 {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(format!("{{\"i\":{i},\"s\":\"row-{i:060}\"}}").as_bytes());
        i += 1;
    }
    line.push(b']');
    let dir = folder_with("T.json", &line);
    let out = run_in(
        dir.path(),
        "T | summarize n = count(), m = max(i)",
        &["--data", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("n,m\n{i},{}\n", i - 1));
}
