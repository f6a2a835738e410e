//! Comparing, repeating, quoting and classifying text: `strcmp`, `strrep`, `regex_quote`,
//! `format_bytes`, `isascii`, punycode, and gzip/zlib as base64.

use crate::coerce::{cast_to, to_text};
use crate::scalars_text::unary_text;
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{lit, when};
use kql_types::KType;

use crate::table::scalar_fn as s;

/// A function of one text, computed by a UDF of one text.
macro_rules! text1 {
    ($name:literal, $module:ident::$udf:ident, $doc:literal) => {
        s!(
            $name,
            [],
            1,
            1,
            |_, a| unary_text(a, &crate::$module::$udf),
            $doc
        )
    };
}

pub static STRINGS: &[FunctionSpec] = &[
    s!(
        "strcmp",
        [],
        2,
        2,
        strcmp,
        "-1, 0 or 1 as the first text sorts before, with or after the second (ordinal)."
    ),
    s!(
        "strrep",
        [],
        2,
        3,
        strrep,
        "The text repeated a number of times (at most 1024), with an optional delimiter."
    ),
    text1!(
        "regex_quote",
        text_extra::REGEX_QUOTE,
        "The text with the characters that regular expressions give a meaning escaped."
    ),
    s!(
        "indexof_regex",
        [],
        2,
        5,
        indexof_regex,
        "The position of a regex match (from a start, within a length, the n-th), or -1."
    ),
    s!(
        "format_bytes",
        [],
        1,
        3,
        format_bytes,
        "A size in bytes as text with a unit: 564 Bytes, 10.1 KB, 19 MB (powers of 1024)."
    ),
    text1!(
        "punycode_from_string",
        text_codecs::PUNYCODE_FROM,
        "The text encoded as punycode (without the xn-- prefix)."
    ),
    text1!(
        "punycode_to_string",
        text_codecs::PUNYCODE_TO,
        "The text that punycode encodes; empty if it is not punycode."
    ),
    text1!(
        "punycode_domain_from_string",
        text_codecs::PUNYCODE_DOMAIN_FROM,
        "The domain with each xn-- label decoded."
    ),
    text1!(
        "punycode_domain_to_string",
        text_codecs::PUNYCODE_DOMAIN_TO,
        "The domain with each non-ASCII label encoded as xn-- punycode."
    ),
    text1!(
        "gzip_compress_to_base64_string",
        text_codecs::GZIP_COMPRESS,
        "The text gzip-compressed, as base64."
    ),
    text1!(
        "gzip_decompress_from_base64_string",
        text_codecs::GZIP_DECOMPRESS,
        "The text in base64 gzip data; empty if it is not that."
    ),
    text1!(
        "zlib_compress_to_base64_string",
        text_codecs::ZLIB_COMPRESS,
        "The text zlib-compressed, as base64."
    ),
    text1!(
        "zlib_decompress_from_base64_string",
        text_codecs::ZLIB_DECOMPRESS,
        "The text in base64 zlib data; empty if it is not that."
    ),
    s!(
        "isascii",
        [],
        1,
        1,
        isascii,
        "Whether every character of the text is ASCII."
    ),
];

fn strcmp(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [a, b] = <[Typed; 2]>::try_from(args).map_err(|_| "strcmp() takes two texts")?;
    let (a, b) = (to_text(&a), to_text(&b));
    let e = when(a.clone().lt(b.clone()), lit(-1i32))
        .when(a.gt(b), lit(1i32))
        .otherwise(lit(0i32))
        .map_err(|e| e.to_string())?;
    Ok(Typed::new(e, KType::Int))
}

/// Kusto caps the count at 1024; fewer than one repetition is empty.
fn strrep(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(value), Some(count)) = (it.next(), it.next()) else {
        return Err("strrep() takes a value and a count".into());
    };
    let text = to_text(&value);
    let delimiter = it.next().map_or(lit(""), |d| to_text(&d));
    let n = f::least(vec![cast_to(count, KType::Long).expr, lit(1024i64)]);
    let repeated = f::concat(vec![
        f::repeat(
            f::concat(vec![text.clone(), delimiter]),
            n.clone() - lit(1i64),
        ),
        text,
    ]);
    let e = when(n.lt(lit(1i64)), lit(""))
        .otherwise(repeated)
        .map_err(|e| e.to_string())?;
    Ok(Typed::new(e, KType::String))
}

fn indexof_regex(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(text), Some(pattern)) = (it.next(), it.next()) else {
        return Err("indexof_regex() takes a text and a pattern".into());
    };
    let mut call = vec![to_text(&text), to_text(&pattern)];
    // Start, length and occurrence, with their defaults.
    let mut given = it.map(|a| cast_to(a, KType::Long).expr);
    for default in [0i64, -1, 1] {
        call.push(given.next().unwrap_or_else(|| lit(default)));
    }
    let e = crate::text_search::INDEXOF_REGEX.call(call);
    Ok(Typed::new(e, KType::Long))
}

fn format_bytes(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let value = it.next().ok_or("format_bytes() needs a size")?;
    if !value.ty.is_numeric() {
        return Err(format!("format_bytes() expects a number, got {}", value.ty));
    }
    let precision = it
        .next()
        .map_or(lit(0i64), |p| cast_to(p, KType::Long).expr);
    let unit = it.next().map_or(lit(""), |u| to_text(&u));
    let e = crate::text_extra::FORMAT_BYTES.call(vec![
        cast_to(value, KType::Real).expr,
        precision,
        unit,
    ]);
    Ok(Typed::new(e, KType::String))
}

/// Only ASCII text has as many bytes as characters.
fn isascii(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    let text = to_text(&v);
    let e = f::octet_length(text.clone()).eq(f::character_length(text));
    Ok(Typed::new(e, KType::Bool))
}
