//! `kql run` and `kql schema`.

use crate::args::{Format, Inputs, OnErrorArg, RunArgs};
use crate::{EXIT_QUERY_FAILED, EXIT_USAGE};
use kql::{QueryError, Session};
use kql_io::write::{ResultTable, write_csv, write_json, write_ndjson, write_table};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

pub async fn run(a: RunArgs) -> u8 {
    let (origin, query) = match read_query(&a) {
        Ok(q) => q,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    // A query that does not parse is told before the data is loaded (which can take long).
    if let Err(d) = kql_syntax::parse(&query) {
        eprint!("{}", d.render(&query, &origin));
        return EXIT_QUERY_FAILED;
    }
    let session = match loaded_session(&a.inputs, &a.params) {
        Ok(s) => s,
        Err(code) => return code,
    };
    #[cfg(feature = "cluster")]
    let mut session = session;
    #[cfg(feature = "cluster")]
    if let Some(url) = &a.cluster
        && let Err(e) = crate::cluster::connect(&mut session, url).await
    {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let watchdog = a.inputs.timeout.map(watchdog);
    let results = session.run(&query).await;
    drop(watchdog);
    let results = match results {
        Ok(r) => r,
        Err(QueryError::Query(d)) => {
            eprint!("{}", d.render(&query, &origin));
            if d.code == kql_syntax::diagnostic::codes::LIMIT {
                // Work past a limit may still be running on the engine's threads; ending
                // the process now spares waiting for it (nothing has been written).
                std::process::exit(i32::from(EXIT_QUERY_FAILED));
            }
            return EXIT_QUERY_FAILED;
        }
    };
    // A file is written whole or not at all: the result goes to memory first.
    let mut buffer: Vec<u8> = Vec::new();
    let mut out: Box<dyn Write + '_> = match &a.output {
        Some(_) => Box::new(&mut buffer),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let tables = result_tables(&results);
    let written = match a.format {
        Format::Json => write_json(&mut out, &tables),
        Format::Ndjson => tables.iter().try_for_each(|t| write_ndjson(&mut out, t)),
        Format::Csv => tables.iter().try_for_each(|t| write_csv(&mut out, t)),
        Format::Table => tables.iter().try_for_each(|t| {
            write_table(&mut out, t, 60)?;
            writeln!(out, "({} rows)", t.row_count())
        }),
    };
    let written = written.and_then(|_| out.flush());
    drop(out);
    let written = match (&a.output, written) {
        (Some(p), Ok(())) => crate::output::write_atomically(p, |f| f.write_all(&buffer)),
        (_, w) => w,
    };
    match written {
        Ok(()) => 0,
        // A closed pipe (`kql run ... | head -1`) ends quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: writing the result: {e}");
            EXIT_USAGE
        }
    }
}

/// How long past its `--timeout` a query that never yields to the engine's timer may run.
const GRACE: Duration = Duration::from_secs(5);

/// Ends the process when a query overruns its time limit by `GRACE` without the engine's
/// own timeout ending it (a computation that never yields). Dropping the returned sender
/// (the query ended) disarms it.
fn watchdog(limit: Duration) -> mpsc::Sender<()> {
    let (disarm, disarmed) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(limit + GRACE) {
            // The engine's own diagnostic, without the source it cannot reach from here.
            eprintln!(
                "error[{}]: {}",
                kql_syntax::diagnostic::codes::LIMIT,
                kql::timeout_message(limit)
            );
            std::process::exit(i32::from(EXIT_QUERY_FAILED));
        }
    });
    disarm
}

/// The query text and the name diagnostics use for it.
fn read_query(a: &RunArgs) -> Result<(String, String), String> {
    if let Some(q) = &a.query {
        return Ok(("query".into(), q.clone()));
    }
    let Some(file) = &a.file else {
        return Err("give a query file, `-` for stdin, or -e QUERY".into());
    };
    if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        return Ok(("<stdin>".into(), s));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let origin = file.display().to_string();
    let is_yaml = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml");
    if is_yaml {
        return Ok((origin, crate::source::rule_query(file, &text)?));
    }
    Ok((origin, text))
}

/// `session_from`, with the loading notes printed; an error is printed and gives the exit code.
pub fn loaded_session(inputs: &Inputs, params: &[String]) -> Result<Session, u8> {
    match session_from(inputs, params) {
        Ok(mut s) => {
            for w in s.take_warnings() {
                eprintln!("note: {w}");
            }
            Ok(s)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// A session with the `--now`, `--param`, `--schema`, `--data` and `--table` arguments.
pub fn session_from(inputs: &Inputs, params: &[String]) -> Result<Session, String> {
    let mut session = Session::new();
    if let Some(limit) = inputs.timeout {
        session.set_timeout(limit);
    }
    if let Some(bytes) = inputs.memory_limit {
        session.set_memory_limit(bytes);
    }
    session.set_on_error(match inputs.on_error {
        OnErrorArg::Fail => kql_io::OnError::Fail,
        OnErrorArg::Skip => kql_io::OnError::Skip,
    });
    if let Some(now) = &inputs.now {
        let nanos = kql_types::parse_datetime(now).ok_or_else(|| {
            format!("--now: '{now}' is not a datetime (use RFC 3339, e.g. 2024-05-01T12:00:00Z)")
        })?;
        session.set_now(nanos);
    }
    for p in params {
        let Some((name, value)) = p.split_once('=') else {
            return Err(format!("--param {p}: expected NAME=VALUE"));
        };
        session.set_param(name.trim(), value);
    }
    for dir in &inputs.allow_paths {
        session
            .allow_path(dir)
            .map_err(|e| format!("--allow-path {e}"))?;
    }
    for s in &inputs.schema {
        session.load_schema(s).map_err(|e| e.to_string())?;
    }
    for d in &inputs.data {
        session.load_dir(d).map_err(|e| e.to_string())?;
    }
    for t in &inputs.tables {
        let Some((name, path)) = t.split_once('=') else {
            return Err(format!("--table {t}: expected NAME=PATH"));
        };
        session
            .load_files(name, &[PathBuf::from(path)])
            .map_err(|e| e.to_string())?;
    }
    Ok(session)
}

/// The result tables as the writers take them: the first is `PrimaryResult`.
pub fn result_tables(results: &[kql::QueryResult]) -> Vec<ResultTable<'_>> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| ResultTable {
            name: if i == 0 { "PrimaryResult" } else { "Table" },
            columns: &r.columns,
            batches: &r.batches,
        })
        .collect()
}

pub fn print_schema(name: &str) -> u8 {
    match kql_io::builtin_schema(name) {
        Some(s) => {
            for (col, ty) in &s.columns {
                println!("{col}: {ty}");
            }
            0
        }
        None => {
            eprintln!(
                "error: no built-in schema for '{name}'; built-in tables: {}",
                kql_io::builtin_table_names().join(", ")
            );
            EXIT_USAGE
        }
    }
}
