//! No data loss, through the real binary: `--output` is written whole or not at all, and a
//! closed pipe ends the run quietly.

use crate::common::kql_command;
use std::io::Read;
use std::process::Stdio;

#[test]
fn a_failed_run_leaves_the_output_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("result.csv");
    std::fs::write(&out_file, "the previous result\n").unwrap();
    for bad in [
        // A query error, a runtime error, a time limit.
        vec!["-e", "print x = nosuchcolumn"],
        vec!["-e", "print toint('x') | where 1/0 == 1"],
        vec![
            "-e",
            "let t = range x from 1 to 100000 step 1 | extend k = 1; t | join kind=inner (t) on k | count",
            "--timeout",
            "1s",
        ],
    ] {
        let out = kql_command(dir.path())
            .arg("run")
            .args(&bad)
            .args(["--format", "csv", "--output", "result.csv"])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{bad:?}");
        assert_eq!(
            std::fs::read_to_string(&out_file).unwrap(),
            "the previous result\n",
            "{bad:?}"
        );
    }
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
    // A successful run replaces it.
    let out = kql_command(dir.path())
        .args([
            "run",
            "-e",
            "print x = 1",
            "--format",
            "csv",
            "--output",
            "result.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "x\n1\n");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = kql_command(dir.path())
        .args([
            "run",
            "-e",
            "range x from 1 to 2000000 step 1",
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line, then close the pipe, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(&first, b"x\n");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "stderr: {err}");
}
