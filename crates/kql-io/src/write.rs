//! Result writers: Log Analytics JSON, NDJSON, CSV and aligned text tables.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType,
};
use datafusion::arrow::record_batch::RecordBatch;
use kql_types::{KType, format_datetime, format_real, format_timespan};
use serde_json::{Map, Number, Value, json};
use std::borrow::Cow;
use std::io::{self, Write};

/// A query result ready to write: column names and Kusto types, and the rows.
pub struct ResultTable<'a> {
    pub name: &'a str,
    pub columns: &'a [(String, KType)],
    pub batches: &'a [RecordBatch],
}

impl ResultTable<'_> {
    fn rows(&self) -> impl Iterator<Item = (&RecordBatch, usize)> {
        self.batches
            .iter()
            .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
    }

    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// The value of one cell as JSON, the way Kusto's JSON output writes it.
pub fn cell_json(a: &ArrayRef, row: usize, ty: KType) -> Value {
    if a.is_null(row) {
        return match ty {
            KType::String => Value::String(String::new()),
            _ => Value::Null,
        };
    }
    match ty {
        KType::Bool => Value::Bool(a.as_boolean().value(row)),
        KType::Int => json!(a.as_primitive::<Int32Type>().value(row)),
        KType::Long => json!(a.as_primitive::<Int64Type>().value(row)),
        KType::Real => {
            let v = a.as_primitive::<Float64Type>().value(row);
            Number::from_f64(v).map_or_else(|| Value::String(format_real(v)), Value::Number)
        }
        KType::Datetime => Value::String(format_datetime(
            a.as_primitive::<TimestampNanosecondType>().value(row),
        )),
        KType::Timespan => Value::String(format_timespan(
            a.as_primitive::<DurationNanosecondType>().value(row),
        )),
        KType::Dynamic => {
            let text = cell_text(a, row, KType::String);
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
        }
        KType::String | KType::Guid | KType::Decimal => {
            Value::String(cell_text(a, row, ty).into_owned())
        }
    }
}

/// The value of one cell as text (tables and CSV); null is "". Text cells are borrowed.
pub fn cell_text(a: &ArrayRef, row: usize, ty: KType) -> Cow<'_, str> {
    if a.is_null(row) {
        return Cow::Borrowed("");
    }
    if let Some(s) = a.as_string_opt::<i32>() {
        return Cow::Borrowed(s.value(row));
    }
    if let Some(s) = a.as_string_view_opt() {
        return Cow::Borrowed(s.value(row));
    }
    Cow::Owned(match ty {
        KType::Real => format_real(a.as_primitive::<Float64Type>().value(row)),
        KType::Datetime => format_datetime(a.as_primitive::<TimestampNanosecondType>().value(row)),
        KType::Timespan => format_timespan(a.as_primitive::<DurationNanosecondType>().value(row)),
        KType::Decimal => {
            let text =
                datafusion::arrow::util::display::array_value_to_string(a, row).unwrap_or_default();
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            }
        }
        _ => datafusion::arrow::util::display::array_value_to_string(a, row).unwrap_or_default(),
    })
}

/// `{"tables":[{"name","columns":[{"name","type"}],"rows":[[...]]}]}`.
pub fn write_json(out: &mut dyn Write, tables: &[ResultTable]) -> io::Result<()> {
    let tables: Vec<Value> = tables
        .iter()
        .map(|t| {
            let columns: Vec<Value> = t
                .columns
                .iter()
                .map(|(n, ty)| json!({"name": n, "type": ty.name()}))
                .collect();
            let rows: Vec<Value> = t
                .rows()
                .map(|(b, r)| {
                    Value::Array(
                        t.columns
                            .iter()
                            .enumerate()
                            .map(|(i, (_, ty))| cell_json(b.column(i), r, *ty))
                            .collect(),
                    )
                })
                .collect();
            json!({"name": t.name, "columns": columns, "rows": rows})
        })
        .collect();
    serde_json::to_writer(&mut *out, &json!({ "tables": tables }))?;
    writeln!(out)
}

pub fn write_ndjson(out: &mut dyn Write, t: &ResultTable) -> io::Result<()> {
    for (b, r) in t.rows() {
        let mut obj = Map::new();
        for (i, (n, ty)) in t.columns.iter().enumerate() {
            obj.insert(n.clone(), cell_json(b.column(i), r, *ty));
        }
        serde_json::to_writer(&mut *out, &Value::Object(obj))?;
        writeln!(out)?;
    }
    Ok(())
}

/// One CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
fn write_csv_field(out: &mut dyn Write, s: &str) -> io::Result<()> {
    if !s.contains([',', '"', '\n', '\r']) {
        return out.write_all(s.as_bytes());
    }
    out.write_all(b"\"")?;
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\"")
}

/// Writes one CSV line of `cells`.
fn write_csv_line<'a>(
    out: &mut dyn Write,
    cells: impl Iterator<Item = Cow<'a, str>>,
) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_field(out, &cell)?;
    }
    out.write_all(b"\n")
}

pub fn write_csv(out: &mut dyn Write, t: &ResultTable) -> io::Result<()> {
    write_csv_line(
        out,
        t.columns.iter().map(|(n, _)| Cow::Borrowed(n.as_str())),
    )?;
    for (b, r) in t.rows() {
        let cells = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| cell_text(b.column(i), r, *ty));
        write_csv_line(out, cells)?;
    }
    Ok(())
}

/// An aligned text table; cells longer than `max_cell` characters are cut with `…`.
pub fn write_table(out: &mut dyn Write, t: &ResultTable, max_cell: usize) -> io::Result<()> {
    let cut = |s: Cow<str>| -> String {
        let s = s.replace(['\n', '\r'], " ");
        if s.chars().count() > max_cell {
            let mut c: String = s.chars().take(max_cell.saturating_sub(1)).collect();
            c.push('…');
            c
        } else {
            s
        }
    };
    let mut grid: Vec<Vec<String>> = vec![t.columns.iter().map(|(n, _)| n.clone()).collect()];
    for (b, r) in t.rows() {
        grid.push(
            t.columns
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| cut(cell_text(b.column(i), r, *ty)))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..t.columns.len())
        .map(|c| {
            grid.iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        writeln!(out, "{}", line.join(" | ").trim_end())?;
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            writeln!(out, "{}", rule.join("-+-"))?;
        }
    }
    Ok(())
}
