//! Runs every example of Microsoft's KQL reference (`../shared/conformance/kusto-docs.jsonl`)
//! through the engine and compares the documented output.
//!
//! `conformance/known-failures.txt` lists the cases that fail today, each with a reason. The
//! test fails when an unlisted case fails (a regression) and when a listed case passes (so
//! the list only shrinks). `KQL_CONFORMANCE_UPDATE=1` rewrites the list from this run.

#[path = "conformance/compare.rs"]
mod compare;

use compare::{Actual, Expected, compare};
use kql::Session;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn known_failures_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known-failures.txt")
}

/// id → reason
fn read_known() -> BTreeMap<String, String> {
    std::fs::read_to_string(known_failures_path())
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((id, reason)) => (id.to_string(), reason.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

async fn run_case(case: &Value) -> Result<(), String> {
    let query = case["query"].as_str().ok_or("no query")?;
    let results = Session::new()
        .run(query)
        .await
        .map_err(|e| format!("error: {e}"))?;
    let r = results.first().ok_or("no result table")?;
    let mut rows = Vec::new();
    for b in &r.batches {
        for i in 0..b.num_rows() {
            rows.push(
                r.columns
                    .iter()
                    .enumerate()
                    .map(|(c, (_, ty))| kql_io::write::cell_json(b.column(c), i, *ty))
                    .collect(),
            );
        }
    }
    let actual = Actual {
        columns: r.columns.iter().map(|(n, _)| n.clone()).collect(),
        types: r.columns.iter().map(|(_, t)| *t).collect(),
        rows,
    };
    let notes = case["notes"].as_str().unwrap_or_default().to_lowercase();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let expected = Expected {
        columns: strings(&case["expected"]["columns"]),
        rows: case["expected"]["rows"]
            .as_array()
            .map(|rs| rs.iter().map(strings).collect())
            .unwrap_or_default(),
        ordered: case["ordered"].as_bool().unwrap_or(false),
        approximate: notes.contains("approximate")
            || notes.contains("dcount")
            || notes.contains("percentile"),
        sets: notes.contains("set") || notes.contains("order"),
    };
    match compare(&actual, &expected) {
        None => Ok(()),
        Some(why) => Err(format!("wrong result: {why}")),
    }
}

/// The first line of a reason, short enough for the list.
fn short(reason: &str) -> String {
    let line = reason.lines().next().unwrap_or_default();
    line.chars().take(160).collect()
}

#[test]
fn kusto_docs_examples() {
    let file = root().join("../shared/conformance/kusto-docs.jsonl");
    let Ok(text) = std::fs::read_to_string(&file) else {
        eprintln!("conformance: skipped, {} is absent", file.display());
        return;
    };
    let cases: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(cases.len() > 600, "only {} cases read", cases.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let (mut geo_pass, mut geo_total, mut pass, mut total) = (0, 0, 0, 0);
    for case in &cases {
        let id = case["id"].as_str().unwrap_or_default().to_string();
        let geo = id.starts_with("geo");
        let outcome = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(20), run_case(case))
                .await
                .unwrap_or_else(|_| Err("timed out after 20 s".into()))
        });
        if geo {
            geo_total += 1;
        } else {
            total += 1;
        }
        match outcome {
            Ok(()) if geo => geo_pass += 1,
            Ok(()) => pass += 1,
            Err(why) => {
                failures.insert(id, short(&why));
            }
        }
    }
    eprintln!(
        "conformance: {pass}/{total} non-geo cases pass ({:.1}%), {geo_pass}/{geo_total} geo cases",
        100.0 * pass as f64 / total.max(1) as f64
    );
    if std::env::var("KQL_CONFORMANCE_UPDATE").is_ok() {
        let mut out = String::from(
            "# Conformance cases that fail today, with why. Regenerate: KQL_CONFORMANCE_UPDATE=1 cargo test -p kql --test conformance\n",
        );
        for (id, why) in &failures {
            out.push_str(&format!("{id}\t{why}\n"));
        }
        std::fs::write(known_failures_path(), out).unwrap();
        return;
    }
    let known = read_known();
    let regressions: Vec<String> = failures
        .iter()
        .filter(|(id, _)| !known.contains_key(*id))
        .map(|(id, why)| format!("  {id}: {why}"))
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|id| !failures.contains_key(*id))
        .collect();
    assert!(
        regressions.is_empty() && fixed.is_empty(),
        "conformance changed.\nNew failures ({}):\n{}\nNow passing, remove from known-failures.txt ({}): {:?}",
        regressions.len(),
        regressions.join("\n"),
        fixed.len(),
        fixed
    );
}
