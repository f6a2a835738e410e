//! `kql-gen`: writes AlertEvidence.jsonl and CloudAppEvents.jsonl into a folder.

use clap::Parser;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Generate seeded AlertEvidence/CloudAppEvents exports for benchmarks")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    alerts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// End of the time range, in seconds since the epoch (default 2024-05-08T00:00:00Z).
    #[arg(long, default_value_t = 1_715_126_400)]
    now_seconds: i64,
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let cfg = kql_gen::Config {
        alerts: a.alerts,
        events: a.events,
        seed: a.seed,
        now: a.now_seconds * 1_000_000_000,
    };
    let result = std::fs::create_dir_all(&a.out).and_then(|_| {
        let mut f = BufWriter::new(std::fs::File::create(a.out.join("AlertEvidence.jsonl"))?);
        kql_gen::write_alerts(&cfg, &mut f)?;
        let mut f = BufWriter::new(std::fs::File::create(a.out.join("CloudAppEvents.jsonl"))?);
        kql_gen::write_events(&cfg, &mut f)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {e}", a.out.display());
            ExitCode::from(2)
        }
    }
}
