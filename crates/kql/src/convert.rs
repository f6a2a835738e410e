//! Loaded tables written as typed Parquet: each column keeps its Kusto type in its field
//! metadata (dynamic values as JSON text), so that reading the file back gives the same
//! table, and later replays read columns instead of parsing JSON.

use crate::Session;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use std::path::Path;

impl Session {
    /// Writes table `name` to a Parquet file at `path` (through a temporary file, so that
    /// a failure leaves no partial file). Returns the number of rows written.
    pub async fn write_parquet(&self, name: &str, path: &Path) -> Result<usize, String> {
        let table = self
            .table(name)
            .ok_or_else(|| format!("no table named '{name}'"))?;
        let plan = LogicalPlanBuilder::scan(name, provider_as_source(table), None)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let df = self
            .context()
            .execute_logical_plan(plan)
            .await
            .map_err(|e| e.to_string())?;
        let mut stream = df.execute_stream().await.map_err(|e| e.to_string())?;
        let schema = stream.schema();
        let part = path.with_extension("parquet.part");
        let file = std::fs::File::create(&part).map_err(|e| format!("{}: {e}", part.display()))?;
        // Row groups of 64Ki rows: the unit a scan reads in parallel and skips by statistics.
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 16))
            .build();
        let mut writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| e.to_string())?;
        let mut rows = 0;
        let written: Result<(), String> = async {
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| e.to_string())?;
                rows += batch.num_rows();
                writer.write(&batch).map_err(|e| e.to_string())?;
            }
            writer.close().map(|_| ()).map_err(|e| e.to_string())
        }
        .await;
        if let Err(e) = written {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        std::fs::rename(&part, path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(rows)
    }
}
