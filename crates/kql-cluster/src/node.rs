//! A cluster's long-running processes: the scheduler, which plans each query into stages,
//! and the executors, which run the stages' tasks and exchange their results.

use crate::codec::{KqlLogicalCodec, KqlPhysicalCodec};
use crate::state;
use ballista_core::extension::SessionConfigExt;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::prelude::SessionConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs a scheduler listening on `addr` until the process ends.
pub async fn run_scheduler(addr: SocketAddr) -> Result<(), String> {
    let config = SchedulerConfig {
        bind_host: addr.ip().to_string(),
        external_host: addr.ip().to_string(),
        bind_port: addr.port(),
        override_session_builder: Some(Arc::new(state::session_state)),
        override_config_producer: Some(Arc::new(|| {
            state::config(SessionConfig::new_with_ballista())
        })),
        override_logical_codec: Some(Arc::new(KqlLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(KqlPhysicalCodec::default())),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| e.to_string())?;
    start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The address it binds, and that the scheduler and other executors reach it at.
    pub host: String,
    /// The port its results are fetched from (Arrow Flight).
    pub port: u16,
    /// The port of its task service.
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// How many tasks it runs at once (0: one per core).
    pub concurrent_tasks: usize,
    /// Where it keeps the stage results it serves; a temporary folder by default.
    pub work_dir: Option<PathBuf>,
}

/// Runs an executor until the process ends or its scheduler stops it.
pub async fn run_executor(options: ExecutorOptions) -> Result<(), String> {
    let registry = state::executor_registry().map_err(|e| e.to_string())?;
    let mut config = ExecutorProcessConfig {
        bind_host: options.host.clone(),
        external_host: Some(options.host),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        work_dir: options.work_dir.map(|d| d.to_string_lossy().into_owned()),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(registry)),
        override_config_producer: Some(Arc::new(|| {
            state::config(SessionConfig::new_with_ballista())
        })),
        override_logical_codec: Some(Arc::new(KqlLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(KqlPhysicalCodec::default())),
        ..Default::default()
    };
    if options.concurrent_tasks > 0 {
        config.vcores = options.concurrent_tasks;
    }
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}
