//! How much of the real Sentinel corpus runs: every query that Kusto's own analyser accepts
//! (`semantic_ok`) and that reads no external data is planned and executed against the empty
//! tables of the corpus schemas.
//!
//! The test fails when the share drops below the figure recorded in `docs/coverage.md`, and
//! when `Session::check` (what `kql check` runs) and `Session::run` disagree on a query.
//! `KQL_COVERAGE_UPDATE=1 cargo test -p kql --test corpus_coverage` rewrites that file: the
//! share, the top missing features with counts, and the function table's support matrix.

use kql::Session;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The queries to run: (file, line) → query text, for valid queries without externaldata.
fn valid_queries(corpus: &Path) -> Vec<(String, String)> {
    let mut verdicts: HashMap<(String, u64), bool> = HashMap::new();
    let oracle = std::fs::read_to_string(corpus.join("oracle-check.jsonl")).unwrap();
    for line in oracle.lines() {
        let o: Value = serde_json::from_str(line).unwrap();
        let external = o["operators"].to_string().contains("externaldata");
        let ok = o["semantic_ok"].as_bool() == Some(true) && !external;
        verdicts.insert(
            (
                o["file"].as_str().unwrap_or_default().to_string(),
                o["line"].as_u64().unwrap_or(0),
            ),
            ok,
        );
    }
    let mut out = Vec::new();
    for file in ["sentinel-hunting.jsonl", "sentinel-analytics.jsonl"] {
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if verdicts.get(&(file.to_string(), i as u64 + 1)) == Some(&true) {
                let v: Value = serde_json::from_str(line).unwrap();
                out.push((
                    format!("{file}:{}", i + 1),
                    v["query"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out
}

/// A failure's feature, for grouping: "function x", "operator x", or the message.
fn feature(message: &str) -> String {
    let quoted = |m: &str| m.split('\'').nth(1).unwrap_or_default().to_string();
    if message.starts_with("unknown function") {
        format!("function {}", quoted(message))
    } else if let Some(rest) = message.strip_prefix("not supported yet: ") {
        rest.to_string()
    } else if message.starts_with("unknown column") || message.starts_with("unknown table") {
        "unknown name (schema or binder gap)".to_string()
    } else {
        message
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect()
    }
}

fn recorded_share(doc: &str) -> Option<f64> {
    let line = doc
        .lines()
        .find(|l| l.starts_with("Share of the valid corpus that runs:"))?;
    line.split(':')
        .nth(1)?
        .trim()
        .trim_end_matches('%')
        .parse()
        .ok()
}

#[test]
fn valid_corpus_queries_run() {
    let corpus = root().join("../shared/corpus");
    if !corpus.exists() {
        eprintln!("corpus coverage: skipped, {} is absent", corpus.display());
        return;
    }
    let mut session = Session::new();
    session.load_schema(&corpus.join("schemas")).unwrap();
    session.set_now(1_715_126_400_000_000_000);
    let queries = valid_queries(&corpus);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let mut ok = 0;
    let mut disagreements = Vec::new();
    for (id, q) in &queries {
        let outcome = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(30), session.run(q)).await
        });
        // `kql check` must give the verdict `kql run` gives.
        let checked = session.check(q);
        if checked.is_ok() != matches!(outcome, Ok(Ok(_))) {
            let run = match &outcome {
                Ok(Ok(_)) => "ok".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "timed out".to_string(),
            };
            let check = checked.map_or_else(|d| d.message, |_| "ok".to_string());
            disagreements.push(format!("{id}: check: {check}; run: {run}"));
        }
        match outcome {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => *missing.entry(feature(&e.to_string())).or_default() += 1,
            Err(_) => *missing.entry("timed out".into()).or_default() += 1,
        }
    }
    assert!(
        disagreements.is_empty(),
        "kql check and kql run disagree on {} queries:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    let share = 100.0 * ok as f64 / queries.len() as f64;
    eprintln!(
        "corpus coverage: {ok} of {} valid queries run ({share:.1}%)",
        queries.len()
    );
    let doc_path = root().join("docs/coverage.md");
    if std::env::var("KQL_COVERAGE_UPDATE").is_ok() {
        std::fs::write(&doc_path, render(ok, queries.len(), share, &missing)).unwrap();
        return;
    }
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let recorded = recorded_share(&doc).unwrap_or(0.0);
    // Compared at the precision the document records.
    let rounded: f64 = format!("{share:.1}").parse().unwrap_or(share);
    assert!(
        rounded >= recorded,
        "corpus coverage dropped from {recorded:.1}% to {share:.1}%; missing features: {missing:?}"
    );
}

fn render(ok: usize, total: usize, share: f64, missing: &BTreeMap<String, usize>) -> String {
    let mut out = String::from("# Coverage of real hunting queries\n\n");
    out.push_str(
        "Generated by `KQL_COVERAGE_UPDATE=1 cargo test -p kql --test corpus_coverage`; the test\n",
    );
    out.push_str("fails when the share below drops. The corpus is `../shared/corpus` (2,282 Sentinel hunting\n");
    out.push_str("queries and analytic rules); a query counts when Kusto's analyser accepts it against the\n");
    out.push_str("corpus schemas and it reads no `externaldata`. Each runs against empty tables of those schemas.\n\n");
    out.push_str(&format!(
        "Share of the valid corpus that runs: {share:.1}%\n\n"
    ));
    out.push_str(&format!("({ok} of {total} queries.)\n\n## What the others need\n\n| feature | queries |\n| --- | ---: |\n"));
    let mut rows: Vec<(&String, &usize)> = missing.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (f, n) in rows {
        out.push_str(&format!("| {} | {n} |\n", f.replace('|', "\\|")));
    }
    out.push_str("\n## Functions\n\nThe function table (`kql-functions`), as the binder sees it.\n\n| function | aliases | kind | what it does |\n| --- | --- | --- | --- |\n");
    let mut specs: Vec<_> = kql_functions::table::all().collect();
    specs.sort_by_key(|s| s.name);
    for s in specs {
        let kind = if s.is_aggregate() {
            "aggregate"
        } else {
            "scalar"
        };
        out.push_str(&format!(
            "| `{}` | {} | {kind} | {} |\n",
            s.name,
            s.aliases.join(", "),
            s.doc.replace('|', "\\|")
        ));
    }
    out
}
