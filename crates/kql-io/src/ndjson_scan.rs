//! The scan of an NDJSON table, as a DataFusion file scan: each partition reads a group of
//! byte ranges of files (`PartitionedFile`s with a range), decoding only the columns the
//! query uses and evaluating pushed-down filters first. Being a file scan, a cluster
//! scheduler can hand each task its own share of the ranges.

use crate::json::OnError;
use crate::line_blocks::{Block, LineBlocks};
use crate::ndjson_line::{KeySlots, line_members, lines, trusted_line_members};
use crate::scan_filter::{PushedFilter, decode_filtered};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{
    FileGroup, FileOpenFuture, FileOpener, FileScanConfig, FileScanConfigBuilder, FileSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::object_store::ObjectStore;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::StreamExt;
use kql_types::KType;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One byte range of one file: whole lines that start in `start..end`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRange {
    pub path: PathBuf,
    /// The file was as its survey found it, every line valid, when the scan was planned:
    /// its lines are skimmed, not validated, while it still has length `len`.
    pub trusted: bool,
    pub start: u64,
    pub end: u64,
    /// The file's length when the scan was planned.
    pub len: u64,
}

/// How rows are decoded: the same for every range of a scan.
#[derive(Debug, Clone)]
pub struct ScanDecode {
    /// The columns decoded: the output's, then those only the filters read.
    pub columns: Vec<(String, KType)>,
    /// How many of `columns` are output.
    pub output: usize,
    pub filters: Vec<PushedFilter>,
    pub on_error: OnError,
}

/// What a scan reads and how: a plain description, to plan it or to ship it.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// The ranges each partition reads, in order.
    pub partitions: Vec<Vec<ScanRange>>,
    pub decode: ScanDecode,
    pub batch_size: usize,
    /// At most this many rows (a limit above the scan still applies).
    pub limit: Option<usize>,
}

impl ScanSpec {
    /// The plan node that runs the scan.
    pub fn plan(self) -> Result<Arc<dyn ExecutionPlan>> {
        let source = NdjsonSource::new(self.decode, self.batch_size)?;
        let groups = self
            .partitions
            .into_iter()
            .map(|ranges| {
                let files = ranges
                    .into_iter()
                    .map(|r| {
                        let name = r.path.to_string_lossy().into_owned();
                        PartitionedFile::new(name, r.end)
                            .with_range(r.start as i64, r.end as i64)
                            .with_extension(r)
                    })
                    .collect();
                FileGroup::new(files)
            })
            .collect();
        let config =
            FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
                .with_file_groups(groups)
                .with_limit(self.limit)
                .build();
        Ok(DataSourceExec::from_data_source(config))
    }

    /// The description of a plan node made by [`ScanSpec::plan`] (`None`: another node).
    pub fn of(plan: &dyn ExecutionPlan) -> Option<ScanSpec> {
        let exec = plan.downcast_ref::<DataSourceExec>()?;
        let source: &dyn std::any::Any = exec.data_source().as_ref();
        let config = source.downcast_ref::<FileScanConfig>()?;
        let ndjson = config.file_source().downcast_ref::<NdjsonSource>()?;
        let partitions = config
            .file_groups
            .iter()
            .map(|g| g.files().iter().filter_map(file_range).collect())
            .collect();
        Some(ScanSpec {
            partitions,
            decode: ndjson.decode.as_ref().clone(),
            batch_size: ndjson.batch_size,
            limit: config.limit,
        })
    }
}

/// The range a scan's file stands for. The planner may cut a range further (to spread a
/// file over more partitions): the file's own range is the one to read.
fn file_range(file: &PartitionedFile) -> Option<ScanRange> {
    let mut range = file.extensions.get::<ScanRange>()?.clone();
    if let Some(r) = &file.range {
        range.start = u64::try_from(r.start).ok()?;
        range.end = u64::try_from(r.end).ok()?;
    }
    Some(range)
}

/// The file source of NDJSON scans.
#[derive(Debug, Clone)]
pub struct NdjsonSource {
    decode: Arc<ScanDecode>,
    /// The output columns.
    table_schema: TableSchema,
    batch_size: usize,
    metrics: ExecutionPlanMetricsSet,
}

