//! The scan of an NDJSON table, as a DataFusion file scan: each partition reads a group of
//! byte ranges of files (`PartitionedFile`s with a range), decoding only the columns the
//! query uses and evaluating pushed-down filters first. Being a file scan, a cluster
//! scheduler can hand each task its own share of the ranges.

use crate::json::OnError;
use crate::line_blocks::{Block, LineBlocks};
use crate::ndjson_line::{KeySlots, LineError, line_members, lines, trusted_line_members};
use crate::scan_filter::{Passed, PushedFilter};
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
    /// The survey found no line that repeats a key: a trusted line is read only as far as
    /// the columns the scan needs.
    pub unique_keys: bool,
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
        // A trusted line whose keys are unique is read only as far as the columns needed
        // so far: first those of the first filter, then those of the next filter for the
        // rows still kept, and so on.
        let partial = range.trusted && range.unique_keys && width <= 64;
        let bit = |c: usize| 1u64.checked_shl(c as u32).unwrap_or(0);
        let every: u64 = if width >= 64 {
            u64::MAX
        } else {
            bit(width) - 1
        };
        let mask = |columns: &[usize]| columns.iter().fold(0u64, |m, &c| m | bit(c));
        let first = match spec.filters.first() {
            Some(f) if partial => mask(f.columns()),
            _ => every,
        };
        let mut reader = LineReader {
            trusted: range.trusted,
            partial,
            slots: &mut self.slots,
            index: &self.index,
            found: Vec::new(),
        };
        let mut spans: Vec<Vec<Option<&str>>> = vec![Vec::with_capacity(batch_size); width];
        // Per row: its line (offset in `rest`), and the columns read from it so far.
        let mut row_lines: Vec<(usize, &[u8])> = Vec::new();
        let mut met: Vec<u64> = Vec::new();
        let rest = &block.bytes[self.cursor..];
        let mut consumed = rest.len();
        for (at, line) in lines(rest) {
            if row_lines.len() == batch_size {
                consumed = at;
                break;
            }
            match reader.read(line, first) {
                Ok(Some(seen)) => {
                    spans.iter_mut().for_each(|c| c.push(None));
                    // The last of repeated keys wins, as serde_json reads them.
                    for &(i, value) in &reader.found {
                        spans[i][row_lines.len()] = Some(value);
                    }
                    met.push(seen);
                    row_lines.push((at, line));
                }
                Ok(None) => {}
                Err(_) if spec.on_error == OnError::Skip => {}
                Err((msg, col)) => {
                    let offset = block.offset + (self.cursor + at) as u64;
                    return Err(changed(range, offset, &msg, col));
                }
            }
        }
        let rows = row_lines.len();
        let start = block.offset + self.cursor as u64;
        self.cursor += consumed;
        if rows == 0 {
            return Ok(None);
        }
        let types: Vec<KType> = spec.columns.iter().map(|(_, t)| *t).collect();
        let mut passed = Passed::all(width, rows);
        let mut rows_read = RowsRead {
            lines: &row_lines,
            met: &mut met,
            spans: &mut spans,
        };
        let located =
            |(at, (msg, col)): (usize, LineError)| changed(range, start + at as u64, &msg, col);
        for f in &spec.filters {
            rows_read
                .complete(&mut reader, mask(f.columns()), &passed.kept())
                .map_err(located)?;
            if !passed.apply(f, rows_read.spans, &types)? {
                return Ok(None);
            }
        }
        rows_read
            .complete(&mut reader, every, &passed.kept())
            .map_err(located)?;
        let (arrays, rows) = passed.output(&spans, &types, spec.output)?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(Some(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?))
    }
}

/// The rows of a batch: their lines (offset in the batch's text), the columns read from
/// each so far (a bit per column), and the values read.
struct RowsRead<'a, 'l> {
    lines: &'a [(usize, &'l [u8])],
    met: &'a mut [u64],
    spans: &'a mut [Vec<Option<&'l str>>],
}

impl<'l> RowsRead<'_, 'l> {
    /// Reads, for the rows `kept`, the columns of `need` not read yet; an error comes with
    /// the offset of its line.
    fn complete(
        &mut self,
        reader: &mut LineReader<'l>,
        need: u64,
        kept: &[usize],
    ) -> Result<(), (usize, LineError)> {
        for &r in kept {
            if self.met[r] & need == need {
                continue;
            }
            let (at, line) = self.lines[r];
            let seen = reader.read(line, need).map_err(|e| (at, e))?;
            self.met[r] |= seen.unwrap_or(u64::MAX);
            for &(i, value) in &reader.found {
                self.spans[i][r] = Some(value);
            }
        }
        Ok(())
    }
}

/// Reads the members of lines into `found` (column, raw value).
struct LineReader<'s> {
    trusted: bool,
    /// A line may be read in part (trusted, unique keys).
    partial: bool,
    slots: &'s mut KeySlots,
    index: &'s HashMap<String, usize>,
    found: Vec<(usize, &'s str)>,
}

impl<'s> LineReader<'s> {
    /// Reads a line's columns, every one met until those in `need` (a bit per column)
    /// are all read when the line may be read in part; `Some` of the columns read (all
    /// bits when the line was read to its end), `None` for a blank line.
    fn read<'l: 's>(&mut self, line: &'l [u8], need: u64) -> Result<Option<u64>, LineError> {
        self.found.clear();
        let (slots, index, found) = (&mut *self.slots, self.index, &mut self.found);
        let mut seen = 0u64;
        let mut stopped = false;
        let partial = self.partial;
        let mut take = |position, raw_key, value| {
            let slot = slots.slot(position, raw_key, |key| index.get(key).copied());
            if let Some(i) = slot {
                found.push((i, value));
                seen |= 1u64.checked_shl(i as u32).unwrap_or(0);
            }
            stopped = partial && seen & need == need;
            stopped
        };
        let read = if self.trusted {
            trusted_line_members(line, &mut take)
        } else {
            line_members(line, |p, k, v| {
                take(p, k, v);
            })
        };
        Ok(read?.then_some(if stopped { seen } else { u64::MAX }))
    }
}

/// The error for a line of a trusted file that does not read: the file changed.
fn changed(range: &ScanRange, offset: u64, msg: &str, col: usize) -> DataFusionError {
    let line = line_number(&range.path, offset).unwrap_or(0);
    DataFusionError::Execution(format!(
        "{}:{line}:{col}: {msg} (the file changed after it was loaded)",
        range.path.display()
    ))
}

/// The 1-based line of a file that starts at `offset`.
fn line_number(path: &Path, offset: u64) -> std::io::Result<usize> {
    let bytes = std::fs::read(path)?;
    let upto = &bytes[..(offset as usize).min(bytes.len())];
    Ok(memchr::memchr_iter(b'\n', upto).count() + 1)
}
