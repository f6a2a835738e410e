//! `kql repl` driven through a pseudo-terminal, as an analyst uses it: multi-line input,
//! completion, a `.`-command, an error with its caret, Ctrl-C during a long query.

mod common;

use common::{kql_command, root};
use rexpect::session::{PtySession, spawn_command};

fn start(history: &std::path::Path) -> PtySession {
    let mut cmd = kql_command(&root());
    cmd.args([
        "repl",
        "--data",
        "testdata/phish",
        "--now",
        "2024-05-08T00:00:00Z",
    ])
    .env("KQL_HISTORY", history)
    .env("NO_COLOR", "1")
    .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).expect("the repl starts");
    p.exp_string("kql> ").expect("a prompt");
    p
}

#[test]
fn a_session_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let mut p = start(&history);

    // A `.`-command.
    p.send_line(".tables").unwrap();
    p.exp_string("CloudAppEvents (35 columns)").unwrap();
    p.exp_string("kql> ").unwrap();

    // A query over two lines: the trailing `|` continues it.
    p.send_line("AlertEvidence |").unwrap();
    p.send_line("summarize n = count() by EntityType | order by EntityType asc")
        .unwrap();
    p.exp_string("MailMessage").unwrap();
    p.exp_string("(2 rows").unwrap();
    p.exp_string("kql> ").unwrap();

    // Tab completes a table name.
    p.send("CloudAppEv").unwrap();
    p.send("\t").unwrap();
    p.send_line(" | count").unwrap();
    // The line now reads `CloudAppEvents | count` (the echo is interleaved with cursor moves).
    p.exp_string("kql> CloudAppEvents").unwrap();
    p.exp_string("Count").unwrap();
    p.exp_string("9").unwrap();
    p.exp_string("(1 rows").unwrap();
    p.exp_string("kql> ").unwrap();

    // A `let` is kept for the next query.
    p.send_line("let threshold = 7;").unwrap();
    p.exp_string("defined threshold").unwrap();
    p.send_line("print threshold * 6").unwrap();
    p.exp_string("42").unwrap();
    p.exp_string("kql> ").unwrap();

    // An error shows the line and a caret.
    p.send_line("AlertEvidence | where Foo == 1").unwrap();
    p.exp_string("unknown column, variable or table 'Foo'")
        .unwrap();
    p.exp_string("^^^").unwrap();
    p.exp_string("kql> ").unwrap();

    // Ctrl-C cancels a long query and keeps the session.
    p.send_line(
        "let r = range x from 1 to 30000 step 1 | extend k = 1; r | join kind=inner (r) on k | count",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    p.send_control('c').unwrap();
    p.exp_string("cancelled after").unwrap();
    p.exp_string("kql> ").unwrap();
    p.send_line("print done = 1").unwrap();
    p.exp_string("(1 rows").unwrap();

    // Ctrl-D leaves; the history file has the queries.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("print threshold * 6"), "{saved}");
}
