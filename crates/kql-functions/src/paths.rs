//! Functions that take apart or build text of a particular shape: `parse_path`,
//! `parse_command_line`, `make_string` (code points to text) and `range` (an array).

use crate::coerce::{cast_to, to_dynamic};
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, cast, lit};
use kql_types::{KType, datetime_text, format_timespan};
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

static PARSE_PATH: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_path", DataType::Utf8, parse_path_body));
static PARSE_COMMAND_LINE: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_command_line", DataType::Utf8, command_line_body));
static MAKE_STRING: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_make_string", DataType::Utf8, make_string_body));
static RANGE: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_range", DataType::Utf8, range_body));

/// The most elements `range()` builds (Kusto's limit).
const RANGE_LIMIT: usize = 1_048_576;

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        PARSE_PATH.clone(),
        PARSE_COMMAND_LINE.clone(),
        MAKE_STRING.clone(),
        RANGE.clone(),
    ]
}

use crate::table::scalar_fn as f;

pub static PATHS: &[FunctionSpec] = &[
    f!(
        "parse_path",
        [],
        1,
        1,
        |_, a| text_udf(&PARSE_PATH, a),
        "The parts of a file path (Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension, AlternateDataStreamName)."
    ),
    f!(
        "parse_command_line",
        [],
        2,
        2,
        |_, a| text_udf(&PARSE_COMMAND_LINE, a),
        "The arguments of a Windows command line, as a dynamic array."
    ),
    f!(
        "unicode_codepoints_to_string",
        ["make_string"],
        1,
        usize::MAX,
        make_string,
        "The text of Unicode code points (numbers or arrays of numbers)."
    ),
    f!(
        "range",
        [],
        2,
        3,
        range,
        "A dynamic array of the values from start to stop (inclusive) by step (default 1)."
    ),
];

fn text_udf(udf: &Arc<ScalarUDF>, a: Vec<Typed>) -> Result<Typed, String> {
    let args = a.iter().map(crate::coerce::to_text).collect();
    Ok(Typed::new(udf.call(args), KType::Dynamic))
}

fn make_string(_: &CallCtx, a: Vec<Typed>) -> Result<Typed, String> {
    let args = a.into_iter().map(|t| to_dynamic(t).expr).collect();
    Ok(Typed::new(MAKE_STRING.call(args), KType::String))
}

fn range(_: &CallCtx, a: Vec<Typed>) -> Result<Typed, String> {
    let kind = a.first().map_or(KType::Real, |t| t.ty);
    let ticks = matches!(kind, KType::Datetime | KType::Timespan);
    let mut args: Vec<_> = a
        .into_iter()
        .map(|t| match t.ty {
            KType::Datetime | KType::Timespan if ticks => Ok(cast(t.expr, DataType::Int64)),
            KType::Int | KType::Long | KType::Real | KType::Decimal if !ticks => {
                Ok(cast_to(t, KType::Real).expr)
            }
            other => Err(format!("range() cannot step {kind} values by {other}")),
        })
        .collect::<Result<_, String>>()?;
    if args.len() == 2 {
        args.push(if ticks {
            lit(3_600_000_000_000i64)
        } else {
            lit(1.0)
        });
    }
    args.push(lit(kind.name()));
    Ok(Typed::new(RANGE.call(args), KType::Dynamic))
}

fn parse_path_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 64);
    for r in 0..rows {
        out.append_value(Value::Object(parse_path(input.get(r).unwrap_or(""))).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn parse_path(path: &str) -> Map<String, Value> {
    let (scheme, rest) = match path.find("://") {
        Some(i) => (&path[..i], &path[i + 3..]),
        None => ("", path),
    };
    let sep = |c: char| c == '\\' || c == '/';
    let root_len = if rest.len() >= 2 && rest.as_bytes()[1] == b':' {
        2
    } else if let Some(unc) = rest.strip_prefix("\\\\") {
        unc.find(sep).map_or(rest.len(), |i| i + 2)
    } else {
        0
    };
    let root = &rest[..root_len];
    let (dir, file) = match rest.rfind(sep) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (file, stream) = match file.find(':') {
        Some(i) => (&file[..i], &file[i + 1..]),
        None => (file, ""),
    };
    let extension = file.rfind('.').map_or("", |i| &file[i + 1..]);
    let dir_name = dir.rsplit(sep).next().unwrap_or("");
    let mut m = Map::new();
    let mut put = |k: &str, v: &str| {
        m.insert(k.to_string(), Value::String(v.to_string()));
    };
    put("Scheme", scheme);
    put("RootPath", root);
    put("DirectoryPath", dir);
    put("DirectoryName", dir_name);
    put("Filename", file);
    put("Extension", extension);
    put("AlternateDataStreamName", stream);
    m
}

fn command_line_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 64);
    for r in 0..rows {
        let parts: Vec<Value> = split_windows(input.get(r).unwrap_or(""))
            .into_iter()
            .map(Value::String)
            .collect();
        out.append_value(Value::Array(parts).to_string());
    }
    Ok(Arc::new(out.finish()))
}

