//! `coalesce` of strings: the first argument that is neither null nor empty, else "".
//! One pass over arrays already evaluated, where a `CASE` would test each argument twice
//! and filter the whole batch for every branch.

use crate::udf::{StrArg, strings, udf};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use std::sync::Arc;

udf!(
    COALESCE_TEXT,
    "kql_coalesce_text",
    DataType::Utf8,
    coalesce_text_body
);

fn coalesce_text_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts: Vec<StrArg> = (0..args.len())
        .map(|i| strings(args, i))
        .collect::<Result<_>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for row in 0..rows {
        let first = texts
            .iter()
            .find_map(|t| t.get(row).filter(|s| !s.is_empty()));
        out.append_value(first.unwrap_or(""));
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, StringArray};

    #[test]
    fn first_non_empty() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some(""), None]));
        let b: ArrayRef = Arc::new(StringArray::from(vec![
            Some("x"),
            Some("b"),
            None,
            Some(""),
        ]));
        let c: ArrayRef = Arc::new(StringArray::from(vec!["y", "z", "c", ""]));
        let out = coalesce_text_body(&[a, b, c], 4).unwrap();
        let got: Vec<Option<&str>> = out.as_string::<i32>().iter().collect();
        assert_eq!(got, [Some("a"), Some("b"), Some("c"), Some("")]);
    }
}
