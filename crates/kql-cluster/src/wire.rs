//! What crosses the wire for the engine's own plan parts: an NDJSON table (client to
//! scheduler) and an NDJSON scan (scheduler to executors), as JSON. Filter predicates travel
//! as DataFusion protobuf bytes inside it.

use datafusion::common::{DataFusionError, Result};
use kql_io::{OnError, ScanRange, SurveyedFile};
use kql_types::KType;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

#[derive(Serialize, Deserialize)]
pub struct TableWire {
    pub files: Vec<FileWire>,
    pub skip_bad_lines: bool,
}

#[derive(Serialize, Deserialize)]
pub struct FileWire {
    pub path: PathBuf,
    pub len: u64,
    /// Nanoseconds since the epoch.
    pub modified: Option<u128>,
    pub clean: bool,
    #[serde(default)]
    pub unique_keys: bool,
}

#[derive(Serialize, Deserialize)]
pub struct ScanWire {
    /// The ranges of each partition.
    pub partitions: Vec<Vec<RangeWire>>,
    /// (name, Kusto type name) of each decoded column.
    pub columns: Vec<(String, String)>,
    pub output: usize,
    pub filters: Vec<FilterWire>,
    pub skip_bad_lines: bool,
    pub batch_size: usize,
    pub limit: Option<usize>,
}

#[derive(Serialize, Deserialize)]
pub struct RangeWire {
    pub path: PathBuf,
    pub trusted: bool,
    #[serde(default)]
    pub unique_keys: bool,
    pub start: u64,
    pub end: u64,
    /// The file's length when planned.
    pub len: u64,
}

#[derive(Serialize, Deserialize)]
pub struct FilterWire {
    /// A `PhysicalExprNode`, protobuf-encoded.
    pub predicate: Vec<u8>,
    pub columns: Vec<usize>,
}

pub fn on_error_of(skip_bad_lines: bool) -> OnError {
    if skip_bad_lines {
        OnError::Skip
    } else {
        OnError::Fail
    }
}

impl FileWire {
    /// The file as another process sees it: by absolute path.
    pub fn of(f: &SurveyedFile) -> FileWire {
        FileWire {
            path: std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone()),
            len: f.len,
            modified: f
                .modified
                .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos()),
            clean: f.clean,
            unique_keys: f.unique_keys,
        }
    }

    pub fn file(self) -> SurveyedFile {
        SurveyedFile {
            path: self.path,
            len: self.len,
            modified: self.modified.and_then(|n| {
                let secs = u64::try_from(n / 1_000_000_000).ok()?;
                UNIX_EPOCH.checked_add(Duration::new(secs, (n % 1_000_000_000) as u32))
            }),
            clean: self.clean,
            unique_keys: self.unique_keys,
        }
    }
}

impl RangeWire {
    pub fn of(r: &ScanRange) -> RangeWire {
        RangeWire {
            path: r.path.clone(),
            trusted: r.trusted,
            unique_keys: r.unique_keys,
            start: r.start,
            end: r.end,
            len: r.len,
        }
    }

    pub fn range(self) -> ScanRange {
        ScanRange {
            path: self.path,
            trusted: self.trusted,
            unique_keys: self.unique_keys,
            start: self.start,
            end: self.end,
            len: self.len,
        }
    }
}

pub fn column_of((name, ty): &(String, KType)) -> (String, String) {
    (name.clone(), ty.name().to_string())
}

pub fn typed_column((name, ty): (String, String)) -> Result<(String, KType)> {
    match KType::from_name(&ty) {
        Some(t) => Ok((name, t)),
        None => Err(DataFusionError::Internal(format!(
            "a scan column of unknown type {ty}"
        ))),
    }
}

pub fn to_json<T: Serialize>(value: &T, buf: &mut Vec<u8>) -> Result<()> {
    serde_json::to_writer(buf, value).map_err(|e| DataFusionError::Internal(e.to_string()))
}

pub fn from_json<'a, T: Deserialize<'a>>(buf: &'a [u8]) -> Result<T> {
    serde_json::from_slice(buf).map_err(|e| DataFusionError::Internal(e.to_string()))
}
