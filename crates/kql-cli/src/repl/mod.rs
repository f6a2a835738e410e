//! `kql repl`: an analyst's console. Multi-line input, history, completion, `let`s and
//! `.`-commands that persist, results fitted to the terminal, Ctrl-C to cancel a query.

mod helper;
mod input;

use crate::args::{Format, ReplArgs};
use crate::{EXIT_USAGE, run};
use helper::KqlHelper;
use kql::{QueryError, QueryResult, Session};
use kql_io::write::{ResultTable, write_csv, write_json, write_table};
use kql_types::KType;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The `.`-commands, for `.help` and completion.
pub const COMMANDS: &[&str] = &[
    ".tables", ".schema", ".load", ".now", ".format", ".output", ".timing", ".connect", ".help",
    ".quit",
];

/// Rows shown on screen before the rest is cut.
const MAX_ROWS: usize = 100;

const HELP: &str = "\
Enter a query; it runs when it is complete. A line that ends inside brackets or a string, or
with `|`, continues on the next; an empty line or `;;` runs what is there. `let` statements are
kept for later queries. Ctrl-C cancels a running query, Ctrl-D leaves.
  .tables                 the tables and their column counts
  .schema T               the columns of T with their Kusto types
  .load PATH [as NAME]    a data folder, or one file as table NAME (default: the file name)
  .now T                  pin now() and ago() to datetime T
  .format table|json|csv  how results print
  .output FILE | .output  write results to FILE, or back to the screen
  .timing on|off          show how long each query took
  .connect df://HOST:PORT run the next queries on that Ballista cluster (`kql cluster`)
  .help  .quit";

struct State {
    session: Session,
    /// To wait on what a command starts (a cluster connection).
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    runtime: tokio::runtime::Handle,
    format: Format,
    output: Option<PathBuf>,
    timing: bool,
}

