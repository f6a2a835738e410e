//! Text codecs: punycode (strings and domain names) and gzip/zlib as base64. A text that does
//! not decode gives empty text, as Kusto does.

use crate::text_extra::map_text;
use crate::udf::udf;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

udf!(
    PUNYCODE_FROM,
    "kql_punycode_from_string",
    DataType::Utf8,
    punycode_from_body
);
udf!(
    PUNYCODE_TO,
    "kql_punycode_to_string",
    DataType::Utf8,
    punycode_to_body
);
udf!(
    PUNYCODE_DOMAIN_FROM,
    "kql_punycode_domain_from_string",
    DataType::Utf8,
    punycode_domain_from_body
);
udf!(
    PUNYCODE_DOMAIN_TO,
    "kql_punycode_domain_to_string",
    DataType::Utf8,
    punycode_domain_to_body
);
udf!(
    GZIP_DECOMPRESS,
    "kql_gzip_decompress",
    DataType::Utf8,
    gzip_decompress_body
);
udf!(
    ZLIB_DECOMPRESS,
    "kql_zlib_decompress",
    DataType::Utf8,
    zlib_decompress_body
);
udf!(
    GZIP_COMPRESS,
    "kql_gzip_compress",
    DataType::Utf8,
    gzip_compress_body
);
udf!(
    ZLIB_COMPRESS,
    "kql_zlib_compress",
    DataType::Utf8,
    zlib_compress_body
);

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        PUNYCODE_FROM.clone(),
        PUNYCODE_TO.clone(),
        PUNYCODE_DOMAIN_FROM.clone(),
        PUNYCODE_DOMAIN_TO.clone(),
        GZIP_DECOMPRESS.clone(),
        ZLIB_DECOMPRESS.clone(),
        GZIP_COMPRESS.clone(),
        ZLIB_COMPRESS.clone(),
    ]
}

fn punycode_from_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| {
        idna::punycode::encode_str(s).unwrap_or_default()
    })
}

fn punycode_to_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| {
        idna::punycode::decode_to_string(s).unwrap_or_default()
    })
}

/// Domain labels are separated by `.` or the ideographic and halfwidth full stops.
fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

/// Each `xn--` label decoded (case kept); other labels as they are.
fn punycode_domain_from_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |d| {
        let decoded: Option<Vec<String>> = labels(d)
            .map(|l| match l.get(..4) {
                Some(p) if p.eq_ignore_ascii_case("xn--") => {
                    idna::punycode::decode_to_string(&l[4..])
                }
                _ => Some(l.to_string()),
            })
            .collect();
        decoded.map(|ls| ls.join(".")).unwrap_or_default()
    })
}

/// Each label that is not all ASCII encoded as `xn--` punycode (case kept).
fn punycode_domain_to_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |d| {
        let encoded: Option<Vec<String>> = labels(d)
            .map(|l| {
                if l.is_ascii() {
                    Some(l.to_string())
                } else {
                    idna::punycode::encode_str(l).map(|p| format!("xn--{p}"))
                }
            })
            .collect();
        encoded.map(|ls| ls.join(".")).unwrap_or_default()
    })
}

/// Base64 of compressed bytes to the text they hold; empty when any step fails.
fn inflate(text: &str, gzip: bool) -> String {
    use std::io::Read;
    let Ok(bytes) = STANDARD.decode(text.trim()) else {
        return String::new();
    };
    let mut out = String::new();
    let read = if gzip {
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut out)
    } else {
        flate2::read::ZlibDecoder::new(&bytes[..]).read_to_string(&mut out)
    };
    if read.is_ok() { out } else { String::new() }
}

/// The text compressed, as base64.
fn deflate(text: &str, gzip: bool) -> String {
    use std::io::Write;
    let level = flate2::Compression::default();
    let bytes = if gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
        e.write_all(text.as_bytes()).and_then(|_| e.finish())
    } else {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
        e.write_all(text.as_bytes()).and_then(|_| e.finish())
    };
    bytes.map(|b| STANDARD.encode(b)).unwrap_or_default()
}

fn gzip_decompress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| inflate(s, true))
}

fn zlib_decompress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| inflate(s, false))
}

fn gzip_compress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| deflate(s, true))
}

fn zlib_compress_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    map_text(args, rows, |s| deflate(s, false))
}