impl NdjsonSource {
    fn new(decode: ScanDecode, batch_size: usize) -> Result<NdjsonSource> {
        if decode.output > decode.columns.len() || batch_size == 0 {
            return Err(DataFusionError::Internal(format!(
                "a scan of {} columns outputs {} in batches of {batch_size}",
                decode.columns.len(),
                decode.output,
            )));
        }
        let schema = Arc::new(Schema::new(
            decode.columns[..decode.output]
                .iter()
                .map(|(n, t)| t.field(n.clone()))
                .collect::<Vec<_>>(),
        ));
        Ok(NdjsonSource {
            decode: Arc::new(decode),
            table_schema: TableSchema::from(schema),
            batch_size,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl FileSource for NdjsonSource {
    fn create_file_opener(
        &self,
        _object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        Ok(Arc::new(RangeOpener {
            decode: self.decode.clone(),
            schema: self.table_schema.file_schema().clone(),
            batch_size: self.batch_size,
        }))
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = batch_size.max(1);
        Arc::new(source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "ndjson"
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for filter in &self.decode.filters {
            if f(filter.predicate())? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }
}

/// Opens one range of a file as a stream of batches.
struct RangeOpener {
    decode: Arc<ScanDecode>,
    schema: SchemaRef,
    batch_size: usize,
}

impl FileOpener for RangeOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let Some(mut range) = file_range(&file) else {
            return Err(DataFusionError::Internal(format!(
                "an NDJSON scan was given {} without its range",
                file.object_meta.location
            )));
        };
        // Where the scan runs (another process, later), a file of another length is checked
        // line by line again.
        range.trusted &= std::fs::metadata(&range.path).is_ok_and(|m| m.len() == range.len);
        let batches = RangeBatches {
            blocks: None,
            block: None,
            cursor: 0,
            index: self
                .decode
                .columns
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.clone(), i))
                .collect(),
            slots: KeySlots::default(),
            done: false,
            range,
            decode: self.decode.clone(),
            batch_size: self.batch_size,
            schema: self.schema.clone(),
        };
        Ok(Box::pin(async move {
            Ok(futures::stream::iter(batches).boxed())
        }))
    }
}

/// The batches of a range: each block of lines is cut into batches of at most
/// `batch_size` rows.
struct RangeBatches {
    blocks: Option<LineBlocks>,
    block: Option<Block>,
    /// Where the next line starts in the block.
    cursor: usize,
    range: ScanRange,
    decode: Arc<ScanDecode>,
    batch_size: usize,
    schema: SchemaRef,
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
        let range = &self.range;
        let io = |path: &Path, e: std::io::Error| {
            DataFusionError::Execution(format!("{}: {e}", path.display()))
        };
        if self.blocks.is_none() {
            let blocks = LineBlocks::open(&range.path, range.start, range.end)
                .map_err(|e| io(&range.path, e))?;
            self.blocks = Some(blocks);
        }
        let exhausted = self
            .block
            .as_ref()
            .is_none_or(|b| self.cursor >= b.bytes.len());
        if exhausted {
            let next = match self.blocks.as_mut() {
                Some(blocks) => blocks.next_block().map_err(|e| io(&range.path, e))?,
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
        let spec = &self.decode;
        let batch_size = self.batch_size;
        let width = spec.columns.len();
        let mut spans: Vec<Vec<Option<&str>>> = vec![Vec::with_capacity(batch_size); width];
        let mut rows = 0;
        let mut found: Vec<(usize, &str)> = Vec::new();
        let rest = &block.bytes[self.cursor..];
        let mut consumed = rest.len();
        for (at, line) in lines(rest) {
            if rows == batch_size {
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
            let read = if range.trusted {
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
                Err(_) if spec.on_error == OnError::Skip => {}
                Err((msg, col)) => {
                    let offset = block.offset + (self.cursor + at) as u64;
                    let line = line_number(&range.path, offset).unwrap_or(0);
                    return Err(DataFusionError::Execution(format!(
                        "{}:{line}:{col}: {msg} (the file changed after it was loaded)",
                        range.path.display()
                    )));
                }
            }
        }
        self.cursor += consumed;
        if rows == 0 {
            return Ok(None);
        }
        let types: Vec<KType> = spec.columns.iter().map(|(_, t)| *t).collect();
        let Some((arrays, rows)) =
            decode_filtered(&spans, &types, &spec.filters, spec.output, rows)?
        else {
            return Ok(None);
        };
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(Some(RecordBatch::try_new_with_options(
            self.schema.clone(),
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
