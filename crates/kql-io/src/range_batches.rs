//! The batches of one byte range of an NDJSON file: its lines cut into batches, each line
//! read as far as the scan needs (the pushed-down filters' columns first, the others for the
//! rows that pass them), then decoded into columns.

use crate::json::OnError;
use crate::line_blocks::{Block, LineBlocks};
use crate::ndjson_line::{KeySlots, LineError, line_members, lines, trusted_line_members};
use crate::ndjson_scan::{ScanDecode, ScanRange};
use crate::scan_filter::Passed;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{DataFusionError, Result};
use kql_types::KType;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The batches of a range: each block of lines is cut into batches of at most
/// `batch_size` rows.
pub(crate) struct RangeBatches {
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
    pub(crate) fn new(
        range: ScanRange,
        decode: Arc<ScanDecode>,
        batch_size: usize,
        schema: SchemaRef,
    ) -> RangeBatches {
        let index = decode
            .columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        RangeBatches {
            blocks: None,
            block: None,
            cursor: 0,
            index,
            slots: KeySlots::default(),
            done: false,
            range,
            decode,
            batch_size,
            schema,
        }
    }

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
                .complete(&mut reader, mask(f.columns()), passed.kept())
                .map_err(located)?;
            if !passed.apply(f, rows_read.spans, &types)? {
                return Ok(None);
            }
        }
        rows_read
            .complete(&mut reader, every, passed.kept())
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
        kept: impl Iterator<Item = usize>,
    ) -> Result<(), (usize, LineError)> {
        for r in kept {
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
                seen |= bit(i);
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

/// The bit of column `c` in a set of columns (none past the 64th: such scans read lines
/// whole).
fn bit(c: usize) -> u64 {
    1u64.checked_shl(c as u32).unwrap_or(0)
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
