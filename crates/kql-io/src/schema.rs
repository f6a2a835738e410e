//! Table schemas: `{"name", "columns": [{"name", "type"}]}` files (one file or a folder of
//! them, the layout of the Sentinel corpus schemas).

use crate::error::LoadError;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use kql_types::KType;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<(String, KType)>,
}

impl TableSchema {
    pub fn arrow(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|(n, t)| t.field(n.clone()))
                .collect::<Vec<_>>(),
        ))
    }

    pub fn column_type(&self, name: &str) -> Option<KType> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }
}

#[derive(Deserialize)]
struct SchemaFile {
    name: String,
    columns: Vec<ColumnFile>,
}

#[derive(Deserialize)]
struct ColumnFile {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

/// Reads one schema file, or every `*.json` schema in a folder and in its `functions/`
/// sub-folder (stored functions, whose result columns make an empty table).
pub fn load_schemas(path: &Path) -> Result<Vec<TableSchema>, LoadError> {
    if path.is_dir() {
        let functions = path.join("functions");
        let mut found = json_files(path)?;
        if functions.is_dir() {
            found.extend(json_files(&functions)?);
        }
        return found.iter().map(|f| load_schema_file(f)).collect();
    }
    Ok(vec![load_schema_file(path)?])
}

fn json_files(path: &Path) -> Result<Vec<std::path::PathBuf>, LoadError> {
    let mut files: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| LoadError::new(path, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn load_schema_file(path: &Path) -> Result<TableSchema, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::new(path, e.to_string()))?;
    parse_schema(&text).map_err(|(msg, line, col)| LoadError::new(path, msg).at(line, col))
}

/// Parses schema JSON text; errors carry a line and column.
pub fn parse_schema(text: &str) -> Result<TableSchema, (String, usize, usize)> {
    let f: SchemaFile =
        serde_json::from_str(text).map_err(|e| (e.to_string(), e.line(), e.column()))?;
    let mut columns = Vec::new();
    for c in f.columns {
        let ty = KType::from_name(&c.ty).ok_or_else(|| {
            (
                format!("unknown type '{}' of column '{}'", c.ty, c.name),
                1,
                1,
            )
        })?;
        columns.push((c.name, ty));
    }
    Ok(TableSchema {
        name: f.name,
        columns,
    })
}
