//! Rows for any table schema: each column gets values of its Kusto type, strings drawn from
//! a vocabulary (so that filters, joins and groupings find matches), times spread over the
//! ten days before `now`. The same seed gives the same bytes.

use crate::{DAY_NANOS, Rng, kql_types_free_format};
use serde_json::{Value, json};
use std::io::{self, Write};

/// What to generate for one table.
#[derive(Debug, Clone)]
pub struct TableRows<'a> {
    /// (column, Kusto type name).
    pub columns: &'a [(String, String)],
    pub rows: usize,
    pub seed: u64,
    /// The end of the time range (nanoseconds since the epoch).
    pub now: i64,
    /// Texts string columns take half of the time (e.g. the literals of the queries that
    /// read the table); the other half are `COLUMN-N` for small N.
    pub words: &'a [String],
    /// Numbers integer columns take half of the time; the others are below 10.
    pub numbers: &'a [i64],
}

/// Writes the rows as NDJSON.
pub fn write_rows(t: &TableRows<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng(t.seed);
    for _ in 0..t.rows {
        let mut row = serde_json::Map::new();
        for (name, ty) in t.columns {
            row.insert(name.clone(), value(&mut rng, t, name, ty));
        }
        serde_json::to_writer(&mut *out, &Value::Object(row))?;
        writeln!(out)?;
    }
    Ok(())
}

fn word(rng: &mut Rng, t: &TableRows<'_>, column: &str) -> String {
    if !t.words.is_empty() && rng.chance(50) {
        return t.words[rng.below(t.words.len() as u64) as usize].clone();
    }
    format!("{column}-{}", rng.below(6))
}

fn number(rng: &mut Rng, t: &TableRows<'_>) -> i64 {
    if !t.numbers.is_empty() && rng.chance(50) {
        return t.numbers[rng.below(t.numbers.len() as u64) as usize];
    }
    rng.below(10) as i64
}

fn value(rng: &mut Rng, t: &TableRows<'_>, column: &str, ty: &str) -> Value {
    if rng.chance(5) {
        return Value::Null;
    }
    match ty.to_ascii_lowercase().as_str() {
        "bool" | "boolean" => json!(rng.chance(50)),
        "int" | "long" => json!(number(rng, t)),
        "real" | "double" | "decimal" => json!(rng.below(10_000) as f64 / 8.0),
        "datetime" | "date" => {
            let at = t.now - rng.below((10 * DAY_NANOS) as u64) as i64;
            json!(kql_types_free_format(at - at % 1_000_000))
        }
        "timespan" | "time" => json!(format!("00:{:02}:{:02}", rng.below(60), rng.below(60))),
        "guid" | "uniqueid" => json!(format!(
            "{:08x}-0000-4000-8000-{:012x}",
            rng.below(16),
            rng.below(16)
        )),
        "dynamic" => match rng.below(3) {
            0 => json!({ "Name": word(rng, t, column), "Count": number(rng, t) }),
            1 => json!([word(rng, t, column), word(rng, t, column)]),
            _ => json!(word(rng, t, column)),
        },
        _ => json!(word(rng, t, column)),
    }
}
