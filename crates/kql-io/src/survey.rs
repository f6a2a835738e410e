//! The loading pass over a newline-delimited JSON file, on every core: each line checked,
//! the fields found in order of first appearance with their inferred types, and values
//! that do not fit a declared column's type counted. No value is kept: the table is read
//! again, column by column as queries need it (`ndjson_table.rs`).

use crate::decode::fits;
use crate::error::LoadError;
use crate::infer::{kind_of_raw, merge};
use crate::json::{OnError, Skipped};
use crate::line_blocks::{LineBlocks, ranges, reading_threads};
use crate::ndjson_line::{KeySlots, line_members, lines};
use crate::schema::TableSchema;
use kql_types::KType;
use std::collections::HashMap;
use std::path::Path;

/// How much the survey reads at a time. It is done with a block before it reads the next
/// into the same buffer, and a block this small stays in a core's cache from the kernel's
/// copy to the tokenizer (1 MiB read as fast as 256 KiB, and 4 MiB a little slower).
const SURVEY_BLOCK: usize = 1 << 20;

/// What the pass found in one file.
#[derive(Debug)]
pub struct Survey {
    pub columns: Vec<(String, KType)>,
    /// Fields of the data that the declared schema lacks (kept as extra columns).
    pub extra_columns: Vec<String>,
    /// Per column, how many values do not fit its type and read as null (only nonzero).
    pub nulled: Vec<(String, usize)>,
    pub skipped: Skipped,
    pub rows: usize,
    /// No line repeats a key (a scan may stop reading a line once it has its columns).
    pub unique_keys: bool,
}

/// A field: its name, its declared type or the type inferred so far, and misfits.
struct Field {
    name: String,
    declared: Option<KType>,
    inferred: Option<KType>,
    misfits: usize,
}

/// One range's findings; line numbers are within the range.
#[derive(Default)]
struct Part {
    fields: Vec<Field>,
    skipped: Vec<(String, usize, usize)>,
    error: Option<(String, usize, usize)>,
    lines: usize,
    rows: usize,
    repeated_keys: bool,
}

pub fn survey(
    path: &Path,
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> Result<Survey, LoadError> {
    let err = |e: std::io::Error| LoadError::new(path, e.to_string());
    let len = std::fs::metadata(path).map_err(err)?.len();
    let threads = reading_threads(len);
    let parts: Vec<std::io::Result<Part>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges(len, threads)
            .into_iter()
            .map(|(start, end)| s.spawn(move || survey_range(path, start, end, declared, on_error)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a loader thread failed")))
            })
            .collect()
    });
    let mut fields: Vec<Field> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut skipped = Vec::new();
    let mut rows = 0;
    let mut lines_before = 0;
    let mut unique_keys = true;
    for part in parts {
        let part = part.map_err(err)?;
        if let Some((msg, line, col)) = part.error {
            return Err(LoadError::new(path, msg).at(line + lines_before, col));
        }
        for f in part.fields {
            match index.get(&f.name) {
                Some(&i) => {
                    fields[i].inferred = merge(fields[i].inferred, f.inferred);
                    fields[i].misfits += f.misfits;
                }
                None => {
                    index.insert(f.name.clone(), fields.len());
                    fields.push(f);
                }
            }
        }
        skipped.extend(
            part.skipped
                .into_iter()
                .map(|(m, line, col)| (m, line + lines_before, col)),
        );
        rows += part.rows;
        lines_before += part.lines;
        unique_keys &= !part.repeated_keys;
    }
    let inferred = |f: &Field| f.inferred.unwrap_or(KType::String);
    let mut columns: Vec<(String, KType)> = Vec::new();
    let mut extra_columns = Vec::new();
    match declared {
        Some(schema) => {
            columns = schema.columns.clone();
            for f in fields.iter().filter(|f| f.declared.is_none()) {
                extra_columns.push(f.name.clone());
                columns.push((f.name.clone(), inferred(f)));
            }
        }
        None => columns.extend(fields.iter().map(|f| (f.name.clone(), inferred(f)))),
    }
    let nulled = fields
        .iter()
        .filter(|f| f.misfits > 0)
        .map(|f| (f.name.clone(), f.misfits))
        .collect();
    let first = skipped
        .first()
        .map(|(m, line, col)| LoadError::new(path, m.clone()).at(*line, *col));
    Ok(Survey {
        columns,
        extra_columns,
        nulled,
        skipped: Skipped {
            count: skipped.len(),
            first,
        },
        rows,
        unique_keys,
    })
}

fn survey_range(
    path: &Path,
    start: u64,
    end: u64,
    declared: Option<&TableSchema>,
    on_error: OnError,
) -> std::io::Result<Part> {
    let mut part = Part::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut slots = KeySlots::default();
    let mut blocks = LineBlocks::with_block(path, start, end, SURVEY_BLOCK)?;
    let mut seen: Vec<usize> = Vec::new();
    while let Some(block) = blocks.next_block()? {
        let mut bytes = &block.bytes[..];
        if block.offset == 0 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let mut found: Vec<(usize, &str)> = Vec::new();
        for (_, line) in lines(bytes) {
            part.lines += 1;
            let fields = &mut part.fields;
            found.clear();
            let read = line_members(line, |position, raw_key, value| {
                let slot = slots.slot(position, raw_key, |key| {
                    Some(*index.entry(key.to_string()).or_insert_with(|| {
                        fields.push(Field {
                            name: key.to_string(),
                            declared: declared.and_then(|s| s.column_type(key)),
                            inferred: None,
                            misfits: 0,
                        });
                        fields.len() - 1
                    }))
                });
                found.extend(slot.map(|i| (i, value)));
            });
            // A skipped line's values count for nothing.
            if read == Ok(true) {
                // `seen[i]` is the last line (counted from 1) that had field i.
                seen.resize(fields.len(), 0);
                for (i, value) in found.drain(..) {
                    part.repeated_keys |= seen[i] == part.lines;
                    seen[i] = part.lines;
                    let f = &mut fields[i];
                    match f.declared {
                        Some(ty) => f.misfits += usize::from(!fits(value, ty)),
                        None => f.inferred = merge(f.inferred, kind_of_raw(value)),
                    }
                }
            }
            match read {
                Ok(true) => part.rows += 1,
                Ok(false) => {}
                Err((msg, col)) => {
                    let located = (msg, part.lines, col);
                    if on_error == OnError::Fail {
                        part.error = Some(located);
                        return Ok(part);
                    }
                    part.skipped.push(located);
                }
            }
        }
        blocks.recycle(block.bytes);
    }
    Ok(part)
}
