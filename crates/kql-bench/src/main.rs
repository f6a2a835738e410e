//! `kql-bench`: generates the reference hunt's two tables with the seeded generator, then
//! measures, alternating and repeated, each in its own process: (a) the hunt through
//! `kql run`; (b) the same logic hand-written in DataFusion SQL over the same tables; (c) a
//! bare scan (`T | count` of both tables); (d) DuckDB running an equivalent SQL over the
//! same files (from a local virtualenv, made on first use; skipped when that fails); (e) the
//! hunt through `kql run` over Parquet copies (`kql convert`). Prints medians, spreads, peak
//! memory and the ratios the performance goals are stated in.

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const HUNT: &str = "queries/identify-acting-user-for-reported-phish.kql";
const NOW: &str = "2024-05-08T00:00:00Z";
const SQL: &str = include_str!("hunt.sql");
const DUCKDB_SQL: &str = include_str!("hunt.duckdb.sql");
const DUCKDB_RUNNER: &str = include_str!("duckdb_hunt.py");

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
    /// The virtualenv that holds DuckDB (made with `python3 -m venv` and pip when missing).
    #[arg(long, default_value = "target/bench-venv")]
    venv: PathBuf,
    /// Internal: run one measurement in this process (`sql` or `scan`).
    #[arg(long, hide = true)]
    child: Option<String>,
}

/// One measurement: its name, and the program and arguments that perform it.
struct Kind {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

fn main() {
    let a = Args::parse();
    if let Some(mode) = &a.child {
        child(mode, &a.dir);
        return;
    }
    let data = a.dir.join(format!("{}-{}", a.alerts, a.events));
    generate(&a, &data);
    let bytes: u64 = ["AlertEvidence.jsonl", "CloudAppEvents.jsonl"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let exe = std::env::current_exe().expect("own path");
    let kql = exe.with_file_name("kql");
    // Beside the NDJSON folder: a folder inside it would be read as a table.
    let parquet = a.dir.join(format!("{}-{}-parquet", a.alerts, a.events));
    if !parquet.join("CloudAppEvents.parquet").exists() {
        let status = Command::new(&kql)
            .args(["convert", "--data"])
            .arg(&data)
            .arg("--to")
            .arg(&parquet)
            .status()
            .expect("run kql convert");
        assert!(status.success(), "kql convert failed");
    }
    let hunt = |dir: &Path| -> Vec<String> {
        let dir = dir.to_string_lossy().to_string();
        [
            "run",
            HUNT,
            "--data",
            &dir,
            "--now",
            NOW,
            "--format",
            "csv",
            "--output",
            "/dev/null",
        ]
        .map(String::from)
        .to_vec()
    };
    let child_args = |mode: &str| -> Vec<String> {
        let dir = data.to_string_lossy().to_string();
        ["--child", mode, "--dir", &dir].map(String::from).to_vec()
    };
    let mut kinds = vec![
        Kind {
            name: "kql run (hunt)",
            program: kql.clone(),
            args: hunt(&data),
        },
        Kind {
            name: "DataFusion SQL (hunt)",
            program: exe.clone(),
            args: child_args("sql"),
        },
        Kind {
            name: "bare scan (count)",
            program: exe.clone(),
            args: child_args("scan"),
        },
        Kind {
            name: "kql run over Parquet",
            program: kql.clone(),
            args: hunt(&parquet),
        },
    ];
    match duckdb(&a.venv, &a.dir) {
        Ok((python, runner, sql)) => kinds.push(Kind {
            name: "DuckDB SQL (hunt)",
            program: python,
            args: vec![runner, data.to_string_lossy().to_string(), sql],
        }),
        Err(why) => eprintln!("DuckDB skipped: {why}"),
    }
    let mut samples: Vec<Vec<(f64, u64)>> = vec![Vec::new(); kinds.len()];
    for _ in 0..a.reps {
        for (k, kind) in kinds.iter().enumerate() {
            samples[k].push(measure(&kind.program, &kind.args));
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
        "{:<24} {:>10} {:>10} {:>10} {:>12}",
        "what", "median s", "spread s", "peak MB", "us/event"
    );
    let mut medians = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let t = median(&samples[k]);
        let spread = samples[k].iter().map(|s| s.0).fold(f64::MIN, f64::max)
            - samples[k].iter().map(|s| s.0).fold(f64::MAX, f64::min);
        let peak = samples[k].iter().map(|s| s.1).max().unwrap_or(0) as f64 / 1024.0;
        println!(
            "{:<24} {t:>10.2} {spread:>10.2} {peak:>10.0} {:>12.2}",
            kind.name,
            t * 1e6 / a.events.max(1) as f64
        );
        medians.push((t, peak));
    }
    let (hunt_t, hunt_mb) = medians[0];
    println!("ratios (kql run over NDJSON against each):");
    println!("  / DataFusion SQL      {:.2}", hunt_t / medians[1].0);
    println!("  / bare scan           {:.2}", hunt_t / medians[2].0);
    println!("  NDJSON / Parquet      {:.2}", hunt_t / medians[3].0);
    if let Some((duck_t, duck_mb)) = medians.get(4) {
        println!("  / DuckDB              {:.2}", hunt_t / duck_t);
        println!("  peak MB / DuckDB's    {:.2}", hunt_mb / duck_mb);
    }
}

fn generate(a: &Args, data: &Path) {
    if data.join("CloudAppEvents.jsonl").exists() {
        return;
    }
    let cfg = kql_gen::Config {
        alerts: a.alerts,
        events: a.events,
        seed: 42,
        now: 1_715_126_400_000_000_000,
    };
    std::fs::create_dir_all(data).expect("create the data folder");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(data.join("AlertEvidence.jsonl")).expect("create"),
    );
    kql_gen::write_alerts(&cfg, &mut f).expect("write alerts");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(data.join("CloudAppEvents.jsonl")).expect("create"),
    );
    kql_gen::write_events(&cfg, &mut f).expect("write events");
}

/// The virtualenv's python with DuckDB (installed on first use), and the runner script and
/// SQL written beside the data.
fn duckdb(venv: &Path, dir: &Path) -> Result<(PathBuf, String, String), String> {
    let python = venv.join("bin").join("python");
    let has_duckdb = |p: &Path| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_duckdb(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !made.success() {
            return Err("python3 -m venv failed".into());
        }
        let pip = venv.join("bin").join("pip");
        let installed = Command::new(pip)
            .args(["install", "--quiet", "duckdb"])
            .status()
            .map_err(|e| format!("pip: {e}"))?;
        if !installed.success() || !has_duckdb(&python) {
            return Err("pip install duckdb failed".into());
        }
    }
    let runner = dir.join("duckdb_hunt.py");
    let sql = dir.join("hunt.duckdb.sql");
    std::fs::write(&runner, DUCKDB_RUNNER).map_err(|e| e.to_string())?;
    std::fs::write(&sql, DUCKDB_SQL).map_err(|e| e.to_string())?;
    Ok((
        python,
        runner.to_string_lossy().to_string(),
        sql.to_string_lossy().to_string(),
    ))
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
