//! The three ways a table reaches a query give the same cells: newline-delimited JSON read
//! lazily in byte ranges (`NdjsonTable`), the same text read whole (`json_from_bytes`), and
//! the Parquet copy `write_parquet` makes of it.

use datafusion::arrow::util::display::array_value_to_string;
use datafusion::datasource::MemTable;
use kql::Session;
use std::fmt::Write;
use std::sync::Arc;

/// Rows over several MiB (so several ranges and survey threads), with the shapes exports
/// have: escapes, strings holding JSON, missing and null fields, values that do not fit a
/// declared type, blank lines, CRLF; and with `repeated`, lines that repeat a key (scans
/// then read every line whole; without, they read lines only as far as they need).
fn export(repeated: bool) -> String {
    let mut text = String::new();
    for i in 0..40_000u64 {
        let ts = if i % 97 == 0 {
            "\"not a date\"".to_string()
        } else {
            format!("\"2024-05-0{}T10:{:02}:00Z\"", 1 + i % 7, i % 60)
        };
        let raw = match i % 5 {
            0 => format!(r#""{{\"UserId\":\"u{i}@x.com\",\"Items\":[{{\"Id\":{i}}}]}}""#),
            1 => format!(r#"{{"UserId": "u{i}", "Score": 1.50, "Path": "a\/b"}}"#),
            2 => "null".to_string(),
            3 => r#""plain \"quoted\" text \u00e9""#.to_string(),
            _ => format!("[{i}, true, \"x\"]"),
        };
        let action = if i % 13 == 0 && !repeated {
            "Last".to_string()
        } else {
            format!("Act{}", i % 3)
        };
        let _ = write!(
            text,
            r#"{{"Timestamp":{ts},"ActionType":"{action}","Count":{},"Raw":{raw}"#,
            if i % 11 == 0 {
                "\"12\"".to_string()
            } else {
                i.to_string()
            }
        );
        if i % 13 == 0 {
            let _ = write!(text, r#","Extra":"e{i}""#);
            if repeated {
                text.push_str(r#","ActionType":"Last""#);
            }
        }
        text.push_str(if i % 17 == 0 { "}\r\n" } else { "}\n" });
        if i % 1000 == 0 {
            text.push_str("   \n");
        }
    }
    text
}

async fn cells(s: &Session, query: &str) -> Vec<String> {
    let results = s.run(query).await.expect("query runs");
    let mut rows = Vec::new();
    for b in &results[0].batches {
        for r in 0..b.num_rows() {
            let row: Vec<String> = b
                .columns()
                .iter()
                .map(|c| array_value_to_string(c, r).unwrap_or_default())
                .collect();
            rows.push(row.join("|"));
        }
    }
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_whole_and_parquet_tables_give_the_same_cells() {
    for repeated in [true, false] {
        same_cells(repeated).await;
    }
}

async fn same_cells(repeated: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CloudAppEvents.jsonl");
    let text = export(repeated);
    assert!(text.len() > 3 << 20, "{} bytes", text.len());
    std::fs::write(&path, &text).unwrap();

    // Lazy, typed by the built-in CloudAppEvents schema plus the extra fields.
    let mut lazy = Session::new();
    lazy.load_dir(dir.path()).unwrap();
    let notes = lazy.take_warnings().join("\n");
    assert!(notes.contains("Timestamp (datetime): 413"), "{notes}");
    assert!(
        notes.contains("kept as extra columns: Count, Raw, Extra"),
        "{notes}"
    );

    // Whole, through the eager loader.
    let declared = kql_io::builtin_schema("CloudAppEvents");
    let whole = kql_io::json_from_bytes(
        &path,
        text.as_bytes(),
        declared.as_ref(),
        kql_io::OnError::Fail,
    )
    .unwrap();
    let mem = MemTable::try_new(whole.batch.schema(), vec![vec![whole.batch]]).unwrap();
    let mut eager = Session::new();
    eager.register("CloudAppEvents", Arc::new(mem));

    // Parquet, written from the lazy table and read back.
    let pq = tempfile::tempdir().unwrap();
    let rows = lazy
        .write_parquet("CloudAppEvents", &pq.path().join("CloudAppEvents.parquet"))
        .await
        .unwrap();
    assert_eq!(rows, 40_000);
    let mut parquet = Session::new();
    parquet.load_dir(pq.path()).unwrap();

    for query in [
        "CloudAppEvents",
        "CloudAppEvents | getschema",
        "CloudAppEvents | project Raw, Count",
        "CloudAppEvents | where ActionType == 'Last' | project Extra, Timestamp",
        "CloudAppEvents | where Timestamp >= datetime(2024-05-04) | where tostring(Raw) has 'UserId' | project ActionType, Count",
        "CloudAppEvents | where Count > 30000 | where Raw has 'Items' | project Extra, Raw, Timestamp",
        "CloudAppEvents | where Raw has 'true' | where Extra != '' | project Count, ActionType",
        "CloudAppEvents | where isnull(Timestamp) or ActionType in ('Act1', 'Last') | count",
        "CloudAppEvents | where ActionType == 'nothing' | count",
        "CloudAppEvents | summarize count() by ActionType",
        "CloudAppEvents | count",
        "CloudAppEvents | take 3 | count",
    ] {
        let want = cells(&eager, query).await;
        assert!(!want.is_empty(), "{query}");
        assert_eq!(
            cells(&lazy, query).await,
            want,
            "lazy ({repeated}): {query}"
        );
        assert_eq!(
            cells(&parquet, query).await,
            want,
            "parquet ({repeated}): {query}"
        );
    }
}

#[tokio::test]
async fn a_bad_line_far_into_a_big_file_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = export(true);
    text.push_str("{\"Timestamp\": oops}\n");
    let lines = text.lines().count();
    std::fs::write(dir.path().join("T.jsonl"), &text).unwrap();
    let mut s = Session::new();
    let e = s.load_dir(dir.path()).unwrap_err();
    assert_eq!((e.line, e.column), (Some(lines), Some(15)), "{e}");
    assert!(e.message.contains("expected value"), "{e}");
    let mut skipping = Session::new();
    skipping.set_on_error(kql_io::OnError::Skip);
    skipping.load_dir(dir.path()).unwrap();
    let notes = skipping.take_warnings().join("\n");
    assert!(
        notes.contains("skipped 1 malformed line (the first: "),
        "{notes}"
    );
    assert!(notes.contains(&format!("T.jsonl:{lines}:15")), "{notes}");
    let n = cells(&skipping, "T | count").await;
    assert_eq!(n, ["40000"]);
}
