//! Escape-dense JSON string text read 64 bytes at a time: one mask each of the quotes, the
//! backslashes and the control bytes of a window, and from the backslashes, without a loop,
//! which bytes are escaped (simdjson's odd-run trick). A window whose escapes are all `\"`
//! and `\\` (the text of a JSON document held in a string) is judged without looking at any
//! escape on its own; other escapes (`\n`, `\u…`) are handed out one by one.

use wide::u8x16;

/// How the string text read from a position goes on.
pub(crate) enum Windows {
    /// It closes: the offset after the closing quote.
    At(usize),
    /// A control byte, or an escape that was not wanted, at this offset.
    Rejected(usize),
    /// Fewer than 64 bytes are left from this offset (not an escaped byte) without a
    /// closing quote: the rest is for a reader of shorter steps.
    Short(usize),
}

/// Reads string text from `i`, which must not be an escaped byte, 64 bytes at a time while
/// 64 are left. Escaped quotes and backslashes are taken as they are; `escape(at)` judges
/// each other escaped byte (at `at`, after its backslash), and `controls` rejects control
/// bytes.
pub(crate) fn string_windows(
    s: &[u8],
    mut i: usize,
    controls: bool,
    mut escape: impl FnMut(usize) -> bool,
) -> Windows {
    while let Some(w) = s.get(i..i + 64).and_then(|w| <&[u8; 64]>::try_from(w).ok()) {
        let masks = Masks::of(w);
        let (escaped, escaping) = escapes(masks.backslashes);
        let closing = masks.quotes & !escaped;
        // The bytes judged: up to the closing quote, else the whole window, but for a
        // backslash at its end, whose escape is read with the next window.
        let len = if closing != 0 {
            closing.trailing_zeros()
        } else if escaping >> 63 != 0 {
            63
        } else {
            64
        };
        let within = u64::MAX.checked_shr(64 - len).unwrap_or(0);
        if controls {
            let bad = masks.controls & within;
            if bad != 0 {
                return Windows::Rejected(i + bad.trailing_zeros() as usize);
            }
        }
        let mut others = escaped & within & !(masks.quotes | masks.backslashes);
        while others != 0 {
            let at = i + others.trailing_zeros() as usize;
            if !escape(at) {
                return Windows::Rejected(at);
            }
            others &= others - 1;
        }
        if closing != 0 {
            return Windows::At(i + len as usize + 1);
        }
        i += len as usize;
    }
    Windows::Short(i)
}

/// A bit per byte of a 64-byte window, in memory order.
struct Masks {
    quotes: u64,
    backslashes: u64,
    controls: u64,
}

impl Masks {
    fn of(w: &[u8; 64]) -> Masks {
        let mut m = Masks {
            quotes: 0,
            backslashes: 0,
            controls: 0,
        };
        for (k, chunk) in w.chunks_exact(16).enumerate() {
            let Ok(block) = <[u8; 16]>::try_from(chunk) else {
                continue;
            };
            let v = u8x16::new(block);
            let bits = |b: u8x16| u64::from(b.to_bitmask() as u16) << (16 * k);
            m.quotes |= bits(v.simd_eq(u8x16::splat(b'"')));
            m.backslashes |= bits(v.simd_eq(u8x16::splat(b'\\')));
            m.controls |= bits(v.min(u8x16::splat(0x1f)).simd_eq(v));
        }
        m
    }
}

const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// From the backslashes of a window whose first byte is not escaped: the bytes escaped (each
/// right after an escaping backslash) and the escaping backslashes. Of a run of backslashes,
/// every other one escapes the next byte, starting with the first: the subtraction carries
/// each run's start across the run, and the odd bits tell where a run started.
fn escapes(backslashes: u64) -> (u64, u64) {
    let maybe_escaped_and_odd = (backslashes << 1) | ODD_BITS;
    let even_runs_and_odd = maybe_escaped_and_odd.wrapping_sub(backslashes);
    let escape_and_escaped = even_runs_and_odd ^ ODD_BITS;
    (
        escape_and_escaped ^ backslashes,
        escape_and_escaped & backslashes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaped bytes and escaping backslashes, byte by byte.
    fn slow(backslashes: u64) -> (u64, u64) {
        let (mut escaped, mut escaping) = (0, 0);
        let mut pending = false;
        for bit in 0..64 {
            if pending {
                escaped |= 1 << bit;
                pending = false;
            } else if backslashes >> bit & 1 == 1 {
                escaping |= 1 << bit;
                pending = true;
            }
        }
        (escaped, escaping)
    }

    #[test]
    fn escapes_match_a_byte_by_byte_reading() {
        let mut state: u64 = 7;
        for round in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Sparse, dense and run-heavy masks.
            let b = match round % 3 {
                0 => state,
                1 => state & (state >> 7),
                _ => state | (state << 1) | (state << 2),
            };
            assert_eq!(escapes(b), slow(b), "{b:064b}");
        }
        for b in [0, u64::MAX, 1, 1 << 63, 0b11, 0b111, ODD_BITS, !ODD_BITS] {
            assert_eq!(escapes(b), slow(b), "{b:064b}");
        }
    }
}
