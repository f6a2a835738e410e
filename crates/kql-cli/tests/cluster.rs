//! The cluster end to end: a scheduler and two executors started from the real binary on
//! loopback ports, the reference hunt through `kql run --cluster`, and a sample of corpus
//! queries over generated rows, each of which must give exactly the rows of local execution.
#![cfg(feature = "cluster")]

mod common;

use common::{kql_command, root};
use kql::Session;
use kql_io::write::{ResultTable, write_ndjson};
use kql_syntax::token::TokenKind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A node process, stopped when dropped (also when a test fails).
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

fn wait_for(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler and two executors; dropped, it stops them.
struct Cluster {
    url: String,
    _nodes: Vec<Node>,
}

fn start_cluster(dir: &Path) -> Cluster {
    let quiet = |c: &mut std::process::Command| {
        c.stdout(Stdio::null()).stderr(Stdio::null());
    };
    let port = free_port();
    let mut scheduler = kql_command(dir);
    scheduler.args([
        "cluster",
        "scheduler",
        "--bind",
        &format!("127.0.0.1:{port}"),
    ]);
    quiet(&mut scheduler);
    let mut nodes = vec![Node(scheduler.spawn().expect("the scheduler starts"))];
    wait_for(port, "the scheduler");
    for i in 0..2 {
        let (flight, grpc) = (free_port(), free_port());
        let work = dir.join(format!("executor{i}"));
        std::fs::create_dir_all(&work).expect("an executor folder");
        // Elsewhere than the client: the plan must name files by absolute path.
        let mut executor = kql_command(&work);
        executor.args(["cluster", "executor", "--scheduler"]);
        executor.arg(format!("127.0.0.1:{port}"));
        executor.args([
            "--port",
            &flight.to_string(),
            "--grpc-port",
            &grpc.to_string(),
        ]);
        executor
            .args(["--concurrent-tasks", "2", "--work-dir"])
            .arg(&work);
        quiet(&mut executor);
        nodes.push(Node(executor.spawn().expect("an executor starts")));
        wait_for(flight, "an executor");
    }
    Cluster {
        url: format!("df://127.0.0.1:{port}"),
        _nodes: nodes,
    }
}

/// Runs `kql run` with `args`, locally and on the cluster: (local, cluster) NDJSON lines,
/// sorted, and the two wall times.
fn run_both(dir: &Path, cluster: &Cluster, args: &[&str]) -> (Vec<String>, Vec<String>, [f64; 2]) {
    let mut outputs = Vec::new();
    let mut times = [0.0; 2];
    for (i, remote) in [false, true].into_iter().enumerate() {
        let mut c = kql_command(dir);
        c.arg("run").args(args).args(["--format", "ndjson"]);
        if remote {
            c.args(["--cluster", &cluster.url]);
        }
        let start = Instant::now();
        let out = c.output().expect("kql run starts");
        times[i] = start.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "kql run {args:?} (cluster: {remote}) failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        outputs.push(lines);
    }
    let cluster_rows = outputs.pop().unwrap_or_default();
    let local_rows = outputs.pop().unwrap_or_default();
    (local_rows, cluster_rows, times)
}

#[test]
fn the_reference_hunt_gives_the_same_rows_on_a_cluster() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let cluster = start_cluster(tmp.path());
    let hunt = root().join("queries/identify-acting-user-for-reported-phish.kql");
    let hunt = hunt.to_string_lossy().into_owned();
    let phish = root().join("testdata/phish").to_string_lossy().into_owned();
    let now = "2024-05-08T00:00:00Z";
    let (local, remote, _) = run_both(
        tmp.path(),
        &cluster,
        &[&hunt, "--data", &phish, "--now", now],
    );
    assert_eq!(local.len(), 5);
    repl_connects(tmp.path(), &cluster, &phish);
    assert!(
        local == remote,
        "local rows:\n{}\ncluster rows:\n{}",
        local.join("\n"),
        remote.join("\n")
    );

    // Generated exports: several files' worth of ranges, the join and mv-expand at volume.
    let data = tmp.path().join("generated");
    std::fs::create_dir_all(&data).expect("a data folder");
    let cfg = kql_gen::Config {
        alerts: 2_000,
        events: 20_000,
        seed: 9,
        now: 1_715_126_400_000_000_000,
    };
    let mut alerts = Vec::new();
    kql_gen::write_alerts(&cfg, &mut alerts).expect("alerts");
    std::fs::write(data.join("AlertEvidence.jsonl"), alerts).expect("alerts written");
    let mut events = Vec::new();
    kql_gen::write_events(&cfg, &mut events).expect("events");
    std::fs::write(data.join("CloudAppEvents.jsonl"), events).expect("events written");
    let data = data.to_string_lossy().into_owned();
    let (local, remote, [t_local, t_cluster]) = run_both(
        tmp.path(),
        &cluster,
        &[&hunt, "--data", &data, "--now", now],
    );
    assert!(local.len() > 100, "the hunt finds {} rows", local.len());
    assert!(
        local == remote,
        "{} rows locally, {} on the cluster",
        local.len(),
        remote.len()
    );
    eprintln!(
        "hunt over 2,000 alerts / 20,000 events: {} rows; local {t_local:.2} s, cluster {t_cluster:.2} s",
        local.len()
    );
}

