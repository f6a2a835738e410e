//! `hash(value [, mod])` and `hash_xxhash64`: XXH64 (seed 0) of the value's bytes, as
//! Kusto computes it: the UTF-8 of a string, the 100-ns ticks (since 0001-01-01) of a
//! datetime or timespan, the little-endian bytes of a number.

use crate::coerce::cast_to;
use crate::table::CallCtx;
use crate::typed::Typed;
use crate::udf::KqlUdf;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use kql_types::KType;
use std::sync::{Arc, LazyLock};

static XXHASH64: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_xxhash64", DataType::Int64, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![XXHASH64.clone()]
}

/// Ticks from 0001-01-01 to 1970-01-01.
const EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// The binding of `hash` and `hash_xxhash64`: the hash, or its remainder by `mod`.
pub fn hash(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let value = it.next().ok_or("hash() needs a value")?;
    let value = match value.ty {
        KType::Dynamic | KType::Guid => cast_to(value, KType::String),
        _ => value,
    };
    let h = XXHASH64.call(vec![value.expr]);
    Ok(match it.next() {
        None => Typed::new(h, KType::Long),
        Some(m) => {
            let m = cast_to(m, KType::Long).expr;
            // A non-negative remainder, as Kusto gives.
            let r = ((h % m.clone()) + m.clone()) % m;
            Typed::new(r, KType::Long)
        }
    })
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let Some(a) = args.first() else {
        return exec_err!("kql_xxhash64: missing argument");
    };
    let bytes: Box<dyn Fn(usize) -> Vec<u8>> = match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            Box::new(move |r| s.value(r).as_bytes().to_vec())
        }
        DataType::Int64 => {
            let x = a.as_primitive::<Int64Type>();
            Box::new(move |r| x.value(r).to_le_bytes().to_vec())
        }
        DataType::Int32 => {
            let x = a.as_primitive::<Int32Type>();
            Box::new(move |r| x.value(r).to_le_bytes().to_vec())
        }
        DataType::Float64 => {
            let x = a.as_primitive::<Float64Type>();
            Box::new(move |r| x.value(r).to_le_bytes().to_vec())
        }
        DataType::Boolean => {
            let x = a.as_boolean();
            Box::new(move |r| vec![u8::from(x.value(r))])
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let x = a.as_primitive::<TimestampNanosecondType>();
            Box::new(move |r| (x.value(r) / 100 + EPOCH_TICKS).to_le_bytes().to_vec())
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            let x = a.as_primitive::<DurationNanosecondType>();
            Box::new(move |r| (x.value(r) / 100).to_le_bytes().to_vec())
        }
        other => return exec_err!("hash() of {other} is not supported"),
    };
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        if a.is_valid(r) {
            out.append_value(xxh64(&bytes(r), 0) as i64);
        } else {
            out.append_null();
        }
    }
    Ok(Arc::new(out.finish()))
}

const P1: u64 = 11_400_714_785_074_694_791;
const P2: u64 = 14_029_467_366_897_019_727;
const P3: u64 = 1_609_587_929_392_839_161;
const P4: u64 = 9_650_029_242_287_828_579;
const P5: u64 = 2_870_177_450_012_600_261;

fn round(acc: u64, lane: u64) -> u64 {
    acc.wrapping_add(lane.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge(h: u64, v: u64) -> u64 {
    (h ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
}

fn lane(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// XXH64 of `data`.
fn xxh64(data: &[u8], seed: u64) -> u64 {
    let mut rest = data;
    let mut h = if data.len() >= 32 {
        let mut v = [
            seed.wrapping_add(P1).wrapping_add(P2),
            seed.wrapping_add(P2),
            seed,
            seed.wrapping_sub(P1),
        ];
        while rest.len() >= 32 {
            for (k, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, lane(&rest[8 * k..]));
            }
            rest = &rest[32..];
        }
        let h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        v.iter().fold(h, |h, acc| merge(h, *acc))
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(data.len() as u64);
    while rest.len() >= 8 {
        h ^= round(0, lane(rest));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&rest[..4]);
        h ^= u64::from(u32::from_le_bytes(w)).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        rest = &rest[4..];
    }
    for b in rest {
        h ^= u64::from(*b).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_kusto_and_the_reference_vectors() {
        assert_eq!(xxh64(b"World", 0) as i64, 1_846_988_464_401_551_951);
        assert_eq!(xxh64(b"Hello", 0) as i64, 753_694_413_698_530_628);
        assert_eq!(xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
        let long = b"Nobody inspects the spammish repetition, twice over and again";
        assert_eq!(xxh64(long, 0), xxh64(long, 0));
        let ticks = 635_556_672_000_000_000i64; // 2015-01-01
        assert_eq!(
            xxh64(&ticks.to_le_bytes(), 0) as i64,
            1_380_966_698_541_616_202
        );
    }
}
