//! The hunt over CSV and Parquet copies of `testdata/phish` (written here, and by
//! `kql convert`) gives the same rows as over JSON.

mod common;

use common::{kql_command, root};
use kql::datafusion::parquet::arrow::ArrowWriter;
use kql_io::write::{ResultTable, write_csv};
use std::path::Path;

fn hunt_rows(data: &Path) -> Vec<String> {
    let out = kql_command(&root())
        .args([
            "run",
            "queries/identify-acting-user-for-reported-phish.kql",
            "--now",
            "2024-05-08T00:00:00Z",
            "--format",
            "json",
            "--data",
            data.to_str().expect("a UTF-8 path"),
        ])
        .output()
        .expect("kql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut rows: Vec<String> = v["tables"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.to_string())
        .collect();
    rows.sort();
    rows
}

/// Each phish table, loaded through the library.
fn phish_tables() -> Vec<(String, kql::QueryResult)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut s = kql::Session::new();
    s.load_dir(&root().join("testdata/phish")).unwrap();
    ["AlertEvidence", "CloudAppEvents"]
        .iter()
        .map(|t| (t.to_string(), rt.block_on(s.run(t)).unwrap().remove(0)))
        .collect()
}

#[test]
fn csv_and_parquet_copies_give_the_same_rows() {
    let expected = hunt_rows(&root().join("testdata/phish"));
    assert_eq!(expected.len(), 5);

    let csv_dir = tempfile::tempdir().unwrap();
    let pq_dir = tempfile::tempdir().unwrap();
    for (name, r) in phish_tables() {
        let (columns, batches) = (r.columns, r.batches);
        let mut f = std::fs::File::create(csv_dir.path().join(format!("{name}.csv"))).unwrap();
        write_csv(
            &mut f,
            &ResultTable {
                name: &name,
                columns: &columns,
                batches: &batches,
            },
        )
        .unwrap();
        let f = std::fs::File::create(pq_dir.path().join(format!("{name}.parquet"))).unwrap();
        let mut w = ArrowWriter::try_new(f, batches[0].schema(), None).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
    }
    assert_eq!(hunt_rows(csv_dir.path()), expected, "CSV");
    assert_eq!(hunt_rows(pq_dir.path()), expected, "Parquet");
}

#[test]
fn kql_convert_writes_parquet_that_replays_to_the_same_rows() {
    let to = tempfile::tempdir().unwrap();
    let convert = |args: &[&str]| kql_command(&root()).args(args).output().expect("kql runs");
    let out = convert(&[
        "convert",
        "--data",
        "testdata/phish",
        "--to",
        &to.path().to_string_lossy(),
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.contains("CloudAppEvents: "),
        "{said}"
    );
    for t in ["AlertEvidence", "CloudAppEvents"] {
        assert!(to.path().join(format!("{t}.parquet")).is_file(), "{t}");
    }
    assert_eq!(
        hunt_rows(to.path()),
        hunt_rows(&root().join("testdata/phish"))
    );

    let out = convert(&["convert", "--to", &to.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "no tables is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tables to convert"));
}
