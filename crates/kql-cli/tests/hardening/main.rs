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