pub fn repl(a: ReplArgs, runtime: &tokio::runtime::Runtime) -> u8 {
    let started = Instant::now();
    let session = match run::session_from(&a.inputs, &[]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if !a.inputs.data.is_empty() {
        eprintln!(
            "loaded {} tables in {:.2} s",
            session.table_names().len(),
            started.elapsed().as_secs_f64()
        );
    }
    let config = Config::builder().auto_add_history(false).build();
    let Ok(mut editor) = Editor::<KqlHelper, DefaultHistory>::with_config(config) else {
        eprintln!("error: cannot start the line editor");
        return EXIT_USAGE;
    };
    editor.set_helper(Some(KqlHelper {
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ..KqlHelper::default()
    }));
    let history = history_file();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    let mut state = State {
        session,
        runtime: runtime.handle().clone(),
        format: Format::Table,
        output: None,
        timing: true,
    };
    println!(
        "kql {}: .help for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        refresh(&mut editor, &state.session);
        match editor.readline("kql> ") {
            Ok(text) => {
                if text.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(text.as_str());
                if let Some(h) = &history {
                    let _ = editor.append_history(h);
                }
                let trimmed = text.trim();
                if trimmed.starts_with('.') {
                    if !command(&mut state, trimmed) {
                        break;
                    }
                } else {
                    run_input(&mut state, input::strip_terminator(&text), runtime);
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    0
}

/// `$KQL_HISTORY`, else `kql/history` in the user's data folder.
fn history_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KQL_HISTORY") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))?;
    let dir = base.join("kql");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

/// Gives completion the current tables, their columns and the `let` names.
fn refresh(editor: &mut Editor<KqlHelper, DefaultHistory>, session: &Session) {
    if let Some(h) = editor.helper_mut() {
        h.tables = session
            .table_names()
            .into_iter()
            .map(|t| {
                let cols = session
                    .table(&t)
                    .map(|p| {
                        p.schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .collect()
                    })
                    .unwrap_or_default();
                (t, cols)
            })
            .collect();
        h.lets = session.defined_names();
    }
}

fn run_input(state: &mut State, text: &str, runtime: &tokio::runtime::Runtime) {
    // Only `let`s (and `declare`/`set`): keep them for later queries.
    if let Ok(script) = kql_syntax::parse(text)
        && !script.statements.is_empty()
        && !script
            .statements
            .iter()
            .any(|s| matches!(s, kql_syntax::ast::Statement::Query(_)))
    {
        match state.session.define(text) {
            Ok(names) => println!("defined {}", names.join(", ")),
            Err(d) => eprint!("{}", d.render(text, "input")),
        }
        return;
    }
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = state.session.run(text) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    match outcome {
        None => eprintln!("cancelled after {elapsed:.2} s"),
        Some(Err(QueryError::Query(d))) => eprint!("{}", d.render(text, "input")),
        Some(Ok(results)) => {
            if let Err(e) = show(state, &results) {
                eprintln!("error: {e}");
            }
            let rows: usize = results.iter().map(QueryResult::row_count).sum();
            if state.timing {
                println!("({rows} rows, {elapsed:.2} s)");
            } else {
                println!("({rows} rows)");
            }
        }
    }
}

fn show(state: &State, results: &[QueryResult]) -> std::io::Result<()> {
    let tables = run::result_tables(results);
    if let Some(path) = &state.output {
        return crate::output::write_atomically(path, |f| match state.format {
            Format::Json => write_json(f, &tables),
            Format::Csv => tables.iter().try_for_each(|t| write_csv(f, t)),
            _ => tables
                .iter()
                .try_for_each(|t| write_table(f, t, usize::MAX)),
        });
    }
    let mut out = std::io::stdout().lock();
    match state.format {
        Format::Json => write_json(&mut out, &tables)?,
        Format::Csv => tables.iter().try_for_each(|t| write_csv(&mut out, t))?,
        _ => {
            for r in results {
                fitted(&mut out, r)?;
            }
        }
    }
    out.flush()
}

/// A result as a table that fits the terminal: long cells cut, at most `MAX_ROWS` rows.
fn fitted(out: &mut dyn Write, r: &QueryResult) -> std::io::Result<()> {
    let width = terminal_size::terminal_size().map_or(120, |(w, _)| usize::from(w.0));
    let columns = r.columns.len().max(1);
    let max_cell = (width / columns).saturating_sub(3).max(8);
    let mut shown = Vec::new();
    let mut left = MAX_ROWS;
    for b in &r.batches {
        if left == 0 {
            break;
        }
        let n = b.num_rows().min(left);
        shown.push(b.slice(0, n));
        left -= n;
    }
    write_table(
        out,
        &ResultTable {
            name: "PrimaryResult",
            columns: &r.columns,
            batches: &shown,
        },
        max_cell,
    )?;
    let total = r.row_count();
    if total > MAX_ROWS {
        writeln!(
            out,
            "… {} more rows not shown (use .output FILE for all)",
            total - MAX_ROWS
        )?;
    }
    Ok(())
}

#[cfg(feature = "cluster")]
fn connect(state: &mut State, url: &str) {
    let handle = state.runtime.clone();
    match handle.block_on(crate::cluster::connect(&mut state.session, url)) {
        Ok(()) => println!("queries now run on the cluster at {url}"),
        Err(e) => eprintln!("error: {e}"),
    }
}

#[cfg(not(feature = "cluster"))]
fn connect(_state: &mut State, _url: &str) {
    eprintln!("error: this kql was built without cluster support (the `cluster` feature)");
}

/// Runs a `.`-command; false to leave.
fn command(state: &mut State, text: &str) -> bool {
    let mut words = text.split_whitespace();
    let name = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    match (name, args.as_slice()) {
        (".quit" | ".exit", _) => return false,
        (".help", _) => println!("{HELP}"),
        (".tables", _) => {
            for t in state.session.table_names() {
                let n = state
                    .session
                    .table(&t)
                    .map_or(0, |p| p.schema().fields().len());
                println!("{t} ({n} columns)");
            }
        }
        (".schema", [t]) => match state.session.table(t) {
            Some(p) => {
                for f in p.schema().fields() {
                    println!("{}: {}", f.name(), KType::of_field(f));
                }
            }
            None => eprintln!("error: no table '{t}'"),
        },
        (".load", [path]) | (".load", [path, "as", _]) => {
            let p = Path::new(path);
            let loaded = if p.is_dir() {
                state.session.load_dir(p).map(|names| names.join(", "))
            } else {
                let name = match args.as_slice() {
                    [_, _, n] => n.to_string(),
                    _ => p
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default(),
                };
                state
                    .session
                    .load_files(&name, &[p.to_path_buf()])
                    .map(|_| name)
            };
            match loaded {
                Ok(names) => println!("loaded {names}"),
                Err(e) => eprintln!("error: {e}"),
            }
        }
        (".now", [t]) => match kql_types::parse_datetime(t) {
            Some(n) => {
                state.session.set_now(n);
                println!("now() is {}", kql_types::format_datetime(n));
            }
            None => eprintln!("error: '{t}' is not a datetime"),
        },
        (".format", [f]) => match *f {
            "table" => state.format = Format::Table,
            "json" => state.format = Format::Json,
            "csv" => state.format = Format::Csv,
            other => eprintln!("error: .format table|json|csv, not '{other}'"),
        },
        (".output", []) => state.output = None,
        (".output", [file]) => state.output = Some(PathBuf::from(file)),
        (".timing", ["on"]) => state.timing = true,
        (".timing", ["off"]) => state.timing = false,
        (".connect", [url]) => connect(state, url),
        _ => eprintln!("error: unknown command '{text}' (.help lists them)"),
    }
    true
}
