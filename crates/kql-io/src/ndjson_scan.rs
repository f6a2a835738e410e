//! The scan of an NDJSON table, as a DataFusion file scan: each partition reads a group of
//! byte ranges of files (`PartitionedFile`s with a range), decoding only the columns the
//! query uses and evaluating pushed-down filters first. Being a file scan, a cluster
//! scheduler can hand each task its own share of the ranges.

use crate::json::OnError;
use crate::range_batches::RangeBatches;
use crate::scan_filter::PushedFilter;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
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
use std::path::PathBuf;
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
        let batches = RangeBatches::new(
            range,
            self.decode.clone(),
            self.batch_size,
            self.schema.clone(),
        );
        Ok(Box::pin(async move {
            Ok(futures::stream::iter(batches).boxed())
        }))
    }
}