/// Splits a command line as Windows' `CommandLineToArgvW` does: whitespace separates,
/// double quotes group, backslashes escape only before a quote.
fn split_windows(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has_arg = false;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let start = i;
            while i < chars.len() && chars[i] == '\\' {
                i += 1;
            }
            let n = i - start;
            if i < chars.len() && chars[i] == '"' {
                cur.extend(std::iter::repeat_n('\\', n / 2));
                if n % 2 == 1 {
                    cur.push('"');
                    i += 1;
                }
            } else {
                cur.extend(std::iter::repeat_n('\\', n));
            }
            has_arg = true;
            continue;
        }
        if c == '"' {
            in_quotes = !in_quotes;
            has_arg = true;
        } else if c.is_whitespace() && !in_quotes {
            if has_arg {
                out.push(std::mem::take(&mut cur));
                has_arg = false;
            }
        } else {
            cur.push(c);
            has_arg = true;
        }
        i += 1;
    }
    if has_arg {
        out.push(cur);
    }
    out
}

fn make_string_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let mut text = String::new();
        for i in 0..args.len() {
            let Some(v) = strings(args, i)?.get(r).map(crate::dynamic::parse_stored) else {
                continue;
            };
            let codes = match v {
                Value::Array(items) => items,
                other => vec![other],
            };
            for c in codes {
                if let Some(ch) = c
                    .as_u64()
                    .and_then(|c| u32::try_from(c).ok())
                    .and_then(char::from_u32)
                {
                    text.push(ch);
                }
            }
        }
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

fn range_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let kind = KType::from_name(strings(args, 3)?.get(0).unwrap_or("real")).unwrap_or(KType::Real);
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    if matches!(kind, KType::Datetime | KType::Timespan) {
        let get = |i: usize| args[i].as_primitive_opt::<Int64Type>();
        let (Some(start), Some(stop), Some(step)) = (get(0), get(1), get(2)) else {
            return datafusion::common::exec_err!("range() takes datetimes and a timespan");
        };
        for r in 0..rows {
            if start.is_null(r) || stop.is_null(r) || step.is_null(r) || step.value(r) == 0 {
                out.append_null();
                continue;
            }
            let (a, b, s) = (start.value(r), stop.value(r), step.value(r));
            let mut items = Vec::new();
            let mut v = a;
            while ((s > 0 && v <= b) || (s < 0 && v >= b)) && items.len() < RANGE_LIMIT {
                items.push(Value::String(if kind == KType::Datetime {
                    datetime_text(v)
                } else {
                    format_timespan(v)
                }));
                v = v.saturating_add(s);
            }
            out.append_value(Value::Array(items).to_string());
        }
        return Ok(Arc::new(out.finish()));
    }
    let get = |i: usize| args[i].as_primitive_opt::<Float64Type>();
    let (Some(start), Some(stop), Some(step)) = (get(0), get(1), get(2)) else {
        return datafusion::common::exec_err!("range() takes numbers");
    };
    for r in 0..rows {
        if start.is_null(r) || stop.is_null(r) || step.is_null(r) || step.value(r) == 0.0 {
            out.append_null();
            continue;
        }
        let (a, b, s) = (start.value(r), stop.value(r), step.value(r));
        let whole = [a, b, s].iter().all(|v| v.fract() == 0.0);
        let mut items = Vec::new();
        let mut k = 0.0;
        loop {
            let v = a + k * s;
            if (s > 0.0 && v > b) || (s < 0.0 && v < b) || items.len() >= RANGE_LIMIT {
                break;
            }
            items.push(if whole {
                Value::from(v as i64)
            } else {
                serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
            });
            k += 1.0;
        }
        out.append_value(Value::Array(items).to_string());
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_command_lines() {
        assert_eq!(
            split_windows(r#"cmd.exe /c "a b" c\\d "e\"f""#),
            vec!["cmd.exe", "/c", "a b", r"c\\d", "e\"f"]
        );
    }

    #[test]
    fn path_parts() {
        let m = parse_path(r"C:\Windows\System32\cmd.exe");
        assert_eq!(m["RootPath"], "C:");
        assert_eq!(m["DirectoryPath"], r"C:\Windows\System32");
        assert_eq!(m["DirectoryName"], "System32");
        assert_eq!(m["Filename"], "cmd.exe");
        assert_eq!(m["Extension"], "exe");
    }
}
