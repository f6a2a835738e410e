//! `kql`: run KQL hunting queries on exported logs.

mod args;
mod check;
#[cfg(feature = "cluster")]
mod cluster;
mod convert;
mod output;
mod repl;
mod run;
mod source;
mod test;

use clap::Parser;
use std::process::ExitCode;

/// Exit codes of the CLI contract.
pub const EXIT_QUERY_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
/// A bug of ours: a panic (its message is printed above).
pub const EXIT_INTERNAL: u8 = 101;

fn main() -> ExitCode {
    // Planning recurses once per level of a query's plan: run on a stack sized for the
    // deepest plan the engine accepts.
    let main = std::thread::Builder::new()
        .stack_size(kql::PLANNING_STACK)
        .spawn(run_cli);
    match main.map(|t| t.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(_)) => ExitCode::from(EXIT_INTERNAL),
        Err(e) => {
            eprintln!("error: cannot start the main thread: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_cli() -> u8 {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(kql::PLANNING_STACK)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    match cli.command {
        None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            repl::repl(args::ReplArgs::default(), &runtime)
        }
        None => {
            eprintln!("error: give a command (kql --help lists them)");
            EXIT_USAGE
        }
        Some(args::Command::Repl(a)) => repl::repl(a, &runtime),
        Some(args::Command::Run(a)) => runtime.block_on(run::run(a)),
        Some(args::Command::Schema { name }) => run::print_schema(&name),
        Some(args::Command::Check(a)) => check::check(a),
        Some(args::Command::Test(a)) => test::test(a),
        Some(args::Command::Convert(a)) => runtime.block_on(convert::convert(a)),
        #[cfg(feature = "cluster")]
        Some(args::Command::Cluster(c)) => runtime.block_on(cluster::node(c)),
    }
}