/// The REPL's `.connect` sends the next queries to the cluster.
fn repl_connects(dir: &Path, cluster: &Cluster, data: &str) {
    use std::io::Write;
    let mut repl = kql_command(dir)
        .args(["repl", "--data", data])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kql repl starts");
    let input = format!(
        ".connect {}\nAlertEvidence | summarize n = count() by EntityType | order by n\n",
        cluster.url
    );
    repl.stdin
        .take()
        .expect("its stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    let out = repl.wait_with_output().expect("kql repl ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "queries now run on the cluster at {}",
            cluster.url
        )),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("MailMessage | 8"), "{stdout}");
    assert!(stdout.contains("(2 rows"), "{stdout}");
}

/// Corpus queries Kusto's analyser accepts that read no external data, in corpus order.
fn corpus_queries(corpus: &Path) -> Vec<(String, String)> {
    let mut ok: BTreeSet<(String, u64)> = BTreeSet::new();
    let oracle = std::fs::read_to_string(corpus.join("oracle-check.jsonl")).expect("oracle");
    for line in oracle.lines() {
        let o: Value = serde_json::from_str(line).expect("an oracle line");
        if o["semantic_ok"].as_bool() == Some(true)
            && !o["operators"].to_string().contains("externaldata")
        {
            let file = o["file"].as_str().unwrap_or_default().to_string();
            ok.insert((file, o["line"].as_u64().unwrap_or(0)));
        }
    }
    let mut out = Vec::new();
    for file in ["sentinel-hunting.jsonl", "sentinel-analytics.jsonl"] {
        let text = std::fs::read_to_string(corpus.join(file)).expect("a corpus file");
        for (i, line) in text.lines().enumerate() {
            if ok.contains(&(file.to_string(), i as u64 + 1)) {
                let v: Value = serde_json::from_str(line).expect("a corpus line");
                let query = v["query"].as_str().unwrap_or_default().to_string();
                out.push((format!("{file}:{}", i + 1), query));
            }
        }
    }
    out
}

/// What a query reads: the tables it names, and its string and integer literals.
#[derive(Default)]
struct Reads {
    tables: BTreeSet<String>,
    words: BTreeSet<String>,
    numbers: BTreeSet<i64>,
}

fn reads(query: &str, tables: &BTreeMap<String, Vec<(String, String)>>) -> Reads {
    let mut r = Reads::default();
    for t in kql_syntax::lexer::tokenize(query).unwrap_or_default() {
        match t.kind {
            TokenKind::Ident { name, .. } if tables.contains_key(&name) => {
                r.tables.insert(name);
            }
            TokenKind::String(s) if !s.is_empty() && s.len() <= 60 => {
                r.words.insert(s);
            }
            TokenKind::Long(n) => {
                r.numbers.insert(n);
            }
            _ => {}
        }
    }
    r
}

