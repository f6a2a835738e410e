//! The files `externaldata` may read: local paths under the folders the user allowed, and
//! nothing else. There is no network code: other URI schemes are refused.

use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use kql_io::{OnError, TableSchema, load_csv_positional, load_json, load_parquet};
use kql_plan::ExternalFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads `file` if its path lies under one of `allowed` (canonical folders).
pub fn read(
    file: &ExternalFile<'_>,
    allowed: &[PathBuf],
    on_error: OnError,
) -> Result<Arc<dyn TableProvider>, String> {
    let path = local_path(file.uri)?;
    let refused = || {
        format!(
            "externaldata may not read '{}': it is not under a folder allowed with --allow-path",
            path.display()
        )
    };
    let real = match path.canonicalize() {
        Ok(real) => real,
        // Say "not allowed" rather than whether a file exists outside the allowed folders.
        Err(_) if !allowed.iter().any(|dir| absolute(&path).starts_with(dir)) => {
            return Err(refused());
        }
        Err(e) => {
            return Err(format!(
                "externaldata cannot read '{}': {e}",
                path.display()
            ));
        }
    };
    if !allowed.iter().any(|dir| real.starts_with(dir)) {
        return Err(refused());
    }
    let schema = TableSchema {
        name: "externaldata".to_string(),
        columns: file.columns.to_vec(),
    };
    let extension = real
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let format = file.format.unwrap_or(extension).to_ascii_lowercase();
    let loaded = match format.as_str() {
        "csv" | "txt" => vec![load_csv_positional(
            &real,
            &schema,
            file.ignore_first_record,
            on_error,
        )],
        "json" | "multijson" | "jsonl" | "ndjson" => {
            vec![load_json(&real, Some(&schema), on_error)]
        }
        "parquet" => match load_parquet(&real, Some(&schema)) {
            Ok(tables) => tables.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        },
        other => {
            return Err(format!(
                "externaldata does not read the '{other}' format (csv, json, multijson, parquet)"
            ));
        }
    };
    let mut batches = Vec::new();
    for t in loaded {
        batches.push(t.map_err(|e| e.to_string())?.batch);
    }
    let Some(first) = batches.first() else {
        return Err(format!("externaldata: '{}' holds no table", path.display()));
    };
    let table = MemTable::try_new(first.schema(), vec![batches]).map_err(|e| e.to_string())?;
    Ok(Arc::new(table))
}

/// The local path a URI names: a plain path or a `file://` URI. Any other scheme is refused.
fn local_path(uri: &str) -> Result<PathBuf, String> {
    match uri.split_once("://") {
        None => Ok(PathBuf::from(uri)),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => Ok(PathBuf::from(rest)),
        Some((scheme, rest)) => {
            // The host only: the rest of a storage URI may carry a secret (a SAS token).
            let host = rest.split(['/', '?', ';']).next().unwrap_or_default();
            Err(format!(
                "kql never opens a network connection: externaldata from {scheme}://{host} is refused; \
                 download the file and allow its folder with --allow-path"
            ))
        }
    }
}

/// `path` made absolute against the current folder (without touching the file system).
fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_read() {
        assert_eq!(local_path("/tmp/a.csv"), Ok(PathBuf::from("/tmp/a.csv")));
        assert_eq!(
            local_path("file:///tmp/a.csv"),
            Ok(PathBuf::from("/tmp/a.csv"))
        );
        let err =
            local_path("https://example.blob.core.windows.net/c/a.csv?sig=secret").unwrap_err();
        assert!(
            err.contains("https://example.blob.core.windows.net is refused"),
            "{err}"
        );
        assert!(!err.contains("secret"));
    }
}
