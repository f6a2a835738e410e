//! The client side: a DataFusion context whose queries run on a cluster.

use crate::state;
use ballista::extension::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::time::Duration;

/// A context that sends its plans to the scheduler at `url` (`df://HOST:PORT`). Fails when
/// the scheduler does not answer.
pub async fn connect(url: &str) -> Result<SessionContext, String> {
    let Some(address) = url.strip_prefix("df://") else {
        return Err(format!("a cluster address is df://HOST:PORT, not '{url}'"));
    };
    let reach = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(address),
    )
    .await;
    match reach {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("cannot reach the scheduler at {url}: {e}")),
        Err(_) => return Err(format!("the scheduler at {url} did not answer in 10 s")),
    }
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(state::config(SessionConfig::new_with_ballista()))
        .build();
    SessionContext::remote_with_state(url, state)
        .await
        .map_err(|e| e.to_string())
}
