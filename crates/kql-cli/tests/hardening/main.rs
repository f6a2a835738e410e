//! Hardening, through the real binary: limits, damaged data, reach, and data loss.

#[path = "../common/mod.rs"]
mod common;

mod bad_data;
mod limits;
mod no_data_loss;
mod reach;

use common::{kql_command, root};
use std::path::Path;
use std::process::Output;

/// `kql run -e QUERY --format csv EXTRA...` in `dir`.
fn run_in(dir: &Path, query: &str, extra: &[&str]) -> Output {
    kql_command(dir)
        .args(["run", "-e", query, "--format", "csv"])
        .args(extra)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_reference_hunt_runs_under_limits() {
    let out = kql_command(&root())
        .args([
            "run",
            "queries/identify-acting-user-for-reported-phish.kql",
            "--data",
            "testdata/phish",
            "--now",
            "2024-05-08T00:00:00Z",
            "--timeout",
            "60s",
            "--memory-limit",
            "256M",
            "--on-error",
            "fail",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let rows = String::from_utf8_lossy(&out.stdout).lines().count() - 1;
    assert!(rows > 0, "no rows");
}

/// Damaged versions of the reference hunt (each line deleted, each line doubled, the text
/// cut every 97 characters) through `kql check`: a verdict for each, never a crash.
#[test]
fn damaged_hunts_get_a_verdict_from_the_binary() {
    let hunt =
        std::fs::read_to_string(root().join("queries/identify-acting-user-for-reported-phish.kql"))
            .unwrap();
    let lines: Vec<&str> = hunt.lines().collect();
    let mut damaged = Vec::new();
    for i in 0..lines.len() {
        let mut without = lines.clone();
        without.remove(i);
        damaged.push(without.join("\n"));
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i]);
        damaged.push(doubled.join("\n"));
    }
    let cuts = (0..hunt.len())
        .step_by(97)
        .filter(|i| hunt.is_char_boundary(*i));
    damaged.extend(cuts.map(|i| hunt[..i].to_string()));
    let dir = tempfile::tempdir().unwrap();
    let jsonl: String = damaged
        .iter()
        .enumerate()
        .map(|(i, q)| format!("{}\n", serde_json::json!({"id": i.to_string(), "query": q})))
        .collect();
    std::fs::write(dir.path().join("damaged.jsonl"), jsonl).unwrap();
    // The hunt's tables are built-in Defender tables: `kql check` knows their schemas.
    let out = kql_command(dir.path())
        .args(["check", "damaged.jsonl"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The summary line, `N ok, M failed`, accounts for every damaged query.
    let summary = stdout.lines().last().unwrap_or_default();
    let counted: usize = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    assert_eq!(counted, damaged.len(), "{stdout}");
    // Deleting a blank or comment line leaves a valid hunt: some pass, so binding ran.
    assert!(!summary.starts_with("0 ok"), "{summary}");
}
