//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kql",
    version,
    about = "Run KQL hunting queries offline, on exported logs"
)]
pub struct Cli {
    /// Without a command, in a terminal: the REPL.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a query (a .kql file, a Sentinel .yaml rule, `-` for stdin, or -e TEXT).
    Run(RunArgs),
    /// Parse, bind and plan queries without data (files, folders, or JSONL query lists).
    Check(CheckArgs),
    /// An interactive console: queries, `let`s and `.`-commands (.help lists them).
    Repl(ReplArgs),
    /// Run the regression tests of `*.kqltest.yaml` files (see docs/testing.md).
    Test(TestArgs),
    /// Print the built-in schema of a Defender XDR table.
    Schema { name: String },
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Query file: .kql, .yaml/.yml (its `query` field is run), or `-` for stdin.
    pub file: Option<PathBuf>,
    /// Query text.
    #[arg(short = 'e', long = "execute", conflicts_with = "file")]
    pub query: Option<String>,
    #[command(flatten)]
    pub inputs: Inputs,
    /// A value for a `declare query_parameters` parameter: NAME=VALUE (VALUE as plain text).
    #[arg(long = "param")]
    pub params: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the result to a file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ndjson,
    Csv,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// .kql, .yaml/.yml, .jsonl files, or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Table schemas: a schema file or a folder of them.
    #[arg(long)]
    pub schema: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Test files (`*.kqltest.yaml`) or folders to search for them.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Only the tests whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Rewrite the expected rows and counts from the current results.
    #[arg(long)]
    pub update: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

/// The data a session starts with, and its pinned `now`.
#[derive(clap::Args, Default)]
pub struct Inputs {
    /// A folder of NAME.json/.jsonl/.ndjson/.csv/.parquet files (and NAME/ folders of them).
    #[arg(long)]
    pub data: Vec<PathBuf>,
    /// One table from a file: NAME=PATH.
    #[arg(long = "table")]
    pub tables: Vec<String>,
    /// Table schemas: a schema file or a folder of them.
    #[arg(long)]
    pub schema: Vec<PathBuf>,
    /// Pins now() and ago() (RFC 3339, e.g. 2024-05-01T12:00:00Z).
    #[arg(long)]
    pub now: Option<String>,
}

#[derive(clap::Args, Default)]
pub struct ReplArgs {
    #[command(flatten)]
    pub inputs: Inputs,
}
