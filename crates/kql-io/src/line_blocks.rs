//! A byte range of a file read as blocks of whole lines, with bounded memory. A range owns
//! the lines that start inside it, so that ranges cut anywhere share a file's lines out
//! exactly once.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How much is read at a time (a longer line grows the block).
const BLOCK: usize = 4 << 20;

/// The least read at a time: what is left of a small range, or the end of its last line.
const MIN_READ: usize = 64 << 10;

/// Whole lines, and the file offset of their first byte.
pub struct Block {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

pub struct LineBlocks {
    file: File,
    /// Next file offset to read.
    pos: u64,
    /// Lines starting at or after this offset belong to the next range.
    end: u64,
    /// Bytes read but not handed out yet (a partial line), and their file offset.
    carry: Vec<u8>,
    carry_offset: u64,
    /// Still to drop everything up to and including the first line end.
    skip_first: bool,
    done: bool,
    block: usize,
    /// A buffer handed back by the reader of an earlier block, to read the next one into.
    spare: Vec<u8>,
}

impl LineBlocks {
    pub fn open(path: &Path, start: u64, end: u64) -> io::Result<Self> {
        Self::with_block(path, start, end, BLOCK)
    }

    pub(crate) fn with_block(path: &Path, start: u64, end: u64, block: usize) -> io::Result<Self> {
        // From the byte before `start`: a line end there means a line starts at `start`.
        let pos = start.saturating_sub(1);
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(pos))?;
        Ok(LineBlocks {
            file,
            pos,
            end,
            carry: Vec::new(),
            carry_offset: start.saturating_sub(1),
            skip_first: start > 0,
            done: start >= end && start > 0,
            block,
            spare: Vec::new(),
        })
    }

    /// Hands back a block's bytes, to be read into again: a reader that is done with each
    /// block before it asks for the next saves a fresh allocation per block.
    pub fn recycle(&mut self, mut bytes: Vec<u8>) {
        bytes.clear();
        self.spare = bytes;
    }

    /// The next block of whole lines, `None` at the end of the range.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        while !self.done {
            let carry = std::mem::take(&mut self.carry);
            let mut buf = if self.spare.capacity() > 0 {
                let mut spare = std::mem::take(&mut self.spare);
                spare.extend_from_slice(&carry);
                spare
            } else {
                carry
            };
            let offset = self.carry_offset;
            // No bigger a buffer than the range needs (small files cost no 4 MiB each).
            let left = usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX);
            let want = self.block.min(left.max(MIN_READ));
            buf.reserve(want);
            // Read into the spare capacity (`read_to_end` does not zero it first).
            let n = (&self.file).take(want as u64).read_to_end(&mut buf)?;
            self.pos += n as u64;
            let eof = n == 0;
            let mut start = 0;
            if self.skip_first {
                match memchr::memchr(b'\n', &buf) {
                    Some(nl) => {
                        start = nl + 1;
                        self.skip_first = false;
                    }
                    None if eof => return self.finish(),
                    None => {
                        self.carry_offset = offset + buf.len() as u64;
                        continue;
                    }
                }
            }
            // Whole lines end at the last line end; at the end of the file, so does the rest.
            let cut = if eof {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', &buf[start..]) {
                    Some(nl) => start + nl + 1,
                    None => {
                        // A line longer than a block: keep reading.
                        buf.drain(..start);
                        self.carry_offset = offset + start as u64;
                        self.carry = buf;
                        continue;
                    }
                }
            };
            // Lines starting at or after `end` are the next range's.
            let block_start = offset + start as u64;
            let mut stop = cut;
            if block_start + (cut - start) as u64 > self.end {
                let own = (self.end.saturating_sub(block_start)) as usize;
                // The line that holds byte `end - 1` is the last one that starts in range.
                stop = match own {
                    0 => start,
                    own => match memchr::memchr(b'\n', &buf[start + own - 1..cut]) {
                        Some(nl) => start + own + nl,
                        None => cut,
                    },
                };
                self.done = true;
            }
            if eof {
                self.done = true;
            }
            self.carry = buf[cut..].to_vec();
            self.carry_offset = offset + cut as u64;
            buf.truncate(stop);
            buf.drain(..start);
            if !buf.is_empty() {
                return Ok(Some(Block {
                    offset: block_start,
                    bytes: buf,
                }));
            }
        }
        Ok(None)
    }

    fn finish(&mut self) -> io::Result<Option<Block>> {
        self.done = true;
        Ok(None)
    }
}

/// Text above this size is read by several threads.
pub const PARALLEL_BYTES: u64 = 1 << 20;

/// How many threads read `len` bytes: one for small text, else one per core (at most 16).
pub fn reading_threads(len: u64) -> usize {
    if len < PARALLEL_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
    }
}

/// Cuts a file of `len` bytes into `parts` ranges of about the same size.
pub fn ranges(len: u64, parts: usize) -> Vec<(u64, u64)> {
    let parts = parts.max(1) as u64;
    (0..parts)
        .map(|p| (len * p / parts, len * (p + 1) / parts))
        .filter(|(s, e)| e > s || (*s == 0 && len == 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The lines of every range; with `recycle`, each block's bytes are handed back.
    fn lines_of(
        path: &Path,
        len: u64,
        parts: usize,
        block: usize,
        recycle: bool,
    ) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for (s, e) in ranges(len, parts) {
            let mut r = LineBlocks::with_block(path, s, e, block).unwrap();
            while let Some(b) = r.next_block().unwrap() {
                let mut at = b.offset;
                for line in b.bytes.split_inclusive(|c| *c == b'\n') {
                    out.push((at, String::from_utf8_lossy(line).into_owned()));
                    at += line.len() as u64;
                }
                if recycle {
                    r.recycle(b.bytes);
                }
            }
        }
        out
    }

    #[test]
    fn every_cut_shares_the_lines_out_once() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&"x".repeat(i % 7));
            text.push('\n');
        }
        text.push_str("last");
        f.write_all(text.as_bytes()).unwrap();
        let len = text.len() as u64;
        let want = lines_of(f.path(), len, 1, BLOCK, false);
        assert_eq!(want.len(), 41);
        let joined: String = want.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(joined, text);
        for parts in 1..60 {
            for block in [1, 2, 3, 5, 8, 64] {
                for recycle in [false, true] {
                    let got = lines_of(f.path(), len, parts, block, recycle);
                    assert_eq!(got, want, "{parts} parts, blocks of {block}, {recycle}");
                }
            }
        }
    }
}
