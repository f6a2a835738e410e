//! `kql-bench`: generates the reference hunt's two tables with the seeded generator, then
//! measures, alternating and repeated, in child processes: (a) the hunt through `kql run`,
//! (b) the same logic hand-written in DataFusion SQL over the same loaded tables, (c) a bare
//! load-and-count of both tables. Prints medians, spreads, peak memory and ratios.

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const HUNT: &str = "queries/identify-acting-user-for-reported-phish.kql";
const NOW: &str = "2024-05-08T00:00:00Z";
const SQL: &str = include_str!("hunt.sql");

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    alerts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Where the generated data goes (kept between runs of the same size).
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Internal: run one measurement in this process (`sql` or `scan`).
    #[arg(long, hide = true)]
    child: Option<String>,
}

fn main() {
    let a = Args::parse();
    if let Some(mode) = &a.child {
        child(mode, &a.dir);
        return;
    }
    let data = a.dir.join(format!("{}-{}", a.alerts, a.events));
    if !data.join("CloudAppEvents.jsonl").exists() {
        let cfg = kql_gen::Config {
            alerts: a.alerts,
            events: a.events,
            seed: 42,
            now: 1_715_126_400_000_000_000,
        };
        std::fs::create_dir_all(&data).expect("create the data folder");
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(data.join("AlertEvidence.jsonl")).expect("create"),
        );
        kql_gen::write_alerts(&cfg, &mut f).expect("write alerts");
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(data.join("CloudAppEvents.jsonl")).expect("create"),
        );
        kql_gen::write_events(&cfg, &mut f).expect("write events");
    }
    let bytes: u64 = ["AlertEvidence.jsonl", "CloudAppEvents.jsonl"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let exe = std::env::current_exe().expect("own path");
    let kql = exe.with_file_name("kql");
    let data_s = data.to_string_lossy().to_string();
    let kinds: Vec<(&str, Vec<String>, PathBuf)> = vec![
        (
            "kql run (hunt)",
            vec![
                "run".into(),
                HUNT.into(),
                "--data".into(),
                data_s.clone(),
                "--now".into(),
                NOW.into(),
                "--format".into(),
                "csv".into(),
                "--output".into(),
                "/dev/null".into(),
            ],
            kql,
        ),
        (
            "DataFusion SQL (hunt)",
            vec![
                "--child".into(),
                "sql".into(),
                "--dir".into(),
                data_s.clone(),
            ],
            exe.clone(),
        ),
        (
            "bare load + count",
            vec!["--child".into(), "scan".into(), "--dir".into(), data_s],
            exe,
        ),
    ];
    let mut samples: Vec<Vec<(f64, u64)>> = vec![Vec::new(); kinds.len()];
    for _ in 0..a.reps {
        for (k, (_, args, bin)) in kinds.iter().enumerate() {
            samples[k].push(measure(bin, args));
        }
    }
    println!(
        "data: {} alerts, {} events, {:.0} MB of NDJSON; {} repetitions, alternating",
        a.alerts,
        a.events,
        bytes as f64 / 1e6,
        a.reps
    );
    println!(
        "{:<24} {:>10} {:>10} {:>12} {:>8}",
        "what", "median s", "spread s", "peak MB", "ratio"
    );
    let base = median(&samples[1]);
    for (k, (name, _, _)) in kinds.iter().enumerate() {
        let t = median(&samples[k]);
        let spread = samples[k].iter().map(|s| s.0).fold(f64::MIN, f64::max)
            - samples[k].iter().map(|s| s.0).fold(f64::MAX, f64::min);
        let peak = samples[k].iter().map(|s| s.1).max().unwrap_or(0);
        println!(
            "{name:<24} {t:>10.2} {spread:>10.2} {:>12.0} {:>8.2}",
            peak as f64 / 1024.0,
            t / base
        );
    }
    println!("(ratio: time over the DataFusion SQL run)");
}

fn median(s: &[(f64, u64)]) -> f64 {
    let mut v: Vec<f64> = s.iter().map(|x| x.0).collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs a child to completion: wall seconds and peak resident memory (KiB).
// The child is reaped by `wait4`, which also reports its resource usage.
#[allow(clippy::zombie_processes)]
fn measure(bin: &Path, args: &[String]) -> (f64, u64) {
    let start = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .spawn()
        .expect("spawn a measurement");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, zero-initialised; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for; the pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert!(
        r == pid && status == 0,
        "{} {:?} failed (status {status})",
        bin.display(),
        args
    );
    (secs, usage.ru_maxrss as u64)
}

fn child(mode: &str, dir: &Path) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut s = kql::Session::new();
        s.load_dir(dir).expect("load");
        let rows = match mode {
            "sql" => {
                for t in s.table_names() {
                    if let Some(p) = s.table(&t) {
                        s.context()
                            .register_table(
                                kql::datafusion::common::TableReference::bare(t.clone()),
                                p,
                            )
                            .expect("register");
                    }
                }
                let df = s.context().sql(SQL).await.expect("plan the SQL");
                df.collect()
                    .await
                    .expect("run the SQL")
                    .iter()
                    .map(|b| b.num_rows())
                    .sum::<usize>()
            }
            _ => {
                let r = s.run("AlertEvidence | count").await.expect("count");
                let e = s.run("CloudAppEvents | count").await.expect("count");
                r[0].row_count() + e[0].row_count()
            }
        };
        eprintln!("{mode}: {rows} rows");
    });
}
