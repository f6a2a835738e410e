//! The session states of a cluster's nodes and of its client: DataFusion's and the
//! engine's functions, and the engine's codecs.

use crate::codec::{KqlLogicalCodec, KqlPhysicalCodec};
use crate::functions;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use datafusion::common::Result;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionConfig;
use std::sync::Arc;

/// A session configuration that carries the engine's codecs.
pub fn config(config: SessionConfig) -> SessionConfig {
    let mut config = config
        .with_ballista_logical_extension_codec(Arc::new(KqlLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(KqlPhysicalCodec::default()));
    // Parquet scans evaluate `where` filters while decoding, as locally.
    config.options_mut().execution.parquet.pushdown_filters = true;
    config
}

/// A node's session: Ballista's defaults, the engine's functions and codecs.
pub fn session_state(session: SessionConfig) -> Result<SessionState> {
    let mut state = default_session_builder(config(session))?;
    functions::register(&mut state)?;
    Ok(state)
}

/// What an executor resolves plans' functions with.
pub fn executor_registry() -> Result<BallistaFunctionRegistry> {
    let state = session_state(SessionConfig::new_with_ballista())?;
    Ok(BallistaFunctionRegistry::from(&state))
}