/// A row with the elements of its array cells sorted: the order `make_set` and
/// `make_list` give is undefined in Kusto, and here it follows the partitioning.
fn canonical(line: &str) -> String {
    fn sort_arrays(v: &mut Value) {
        match v {
            Value::Array(items) => {
                items.iter_mut().for_each(sort_arrays);
                items.sort_by_key(|item| item.to_string());
            }
            Value::Object(members) => members.values_mut().for_each(sort_arrays),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(line) {
        Ok(mut v) => {
            sort_arrays(&mut v);
            v.to_string()
        }
        Err(_) => line.to_string(),
    }
}

/// The result rows as sorted NDJSON lines (array cells in a canonical order).
fn rows(results: &[kql::QueryResult]) -> Vec<String> {
    let mut buf = Vec::new();
    for r in results {
        let table = ResultTable {
            name: "PrimaryResult",
            columns: &r.columns,
            batches: &r.batches,
        };
        write_ndjson(&mut buf, &table).expect("rows render");
    }
    let mut lines: Vec<String> = String::from_utf8_lossy(&buf)
        .lines()
        .map(canonical)
        .collect();
    lines.sort();
    lines
}

const NOW: i64 = 1_715_126_400_000_000_000;
/// Queries run locally to find the sample, and the sample's size.
const CANDIDATES: usize = 600;
const SAMPLE: usize = 60;

#[test]
fn corpus_queries_give_the_same_rows_on_a_cluster() {
    let corpus = root().join("../shared/corpus");
    let schema_dir = corpus.join("schemas");
    let tables: BTreeMap<String, Vec<(String, String)>> = kql_io::load_schemas(&schema_dir)
        .expect("the corpus schemas")
        .into_iter()
        .map(|s| {
            let columns = s
                .columns
                .iter()
                .map(|(n, t)| (n.clone(), t.name().to_string()))
                .collect();
            (s.name, columns)
        })
        .collect();
    // The first queries that read at least one table, and what each table's rows draw on.
    let mut candidates = Vec::new();
    let mut words: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut numbers: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (at, query) in corpus_queries(&corpus) {
        // A query that draws random numbers or ids gives other rows at every run.
        if ["rand(", "new_guid("].iter().any(|f| query.contains(f)) {
            continue;
        }
        let r = reads(&query, &tables);
        if r.tables.is_empty() {
            continue;
        }
        for t in &r.tables {
            words.entry(t.clone()).or_default().extend(r.words.clone());
            numbers
                .entry(t.clone())
                .or_default()
                .extend(r.numbers.clone());
        }
        candidates.push((at, query));
        if candidates.len() == CANDIDATES {
            break;
        }
    }
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("a data folder");
    for (seed, (table, table_words)) in words.iter().enumerate() {
        let table_words: Vec<String> = table_words.iter().cloned().collect();
        let table_numbers: Vec<i64> = numbers[table].iter().copied().collect();
        let spec = kql_gen::TableRows {
            columns: &tables[table],
            rows: 200,
            seed: seed as u64,
            now: NOW,
            words: &table_words,
            numbers: &table_numbers,
        };
        let mut out = Vec::new();
        kql_gen::write_rows(&spec, &mut out).expect("rows");
        std::fs::write(data.join(format!("{table}.jsonl")), out).expect("rows written");
    }
    let session = |remote: Option<&str>| {
        let mut s = Session::new();
        s.set_now(NOW);
        s.load_schema(&schema_dir).expect("schemas load");
        s.load_dir(&data).expect("data loads");
        s.set_timeout(Duration::from_secs(120));
        if let Some(url) = remote {
            let ctx = runtime()
                .block_on(kql_cluster::connect(url))
                .expect("connects");
            s.use_cluster(ctx);
        }
        s
    };
    let local = session(None);
    // The sample: queries that run locally and return rows.
    let mut sample = Vec::new();
    for (at, query) in &candidates {
        if let Ok(results) = runtime().block_on(local.run(query)) {
            let expected = rows(&results);
            if !expected.is_empty() {
                sample.push((at, query, expected));
            }
        }
        if sample.len() == SAMPLE {
            break;
        }
    }
    assert!(
        sample.len() >= 50,
        "only {} corpus queries ran",
        sample.len()
    );

    let cluster = start_cluster(tmp.path());
    let remote = session(Some(&cluster.url));
    let mut failures = Vec::new();
    let (mut same, mut row_count) = (0, 0);
    let start = Instant::now();
    for (at, query, expected) in &sample {
        match runtime().block_on(remote.run(query)) {
            Ok(results) if rows(&results) == *expected => {
                same += 1;
                row_count += expected.len();
            }
            Ok(results) => failures.push(format!(
                "{at}: {} rows locally, {} on the cluster",
                expected.len(),
                rows(&results).len()
            )),
            Err(e) => failures.push(format!("{at}: {e}")),
        }
    }
    eprintln!(
        "{same} of {} corpus queries gave the same rows ({row_count} rows) on the cluster in {:.1} s",
        sample.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_stack_size(kql::PLANNING_STACK)
            .build()
            .expect("a runtime")
    })
}

#[test]
fn an_unreachable_or_malformed_cluster_address_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let closed = free_port();
    for (address, says) in [
        (
            format!("df://127.0.0.1:{closed}"),
            "cannot reach the scheduler",
        ),
        ("http://127.0.0.1:50050".to_string(), "df://HOST:PORT"),
    ] {
        let out = kql_command(tmp.path())
            .args(["run", "-e", "print 1", "--cluster", &address])
            .output()
            .expect("kql run starts");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{address}: {stderr}");
        assert!(stderr.contains(says), "{address}: {stderr}");
    }
}
