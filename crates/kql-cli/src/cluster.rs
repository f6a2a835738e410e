//! `kql cluster scheduler|executor`, and connecting a session to a cluster.

use crate::EXIT_USAGE;
use crate::args::ClusterCommand;
use kql::Session;

/// Runs a cluster node until the process is stopped.
pub async fn node(command: ClusterCommand) -> u8 {
    let ran = match command {
        ClusterCommand::Scheduler { bind } => {
            eprintln!("kql cluster scheduler listening on {bind}");
            kql_cluster::run_scheduler(bind).await
        }
        ClusterCommand::Executor {
            scheduler,
            host,
            port,
            grpc_port,
            concurrent_tasks,
            work_dir,
        } => {
            let Some((scheduler_host, scheduler_port)) = scheduler
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
            else {
                eprintln!("error: --scheduler {scheduler}: expected HOST:PORT");
                return EXIT_USAGE;
            };
            eprintln!("kql cluster executor on {host}:{port} serving {scheduler}");
            kql_cluster::run_executor(kql_cluster::ExecutorOptions {
                host,
                port,
                grpc_port,
                scheduler_host,
                scheduler_port,
                concurrent_tasks,
                work_dir,
            })
            .await
        }
    };
    match ran {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

/// Sends the session's queries to the cluster at `url` (df://HOST:PORT).
pub async fn connect(session: &mut Session, url: &str) -> Result<(), String> {
    let ctx = kql_cluster::connect(url).await?;
    session.use_cluster(ctx);
    Ok(())
}
