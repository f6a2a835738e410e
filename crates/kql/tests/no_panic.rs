//! Bad input never panics: every prefix of the reference hunt, every corpus query (with and
//! without its last characters) and every conformance query goes through parse, bind and
//! plan and ends in Ok or a diagnostic.

use kql::Session;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check_all(session: &Session, queries: impl Iterator<Item = String>) -> usize {
    let mut n = 0;
    for q in queries {
        // A stack overflow aborts without a message: KQL_TRACE=1 names the query.
        if std::env::var("KQL_TRACE").is_ok() {
            eprintln!("QUERY>>> {q}");
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.check(&q)));
        assert!(outcome.is_ok(), "panic on query:\n{q}");
        n += 1;
    }
    n
}

#[test]
fn every_prefix_of_the_hunt_gets_a_diagnostic_or_plans() {
    let hunt =
        std::fs::read_to_string(root().join("queries/identify-acting-user-for-reported-phish.kql"))
            .unwrap();
    let mut s = Session::new();
    s.load_dir(&root().join("testdata/phish")).unwrap();
    let cuts = (0..=hunt.len())
        .filter(|i| hunt.is_char_boundary(*i))
        .map(|i| hunt[..i].to_string());
    assert!(check_all(&s, cuts) > 2000);
}

#[test]
fn corpus_and_conformance_queries_never_panic() {
    let shared = root().join("../shared");
    if !shared.exists() {
        eprintln!("no_panic: skipped, {} is absent", shared.display());
        return;
    }
    let mut s = Session::new();
    s.load_schema(&shared.join("corpus/schemas")).unwrap();
    let mut queries = Vec::new();
    for f in [
        "corpus/sentinel-hunting.jsonl",
        "corpus/sentinel-analytics.jsonl",
        "conformance/kusto-docs.jsonl",
    ] {
        for line in std::fs::read_to_string(shared.join(f)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let q = v["query"].as_str().unwrap_or_default().to_string();
            let cut: String = q.chars().take(q.chars().count() * 2 / 3).collect();
            queries.push(q);
            queries.push(cut);
        }
    }
    assert!(check_all(&s, queries.into_iter()) > 5000);
}
