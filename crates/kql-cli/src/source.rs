//! Finding queries in files: `.kql` text, Sentinel `.yaml`/`.yml` rules (their `query`
//! field), and `.jsonl` files of `{"id", "query"}` lines; folders are searched recursively.

use std::path::{Path, PathBuf};

pub struct QuerySource {
    /// The file the query came from.
    pub origin: String,
    /// The query's id within a JSONL file.
    pub id: Option<String>,
    /// The line of the file where the query starts (JSONL: its line).
    pub first_line: usize,
    pub text: String,
}

impl QuerySource {
    /// How diagnostics name the query: `file`, or `file:LINE[id]` inside a JSONL file.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{}:{}[{id}]", self.origin, self.first_line),
            None => self.origin.clone(),
        }
    }
}

pub fn collect_queries(path: &Path) -> Result<Vec<QuerySource>, String> {
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files).map_err(|e| format!("{}: {e}", path.display()))?;
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(read_file(&f)?);
        }
        return Ok(out);
    }
    read_file(path)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, files)?;
        } else if matches!(ext(&p), "kql" | "yaml" | "yml" | "jsonl")
            && !crate::test::is_test_file(&p)
        {
            files.push(p);
        }
    }
    Ok(())
}

fn ext(p: &Path) -> &str {
    p.extension().and_then(|e| e.to_str()).unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct Rule {
    query: Option<String>,
}

#[derive(serde::Deserialize)]
struct JsonlQuery {
    id: Option<String>,
    query: String,
}

/// The `query` field of a Sentinel rule or hunting query file.
pub fn rule_query(file: &Path, text: &str) -> Result<String, String> {
    let rule: Rule =
        serde_saphyr::from_str(text).map_err(|e| format!("{}: {e}", file.display()))?;
    rule.query
        .ok_or_else(|| format!("{}: no 'query' field", file.display()))
}

fn read_file(path: &Path) -> Result<Vec<QuerySource>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let origin = path.display().to_string();
    match ext(path) {
        "yaml" | "yml" => Ok(vec![QuerySource {
            origin,
            id: None,
            first_line: 1,
            text: rule_query(path, &text)?,
        }]),
        "jsonl" => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let q: JsonlQuery = serde_json::from_str(l)
                    .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
                Ok(QuerySource {
                    origin: origin.clone(),
                    id: Some(q.id.unwrap_or_else(|| format!("line{}", i + 1))),
                    first_line: i + 1,
                    text: q.query,
                })
            })
            .collect(),
        _ => Ok(vec![QuerySource {
            origin,
            id: None,
            first_line: 1,
            text,
        }]),
    }
}
