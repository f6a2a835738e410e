//! Run KQL queries on local data with Apache DataFusion.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut session = kql::Session::new();
//! session.load_dir(std::path::Path::new("testdata/phish"))?;
//! let results = session.run("AlertEvidence | take 5").await?;
//! println!("{} rows", results[0].row_count());
//! # Ok(()) }
//! ```

mod convert;
mod external;
mod limits;
mod session;

/// The DataFusion this engine is built on, for programs that embed it.
pub use datafusion;
pub use kql_syntax::{Diagnostic, Span};
pub use kql_types::KType;
pub use limits::{MAX_PLAN_DEPTH, timeout_message};
pub use session::{PLANNING_STACK, QueryError, QueryResult, Session};
