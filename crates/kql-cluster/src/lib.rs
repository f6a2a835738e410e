//! Running KQL on an Apache DataFusion Ballista cluster.
//!
//! A scheduler ([`run_scheduler`]) and executors ([`run_executor`]) built with the engine's
//! functions and codecs; a client context ([`connect`]) that a [`kql::Session`] runs its
//! plans through (`Session::use_cluster`). Tables are described, not shipped: an NDJSON
//! table travels as its file list and schema, a scan as its byte ranges, and every executor
//! reads the files at the same paths.

mod client;
mod codec;
mod functions;
mod node;
mod state;
mod wire;

pub use client::connect;
pub use codec::{KqlLogicalCodec, KqlPhysicalCodec};
pub use node::{ExecutorOptions, run_executor, run_scheduler};
