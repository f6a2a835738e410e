//! The engine's golden files: `tests/slt/*.slt` in the sqllogictest format, with KQL instead
//! of SQL in `query` records. Two directives, as `statement ok` records, set up a file's
//! session: `.load NAME PATH` (a data file, relative to the workspace root) and `.now T`.
//!
//! `cargo test -p kql --test slt` checks every file; `-- --complete` rewrites each file's
//! expected output from the engine's current results.

use kql::Session;
use kql_io::write::cell_text;
use kql_types::KType;
use sqllogictest::{DBOutput, DefaultColumnType, Runner};
use std::path::{Path, PathBuf};

struct KqlDb {
    session: Session,
    runtime: tokio::runtime::Runtime,
}

#[derive(Debug)]
struct KqlError(String);

impl std::fmt::Display for KqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KqlError {}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl sqllogictest::DB for KqlDb {
    type Error = KqlError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, text: &str) -> Result<DBOutput<DefaultColumnType>, KqlError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix(".load ") {
            let (name, path) = rest
                .split_once(' ')
                .ok_or_else(|| KqlError(".load NAME PATH".into()))?;
            self.session
                .load_files(name, &[root().join(path.trim())])
                .map_err(|e| KqlError(e.to_string()))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        if let Some(t) = text.strip_prefix(".now ") {
            let nanos = kql_types::parse_datetime(t.trim())
                .ok_or_else(|| KqlError(format!("not a datetime: {t}")))?;
            self.session.set_now(nanos);
            return Ok(DBOutput::StatementComplete(0));
        }
        let results = self
            .runtime
            .block_on(self.session.run(text))
            .map_err(|e| KqlError(e.to_string()))?;
        let Some(first) = results.first() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        let types = first
            .columns
            .iter()
            .map(|(_, t)| match t {
                KType::Int | KType::Long => DefaultColumnType::Integer,
                KType::Real | KType::Decimal => DefaultColumnType::FloatingPoint,
                _ => DefaultColumnType::Text,
            })
            .collect();
        let mut rows = Vec::new();
        for b in &first.batches {
            for r in 0..b.num_rows() {
                rows.push(
                    first
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, (_, ty))| {
                            let cell = cell_text(b.column(i), r, *ty).into_owned();
                            // The format separates cells by spaces: show empty ones.
                            if cell.is_empty() {
                                "(empty)".to_string()
                            } else {
                                cell
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

fn new_db() -> Result<KqlDb, KqlError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| KqlError(e.to_string()))?;
    Ok(KqlDb {
        session: Session::new(),
        runtime,
    })
}

fn main() {
    let complete = std::env::args().any(|a| a == "--complete");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    let mut failed = 0;
    for f in &files {
        let mut runner = Runner::new(|| async { new_db() });
        let outcome = if complete {
            futures::executor::block_on(runner.update_test_file(
                f,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::default_column_validator,
            ))
            .map_err(|e| e.to_string())
        } else {
            runner.run_file(f).map_err(|e| e.display(true).to_string())
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match outcome {
            Ok(()) => println!("slt {name} ... ok"),
            Err(e) => {
                failed += 1;
                println!("slt {name} ... FAILED\n{e}");
            }
        }
    }
    println!("slt: {} files, {failed} failed", files.len());
    if failed > 0 {
        std::process::exit(1);
    }
}
