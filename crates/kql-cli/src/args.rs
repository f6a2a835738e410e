//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Write the loaded tables as typed Parquet files (NAME.parquet) for faster replays.
    Convert(ConvertArgs),
    /// Run a node of a Ballista cluster that runs KQL (`kql run --cluster`).
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[cfg(feature = "cluster")]
#[derive(clap::Subcommand)]
pub enum ClusterCommand {
    /// The scheduler: clients send it plans, it splits them into stages for the executors.
    Scheduler {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
    },
    /// An executor: runs the tasks the scheduler hands out (reading the tables' files at
    /// the paths the client named) and serves their results.
    Executor {
        /// The scheduler: HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// The address it listens on, and that others reach it at.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port results are fetched from.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// The port of its task service.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// How many tasks it runs at once (default: one per core).
        #[arg(long, default_value_t = 0)]
        concurrent_tasks: usize,
        /// Where it keeps the results it serves (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// The folder to write NAME.parquet files into (made if missing).
    #[arg(long)]
    pub to: PathBuf,
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
    /// Run on the Ballista cluster whose scheduler is at df://HOST:PORT (`kql cluster`);
    /// every executor must read the data files at the paths given here.
    #[cfg(feature = "cluster")]
    #[arg(long, conflicts_with = "memory_limit")]
    pub cluster: Option<String>,
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
    /// A folder whose files `externaldata` may read (repeatable); it reads no other file,
    /// and nothing from the network.
    #[arg(long = "allow-path")]
    pub allow_paths: Vec<PathBuf>,
    /// What to do with a malformed line of a data file: stop with its file:line:column
    /// (fail), or skip it and report how many were skipped (skip).
    #[arg(long, value_enum, default_value_t = OnErrorArg::Fail)]
    pub on_error: OnErrorArg,
    /// Ends a query that runs longer than this (e.g. 30s, 500ms, 5m, 1h; a bare number is seconds).
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Bounds the memory of sorts, aggregations and joins (e.g. 512M, 2G; K/M/G are powers of
    /// 1024); they spill to temporary files, and a query that still needs more ends with an error.
    #[arg(long, value_parser = parse_size)]
    pub memory_limit: Option<usize>,
}

#[derive(Clone, Copy, Default, ValueEnum)]
pub enum OnErrorArg {
    #[default]
    Fail,
    Skip,
}

/// `30s`, `500ms`, `5m`, `1h`, or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 30s, 500ms, 5m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("'{other}' is not a unit of time (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{text}' is not a positive duration"))
}

/// `512M`, `2G`, `64KiB`, or a number of bytes; K, M and G are powers of 1024.
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: usize = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 512M, 2G)"))?;
    let scale: usize = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => return Err(format!("'{other}' is not a unit of size (K, M, G)")),
    };
    n.checked_mul(scale)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("'{text}' is not a positive size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0").is_err() && parse_duration("5 years").is_err());
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err() && parse_size("0").is_err());
    }
}

#[derive(clap::Args, Default)]
pub struct ReplArgs {
    #[command(flatten)]
    pub inputs: Inputs,
}
