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

/// A session typed by the corpus schemas, and the queries of `files` in `../shared`; None
/// (with a message) when that folder is absent.
fn shared_queries(files: &[&str]) -> Option<(Session, Vec<String>)> {
    let shared = root().join("../shared");
    if !shared.exists() {
        eprintln!("no_panic: skipped, {} is absent", shared.display());
        return None;
    }
    let mut s = Session::new();
    s.load_schema(&shared.join("corpus/schemas")).unwrap();
    let mut queries = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(shared.join(f)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            queries.push(v["query"].as_str().unwrap_or_default().to_string());
        }
    }
    Some((s, queries))
}

const CORPUS: [&str; 2] = [
    "corpus/sentinel-hunting.jsonl",
    "corpus/sentinel-analytics.jsonl",
];

#[test]
fn corpus_and_conformance_queries_never_panic() {
    let files = [CORPUS[0], CORPUS[1], "conformance/kusto-docs.jsonl"];
    let Some((s, queries)) = shared_queries(&files) else {
        return;
    };
    let with_cuts = queries.into_iter().flat_map(|q| {
        let cut: String = q.chars().take(q.chars().count() * 2 / 3).collect();
        [q, cut]
    });
    assert!(check_all(&s, with_cuts) > 5000);
}

/// A small seeded generator (xorshift64*): the same mutants on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// One mutant of `q`: a token deleted, duplicated or swapped with another, or the text cut
/// at a random character.
fn mutate(q: &str, rng: &mut Rng) -> String {
    let spans: Vec<(usize, usize)> = kql_syntax::lexer::tokenize(q)
        .map(|t| t.iter().map(|t| (t.span.start, t.span.end)).collect())
        .unwrap_or_default();
    let spans: Vec<_> = spans.into_iter().filter(|(s, e)| e > s).collect();
    let pick = rng.below(4);
    if spans.len() < 2 || pick == 3 {
        let cuts: Vec<usize> = (0..=q.len()).filter(|i| q.is_char_boundary(*i)).collect();
        return q[..cuts[rng.below(cuts.len())]].to_string();
    }
    let (s, e) = spans[rng.below(spans.len())];
    match pick {
        0 => format!("{}{}", &q[..s], &q[e..]),
        1 => format!("{}{}{}", &q[..e], &q[s..e], &q[e..]),
        _ => {
            let (s2, e2) = spans[rng.below(spans.len())];
            let ((a, b), (c, d)) = if s2 < s {
                ((s2, e2), (s, e))
            } else {
                ((s, e), (s2, e2))
            };
            if c < b {
                return q.to_string();
            }
            format!("{}{}{}{}{}", &q[..a], &q[c..d], &q[b..c], &q[a..b], &q[d..])
        }
    }
}

#[test]
fn mutated_corpus_queries_never_panic() {
    let Some((s, queries)) = shared_queries(&CORPUS) else {
        return;
    };
    // A fixed sample of queries, a few mutants each, stacked (a mutant of a mutant).
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut mutants = Vec::new();
    for _ in 0..400 {
        let mut q = queries[rng.below(queries.len())].clone();
        for _ in 0..3 {
            q = mutate(&q, &mut rng);
            mutants.push(q.clone());
        }
    }
    assert_eq!(check_all(&s, mutants.into_iter()), 1200);
}
