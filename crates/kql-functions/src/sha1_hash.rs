//! `hash_sha1`: the SHA-1 of a value's text, in hex (DataFusion has MD5 and SHA-2 only).

use crate::udf::{strings, udf};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use sha1::{Digest, Sha1};
use std::fmt::Write;
use std::sync::Arc;

udf!(SHA1, "kql_sha1", DataType::Utf8, body);

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 40);
    for r in 0..rows {
        out.append_option(input.get(r).map(|s| {
            Sha1::digest(s.as_bytes())
                .iter()
                .fold(String::with_capacity(40), |mut hex, b| {
                    let _ = write!(hex, "{b:02x}");
                    hex
                })
        }));
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, StringArray};

    #[test]
    fn sha1_matches_the_documented_digest() {
        let input: ArrayRef = Arc::new(StringArray::from(vec!["World"]));
        let out = body(&[input], 1).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(out.value(0), "70c07ec18ef89c5309bbb0937f3a6342411e1fdd");
    }
}
