//! The codecs a cluster needs for the engine's plan parts, on top of Ballista's own:
//! NDJSON tables and their scans (by description: the files are read where the plan runs),
//! in-memory tables (their rows, as Arrow IPC), and the engine's functions by name.
//!
//! Every buffer starts with a tag byte saying which codec wrote the rest.

use crate::functions;
use crate::wire::{
    FileWire, FilterWire, RangeWire, ScanWire, TableWire, column_of, from_json, on_error_of,
    to_json, typed_column,
};
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::MemTable;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::from_proto::parse_physical_expr_with_converter;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr_with_converter;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::PhysicalExprNode;
use kql_io::{NdjsonTable, PushedFilter, ScanDecode, ScanSpec};
use prost::Message;
use std::sync::Arc;

const BALLISTA: u8 = b'B';
const NDJSON: u8 = b'N';
const MEMORY: u8 = b'M';

/// Splits a buffer into its tag and the rest.
fn tagged(buf: &[u8]) -> Result<(u8, &[u8])> {
    match buf.split_first() {
        Some((tag, rest)) => Ok((*tag, rest)),
        None => Err(internal("an empty plan buffer")),
    }
}

fn internal(message: impl Into<String>) -> DataFusionError {
    DataFusionError::Internal(message.into())
}

/// Rows as an Arrow IPC stream.
fn write_ipc(schema: &SchemaRef, batches: &[RecordBatch], buf: &mut Vec<u8>) -> Result<()> {
    let mut writer = StreamWriter::try_new(buf, schema)?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(())
}

fn read_ipc(buf: &[u8]) -> Result<Vec<RecordBatch>> {
    let reader = StreamReader::try_new(buf, None)?;
    Ok(reader.collect::<std::result::Result<Vec<_>, _>>()?)
}

/// The codecs' lookups of the engine's functions by name (for a node whose registry lacks
/// them).
macro_rules! engine_functions {
    () => {
        fn try_decode_udf(&self, name: &str, _buf: &[u8]) -> Result<Arc<ScalarUDF>> {
            functions::udf(name)
        }

        fn try_decode_udaf(&self, name: &str, _buf: &[u8]) -> Result<Arc<AggregateUDF>> {
            functions::udaf(name)
        }

        fn try_decode_udwf(&self, name: &str, _buf: &[u8]) -> Result<Arc<WindowUDF>> {
            functions::udwf(name)
        }
    };
}

/// The logical codec: client to scheduler.
#[derive(Debug, Default)]
pub struct KqlLogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for KqlLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let (tag, rest) = tagged(buf)?;
        match tag {
            NDJSON => {
                let wire: TableWire = from_json(rest)?;
                let files = wire.files.into_iter().map(FileWire::file).collect();
                let table =
                    NdjsonTable::from_parts(files, schema, on_error_of(wire.skip_bad_lines));
                Ok(Arc::new(table))
            }
            MEMORY => {
                let batches = read_ipc(rest)?;
                Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
            }
            BALLISTA => self
                .ballista
                .try_decode_table_provider(rest, table_ref, schema, ctx),
            other => Err(internal(format!("a table of unknown kind {other}"))),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(table) = node.downcast_ref::<NdjsonTable>() {
            buf.push(NDJSON);
            let wire = TableWire {
                files: table.files().iter().map(FileWire::of).collect(),
                skip_bad_lines: table.on_error() == kql_io::OnError::Skip,
            };
            return to_json(&wire, buf);
        }
        if let Some(table) = node.downcast_ref::<MemTable>() {
            buf.push(MEMORY);
            let mut batches = Vec::new();
            for partition in &table.batches {
                let rows = partition
                    .try_read()
                    .map_err(|_| internal("an in-memory table is being written"))?;
                batches.extend(rows.iter().cloned());
            }
            return write_ipc(&table.schema(), &batches, buf);
        }
        buf.push(BALLISTA);
        self.ballista
            .try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn datafusion::datasource::file_format::FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn datafusion::datasource::file_format::FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    engine_functions!();
}

/// The physical codec: scheduler to executors.
#[derive(Debug, Default)]
pub struct KqlPhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for KqlPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (tag, rest) = tagged(buf)?;
        match tag {
            NDJSON => self.decode_scan(rest, ctx, converter)?.plan(),
            BALLISTA => self.ballista.try_decode(rest, inputs, ctx, converter),
            other => Err(internal(format!("a plan node of unknown kind {other}"))),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(scan) = ScanSpec::of(node.as_ref()) {
            buf.push(NDJSON);
            return self.encode_scan(&scan, buf, converter);
        }
        buf.push(BALLISTA);
        self.ballista.try_encode(node, buf, converter)
    }

    engine_functions!();
}

impl KqlPhysicalCodec {
    fn encode_scan(
        &self,
        spec: &ScanSpec,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let filters = spec
            .decode
            .filters
            .iter()
            .map(|f| {
                let node = serialize_physical_expr_with_converter(f.predicate(), self, converter)?;
                Ok(FilterWire {
                    predicate: node.encode_to_vec(),
                    columns: f.columns().to_vec(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let wire = ScanWire {
            partitions: spec
                .partitions
                .iter()
                .map(|p| p.iter().map(RangeWire::of).collect())
                .collect(),
            columns: spec.decode.columns.iter().map(column_of).collect(),
            output: spec.decode.output,
            filters,
            skip_bad_lines: spec.decode.on_error == kql_io::OnError::Skip,
            batch_size: spec.batch_size,
            limit: spec.limit,
        };
        to_json(&wire, buf)
    }

    fn decode_scan(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<ScanSpec> {
        let wire: ScanWire = from_json(buf)?;
        let columns = wire
            .columns
            .into_iter()
            .map(typed_column)
            .collect::<Result<Vec<_>>>()?;
        let decode = PhysicalPlanDecodeContext::new(ctx, self);
        let filters = wire
            .filters
            .into_iter()
            .map(|f| {
                let node = PhysicalExprNode::decode(f.predicate.as_slice())
                    .map_err(|e| internal(e.to_string()))?;
                let schema = PushedFilter::input_schema(&f.columns, &columns)?;
                let predicate =
                    parse_physical_expr_with_converter(&node, &schema, &decode, converter)?;
                Ok(PushedFilter::new(predicate, f.columns, schema))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ScanSpec {
            partitions: wire
                .partitions
                .into_iter()
                .map(|p| p.into_iter().map(RangeWire::range).collect())
                .collect(),
            decode: ScanDecode {
                columns,
                output: wire.output,
                filters,
                on_error: on_error_of(wire.skip_bad_lines),
            },
            batch_size: wire.batch_size,
            limit: wire.limit,
        })
    }
}
