//! A table of newline-delimited JSON files that stay on disk: loading surveys them
//! (`survey.rs`), and each query's scan reads them again in byte ranges, one per core,
//! decoding only the columns the query uses, a batch at a time.

use crate::error::LoadError;
use crate::json::OnError;
use crate::line_blocks::{LineBlocks, ranges as ranges_of};
use crate::ndjson_line::lines;
use crate::ndjson_scan::{ScanDecode, ScanRange, ScanSpec};
use crate::scan_filter::push_filters;
use crate::schema::TableSchema;
use crate::survey::{Survey, survey};
use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use kql_types::KType;
use kql_types::json_scan::document;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A range of a file is read by one partition only when it is at least this big.
const MIN_RANGE_BYTES: u64 = 1 << 20;

#[derive(Debug)]
pub struct NdjsonTable {
    files: Vec<SurveyedFile>,
    columns: Arc<[(String, KType)]>,
    schema: SchemaRef,
    on_error: OnError,
}

impl NdjsonTable {
    /// Surveys the files (they must give the same columns) and makes the table; the
    /// surveys say, per file, what loading found.
    pub fn open(
        files: &[PathBuf],
        declared: Option<&TableSchema>,
        on_error: OnError,
    ) -> Result<(NdjsonTable, Vec<Survey>), LoadError> {
        let mut surveys: Vec<Survey> = Vec::new();
        let mut sized = Vec::new();
        for f in files {
            let s = survey(f, declared, on_error)?;
            if let Some(first) = surveys.first()
                && first.columns != s.columns
            {
                return Err(LoadError::new(
                    f,
                    "its columns differ from the other files of the table",
                ));
            }
            let meta = std::fs::metadata(f).map_err(|e| LoadError::new(f, e.to_string()))?;
            sized.push(SurveyedFile {
                path: f.clone(),
                len: meta.len(),
                modified: meta.modified().ok(),
                clean: s.skipped.count == 0,
                unique_keys: s.unique_keys,
            });
            surveys.push(s);
        }
        let columns: Vec<(String, KType)> = surveys
            .first()
            .map(|s| s.columns.clone())
            .unwrap_or_default();
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, t)| t.field(n.clone()))
                .collect::<Vec<_>>(),
        ));
        let table = NdjsonTable {
            files: sized,
            columns: columns.into(),
            schema,
            on_error,
        };
        Ok((table, surveys))
    }

    /// A table of files surveyed before (by another process: a cluster's client), with the
    /// schema the survey gave.
    pub fn from_parts(files: Vec<SurveyedFile>, schema: SchemaRef, on_error: OnError) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), KType::of_field(f)))
            .collect();
        NdjsonTable {
            files,
            columns,
            schema,
            on_error,
        }
    }

    pub fn files(&self) -> &[SurveyedFile] {
        &self.files
    }

    pub fn on_error(&self) -> OnError {
        self.on_error
    }
}

/// A file as the survey saw it: scans trust its lines while it is unchanged and had no
/// bad line.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyedFile {
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
    pub clean: bool,
    /// No line repeats a key.
    pub unique_keys: bool,
}

impl SurveyedFile {
    fn unchanged(&self) -> bool {
        std::fs::metadata(&self.path)
            .is_ok_and(|m| m.len() == self.len && m.modified().ok() == self.modified)
    }
}

/// Whether a file is newline-delimited JSON: its first line is a whole object and another
/// line follows. (One object, an array or an API response is read whole by `load_json`.)
pub fn is_ndjson(path: &Path) -> Result<bool, LoadError> {
    let err = |e: std::io::Error| LoadError::new(path, e.to_string());
    let len = std::fs::metadata(path).map_err(err)?.len();
    let mut blocks = LineBlocks::open(path, 0, len).map_err(err)?;
    let mut first_line_done = false;
    while let Some(block) = blocks.next_block().map_err(err)? {
        let bytes = block
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&block.bytes);
        for (_, line) in lines(bytes) {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if first_line_done {
                return Ok(true);
            }
            if document(line) != Some(b'{') {
                return Ok(false);
            }
            first_line_done = true;
        }
    }
    Ok(false)
}

#[async_trait]
impl TableProvider for NdjsonTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if f.is_volatile() {
                    TableProviderFilterPushDown::Unsupported
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut decoded: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.columns.len()).collect(),
        };
        let output = decoded.len();
        let filters = push_filters(state, &self.schema, filters, &mut decoded);
        let columns: Vec<(String, KType)> =
            decoded.iter().map(|&i| self.columns[i].clone()).collect();
        let cores = state.config().target_partitions().max(1);
        let mut partitions = Vec::new();
        for file in &self.files {
            let trusted = file.clean && file.unchanged();
            let parts = ((file.len / MIN_RANGE_BYTES) as usize).clamp(1, cores);
            partitions.extend(ranges_of(file.len, parts).into_iter().map(|(start, end)| {
                vec![ScanRange {
                    path: file.path.clone(),
                    trusted,
                    unique_keys: file.unique_keys,
                    start,
                    end,
                    len: file.len,
                }]
            }));
        }
        let spec = ScanSpec {
            partitions,
            decode: ScanDecode {
                columns,
                output,
                filters,
                on_error: self.on_error,
            },
            batch_size: state.config().batch_size().max(1),
            limit,
        };
        spec.plan()
    }
}
