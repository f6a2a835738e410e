//! A table of newline-delimited JSON files that stay on disk: loading surveys them
//! (`survey.rs`), and each query's scan reads them again in byte ranges, one per core,
//! decoding only the columns the query uses, a batch at a time.

use crate::error::LoadError;
use crate::json::OnError;
use crate::line_blocks::{Block, LineBlocks, ranges};
use crate::ndjson_line::{KeySlots, line_members, lines, trusted_line_members};
use crate::scan_filter::{PushedFilter, decode_filtered, push_filters};
use crate::schema::TableSchema;
use crate::survey::{Survey, survey};
use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use kql_types::KType;
use kql_types::json_scan::document;
use std::collections::HashMap;
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
}

/// A file as the survey saw it: scans trust its lines while it is unchanged and had no
/// bad line.
#[derive(Debug)]
struct SurveyedFile {
    path: PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
    clean: bool,
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
        let schema = Arc::new(self.schema.project(&decoded)?);
        let output = decoded.len();
        let filters: Arc<[PushedFilter]> =
            push_filters(state, &self.schema, filters, &mut decoded).into();
        let columns: Arc<[(String, KType)]> =
            decoded.iter().map(|&i| self.columns[i].clone()).collect();
        let cores = state.config().target_partitions().max(1);
        let batch_size = state.config().batch_size().max(1);
        let mut partitions: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for file in &self.files {
            let trusted = file.clean && file.unchanged();
            let parts = ((file.len / MIN_RANGE_BYTES) as usize).clamp(1, cores);
            for (start, end) in ranges(file.len, parts) {
                partitions.push(Arc::new(RangeStream {
                    path: file.path.clone(),
                    trusted,
                    start,
                    end,
                    columns: columns.clone(),
                    output,
                    filters: filters.clone(),
                    schema: schema.clone(),
                    on_error: self.on_error,
                    batch_size,
                }));
            }
        }
        let exec = StreamingTableExec::try_new(schema, partitions, None, [], false, limit)?;
        Ok(Arc::new(exec))
    }
}

/// One byte range of one file, decoded into the scan's columns.
#[derive(Debug, Clone)]
struct RangeStream {
    path: PathBuf,
    /// The file is as the survey found it, every line valid.
    trusted: bool,
    start: u64,
    end: u64,
    /// The columns decoded: the output's, then those only the filters read.
    columns: Arc<[(String, KType)]>,
    /// How many of `columns` are output.
    output: usize,
    filters: Arc<[PushedFilter]>,
    schema: SchemaRef,
    on_error: OnError,
    batch_size: usize,
}

impl PartitionStream for RangeStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let batches = RangeBatches {
            blocks: None,
            block: None,
            cursor: 0,
            index: self
                .columns
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.clone(), i))
                .collect(),
            slots: KeySlots::default(),
            done: false,
            range: self.clone(),
        };
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

/// The batches of a range: each block of lines is cut into batches of at most
/// `batch_size` rows.
struct RangeBatches {
    blocks: Option<LineBlocks>,
    block: Option<Block>,
    /// Where the next line starts in the block.
    cursor: usize,
    range: RangeStream,
    /// Column of each field name.
    index: HashMap<String, usize>,
    slots: KeySlots,
    done: bool,
}

impl Iterator for RangeBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.next_batch() {
                Ok(Some(batch)) => return Some(Ok(batch)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

impl RangeBatches {
    /// The next batch; `None` when a block ended without rows (or the range ended).
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let io = |path: &Path, e: std::io::Error| {
            DataFusionError::Execution(format!("{}: {e}", path.display()))
        };
        if self.blocks.is_none() {
            let blocks = LineBlocks::open(&self.range.path, self.range.start, self.range.end)
                .map_err(|e| io(&self.range.path, e))?;
            self.blocks = Some(blocks);
        }
        let exhausted = self
            .block
            .as_ref()
            .is_none_or(|b| self.cursor >= b.bytes.len());
        if exhausted {
            let next = match self.blocks.as_mut() {
                Some(blocks) => blocks.next_block().map_err(|e| io(&self.range.path, e))?,
                None => None,
            };
            let Some(mut block) = next else {
                self.done = true;
                return Ok(None);
            };
            if block.offset == 0 && block.bytes.starts_with(b"\xEF\xBB\xBF") {
                block.bytes.drain(..3);
                block.offset = 3;
            }
            self.block = Some(block);
            self.cursor = 0;
        }
        let Some(block) = self.block.as_ref() else {
            return Ok(None);
        };
        let width = self.range.columns.len();
        let mut spans: Vec<Vec<Option<&str>>> =
            vec![Vec::with_capacity(self.range.batch_size); width];
        let mut rows = 0;
        let mut found: Vec<(usize, &str)> = Vec::new();
        let rest = &block.bytes[self.cursor..];
        let mut consumed = rest.len();
        for (at, line) in lines(rest) {
            if rows == self.range.batch_size {
                consumed = at;
                break;
            }
            found.clear();
            let index = &self.index;
            let slots = &mut self.slots;
            let take = |position, raw_key, value| {
                let slot = slots.slot(position, raw_key, |key| index.get(key).copied());
                found.extend(slot.map(|i| (i, value)));
            };
            let read = if self.range.trusted {
                trusted_line_members(line, take)
            } else {
                line_members(line, take)
            };
            match read {
                Ok(true) => {
                    spans.iter_mut().for_each(|c| c.push(None));
                    // The last of repeated keys wins, as serde_json reads them.
                    for &(i, value) in &found {
                        spans[i][rows] = Some(value);
                    }
                    rows += 1;
                }
                Ok(false) => {}
                Err(_) if self.range.on_error == OnError::Skip => {}
                Err((msg, col)) => {
                    let offset = block.offset + (self.cursor + at) as u64;
                    let line = line_number(&self.range.path, offset).unwrap_or(0);
                    return Err(DataFusionError::Execution(format!(
                        "{}:{line}:{col}: {msg} (the file changed after it was loaded)",
                        self.range.path.display()
                    )));
                }
            }
        }
        self.cursor += consumed;
        if rows == 0 {
            return Ok(None);
        }
        let types: Vec<KType> = self.range.columns.iter().map(|(_, t)| *t).collect();
        let filters = &self.range.filters;
        let Some((arrays, rows)) =
            decode_filtered(&spans, &types, filters, self.range.output, rows)?
        else {
            return Ok(None);
        };
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(Some(RecordBatch::try_new_with_options(
            self.range.schema.clone(),
            arrays,
            &options,
        )?))
    }
}

/// The 1-based line of a file that starts at `offset`.
fn line_number(path: &Path, offset: u64) -> std::io::Result<usize> {
    let bytes = std::fs::read(path)?;
    let upto = &bytes[..(offset as usize).min(bytes.len())];
    Ok(memchr::memchr_iter(b'\n', upto).count() + 1)
}
