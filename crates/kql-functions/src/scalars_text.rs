//! String and dynamic-building functions: `split`, `replace_string`, `replace_regex`,
//! `substring`, `strcat_delim`, `indexof`, `array_length`, `pack_array`, `bag_pack`.

use crate::build_dynamic::{ARRAY_LENGTH, BAG_PACK, PACK_ARRAY, SPLIT};
use crate::coerce::{cast_to, to_text};
use crate::dynamic::DYN_GET;
use crate::table::{CallCtx, FunctionSpec};
use crate::text_extra::{
    BASE64_DECODE, BASE64_ENCODE, COUNTOF, EXTRACT_ALL, EXTRACTJSON, TOHEX, TRIM_REGEX,
};
use crate::typed::Typed;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, lit};
use kql_types::KType;

const MANY: usize = usize::MAX;

use crate::table::scalar_fn as s;

pub static TEXT: &[FunctionSpec] = &[
    s!(
        "split",
        [],
        2,
        3,
        split,
        "The parts of the text between delimiters, as a dynamic array (or one part)."
    ),
    s!(
        "replace_string",
        [],
        3,
        3,
        replace_string,
        "Replaces every occurrence of a string."
    ),
    s!(
        "replace_regex",
        [],
        3,
        3,
        |_, a| replace_regex(a, [0, 1, 2]),
        "Replaces every match of a regex (\\1 refers to groups)."
    ),
    s!(
        "replace",
        [],
        3,
        3,
        |_, a| replace_regex(a, [2, 0, 1]),
        "Legacy: replace(regex, rewrite, text)."
    ),
    s!(
        "substring",
        [],
        2,
        3,
        substring,
        "Part of the text from a 0-based start, of an optional length."
    ),
    s!(
        "strcat_delim",
        [],
        2,
        64,
        strcat_delim,
        "Concatenates the text of its arguments with a delimiter."
    ),
    s!(
        "indexof",
        [],
        2,
        5,
        indexof,
        "The 0-based position of a substring (from an optional start), or -1."
    ),
    s!(
        "array_length",
        ["arraylength"],
        1,
        1,
        array_length,
        "The number of elements of a dynamic array, else null."
    ),
    s!(
        "pack_array",
        [],
        1,
        MANY,
        pack_array,
        "A dynamic array of the arguments."
    ),
    s!(
        "bag_pack",
        ["pack", "pack_dictionary"],
        2,
        MANY,
        bag_pack,
        "A dynamic property bag of key/value arguments."
    ),
    s!(
        "countof",
        [],
        2,
        3,
        countof,
        "The number of occurrences of a string (or regex matches, with \"regex\")."
    ),
    s!(
        "extract_all",
        [],
        2,
        3,
        extract_all,
        "Every match of a regex: its groups, as a dynamic array."
    ),
    s!(
        "extractjson",
        ["extract_json"],
        2,
        3,
        extractjson,
        "The value at a JSONPath ($.a.b[0]) in JSON text, as text."
    ),
    s!(
        "trim",
        [],
        2,
        2,
        |_, a| trim(a, 0),
        "Removes leading and trailing matches of a regex."
    ),
    s!(
        "trim_start",
        [],
        2,
        2,
        |_, a| trim(a, 1),
        "Removes leading matches of a regex."
    ),
    s!(
        "trim_end",
        [],
        2,
        2,
        |_, a| trim(a, 2),
        "Removes trailing matches of a regex."
    ),
    s!("tohex", [], 1, 2, tohex, "A number in hexadecimal."),
    s!(
        "base64_encode_tostring",
        ["base64_encodestring"],
        1,
        1,
        |_, a| unary_text(a, &BASE64_ENCODE),
        "The base64 of the text's UTF-8 bytes."
    ),
    s!(
        "base64_decode_tostring",
        ["base64_decodestring"],
        1,
        1,
        |_, a| unary_text(a, &BASE64_DECODE),
        "The UTF-8 text of base64, else null."
    ),
];

fn args3(args: Vec<Typed>) -> Result<[Typed; 3], String> {
    <[Typed; 3]>::try_from(args).map_err(|_| "expected 3 arguments".to_string())
}

fn split(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(text), Some(delim)) = (it.next(), it.next()) else {
        return Err("split() takes a text and a delimiter".into());
    };
    let parts = SPLIT.call(vec![to_text(&text), to_text(&delim)]);
    match it.next() {
        None => Ok(Typed::new(parts, KType::Dynamic)),
        Some(i) => {
            let wrapped = PACK_ARRAY.call(vec![
                DYN_GET.call(vec![parts, cast_to(i, KType::Long).expr]),
                lit("dynamic"),
            ]);
            Ok(Typed::new(wrapped, KType::Dynamic))
        }
    }
}

fn replace_string(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [t, from, to] = args3(args)?;
    Ok(Typed::new(
        f::replace(to_text(&t), to_text(&from), to_text(&to)),
        KType::String,
    ))
}

/// `order` gives the positions of (text, regex, rewrite) among the arguments.
fn replace_regex(args: Vec<Typed>, order: [usize; 3]) -> Result<Typed, String> {
    let a = args3(args)?;
    let (text, re, rewrite) = (&a[order[0]], &a[order[1]], &a[order[2]]);
    if let Some(p) = re.as_str_literal() {
        crate::text::compile_regex(p).map_err(|e| e.to_string())?;
    }
    let e = f::regexp_replace(to_text(text), to_text(re), to_text(rewrite), Some(lit("g")));
    Ok(Typed::new(e, KType::String))
}

fn substring(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(text), Some(start)) = (it.next(), it.next()) else {
        return Err("substring() takes a text and a start".into());
    };
    let start = cast_to(start, KType::Long).expr + lit(1i64);
    let mut call = vec![to_text(&text), start];
    if let Some(len) = it.next() {
        call.push(cast_to(len, KType::Long).expr);
    }
    let e = datafusion::functions::unicode::substr().call(call);
    Ok(Typed::new(f::coalesce(vec![e, lit("")]), KType::String))
}

fn strcat_delim(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let delim = it.next().ok_or("missing delimiter")?;
    let parts: Vec<Expr> = it.map(|a| to_text(&a)).collect();
    Ok(Typed::new(
        f::concat_ws(to_text(&delim), parts),
        KType::String,
    ))
}

/// `indexof(text, lookup [, start [, length [, occurrence]]])`, in characters.
fn indexof(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(text), Some(sub)) = (it.next(), it.next()) else {
        return Err("indexof() takes a text and a substring".into());
    };
    let mut call = vec![to_text(&text), to_text(&sub)];
    // Start, length and occurrence; a null one takes its default.
    for (arg, default) in it.zip([0i64, -1, 1]) {
        call.push(f::coalesce(vec![
            cast_to(arg, KType::Long).expr,
            lit(default),
        ]));
    }
    let e = crate::text_search::INDEXOF.call(call);
    Ok(Typed::new(e, KType::Long))
}

fn array_length(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let d = args.into_iter().next().ok_or("missing argument")?;
    if d.ty != KType::Dynamic {
        return Err(format!(
            "array_length() expects a dynamic array, got {}",
            d.ty
        ));
    }
    Ok(Typed::new(ARRAY_LENGTH.call(vec![d.expr]), KType::Long))
}

fn tags(values: &[&Typed]) -> Expr {
    lit(values
        .iter()
        .map(|v| v.ty.name())
        .collect::<Vec<_>>()
        .join(","))
}

fn pack_array(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let refs: Vec<&Typed> = args.iter().collect();
    let mut call: Vec<Expr> = args.iter().map(|a| a.expr.clone()).collect();
    call.push(tags(&refs));
    Ok(Typed::new(PACK_ARRAY.call(call), KType::Dynamic))
}

fn bag_pack(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    if !args.len().is_multiple_of(2) {
        return Err("bag_pack() takes pairs of keys and values".into());
    }
    let values: Vec<&Typed> = args.iter().skip(1).step_by(2).collect();
    let mut call = Vec::new();
    for pair in args.chunks(2) {
        call.push(to_text(&pair[0]));
        call.push(pair[1].expr.clone());
    }
    call.push(tags(&values));
    Ok(Typed::new(BAG_PACK.call(call), KType::Dynamic))
}

fn countof(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(text), Some(search)) = (it.next(), it.next()) else {
        return Err("countof() takes a text and a search string".into());
    };
    let regex = match it.next() {
        None => false,
        Some(k) => match k.as_str_literal() {
            Some("regex") => true,
            Some("normal") => false,
            _ => return Err("countof(): the kind is \"normal\" or \"regex\"".into()),
        },
    };
    Ok(Typed::new(
        COUNTOF.call(vec![to_text(&text), to_text(&search), lit(regex)]),
        KType::Long,
    ))
}

fn extract_all(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let re = it.next().ok_or("extract_all() takes a regex and a text")?;
    let (groups, text) = match (it.next(), it.next()) {
        (Some(g), Some(t)) => (crate::coerce::to_dynamic(g).expr, t),
        (Some(t), None) => (datafusion::logical_expr::lit(""), t),
        _ => return Err("extract_all() takes a regex and a text".into()),
    };
    if let Some(p) = re.as_str_literal() {
        crate::text::compile_regex(p).map_err(|e| e.to_string())?;
    }
    Ok(Typed::new(
        EXTRACT_ALL.call(vec![to_text(&re), to_text(&text), groups]),
        KType::Dynamic,
    ))
}

fn extractjson(_: &CallCtx, mut args: Vec<Typed>) -> Result<Typed, String> {
    let result_type = if args.len() == 3 {
        let t = args.pop().and_then(|t| t.as_type_arg());
        Some(t.ok_or("extractjson(): the third argument is typeof(T)")?)
    } else {
        None
    };
    let mut it = args.into_iter();
    let (Some(path), Some(json)) = (it.next(), it.next()) else {
        return Err("extractjson() takes a path and a JSON text".into());
    };
    let found = Typed::new(
        EXTRACTJSON.call(vec![to_text(&path), to_text(&json)]),
        KType::String,
    );
    match result_type {
        Some(t) => crate::scalars_convert::to_type(found, t),
        None => Ok(found),
    }
}

fn trim(args: Vec<Typed>, mode: i64) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(re), Some(text)) = (it.next(), it.next()) else {
        return Err("trim() takes a regex and a text".into());
    };
    if let Some(p) = re.as_str_literal() {
        crate::text::compile_regex(p).map_err(|e| e.to_string())?;
    }
    Ok(Typed::new(
        TRIM_REGEX.call(vec![to_text(&re), to_text(&text), lit(mode)]),
        KType::String,
    ))
}

fn tohex(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    if !matches!(v.ty, KType::Int | KType::Long) {
        return Err(format!("tohex() expects an integer, got {}", v.ty));
    }
    Ok(Typed::new(
        TOHEX.call(vec![cast_to(v, KType::Long).expr]),
        KType::String,
    ))
}

pub(crate) fn unary_text(
    args: Vec<Typed>,
    udf: &std::sync::Arc<datafusion::logical_expr::ScalarUDF>,
) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    Ok(Typed::new(udf.call(vec![to_text(&v)]), KType::String))
}

/// More string functions: `strcat_array`, `string_size`, `reverse`, `translate`,
/// `indexof` with a start, `dynamic_to_json`, and logarithms.
pub static MORE_TEXT: &[FunctionSpec] = &[
    s!(
        "strcat_array",
        ["array_strcat"],
        2,
        2,
        strcat_array,
        "The array's elements as text, joined by a delimiter."
    ),
    s!(
        "string_size",
        [],
        1,
        1,
        string_size,
        "The number of bytes of the text's UTF-8."
    ),
    s!(
        "reverse",
        [],
        1,
        1,
        |_, a| unary_text(a, &crate::text_extra::REVERSE),
        "The text with its characters in reverse order."
    ),
    s!(
        "replace_strings",
        [],
        3,
        3,
        replace_strings,
        "Replaces several strings at once: each lookup by the rewrite at the same place."
    ),
    s!(
        "translate",
        [],
        3,
        3,
        translate,
        "Replaces each character of the first list with the one at the same place in the second."
    ),
    s!(
        "dynamic_to_json",
        [],
        1,
        1,
        |_, a| crate::scalars_dynamic::op("dynamic_to_json", a, KType::String),
        "The JSON text of a dynamic value, with every bag's keys in order."
    ),
];

fn one_arg(args: Vec<Typed>) -> Result<Typed, String> {
    args.into_iter()
        .next()
        .ok_or_else(|| "missing argument".to_string())
}

fn strcat_array(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(arr), Some(delim)) = (it.next(), it.next()) else {
        return Err("strcat_array() takes an array and a delimiter".into());
    };
    let e = crate::text_extra::STRCAT_ARRAY
        .call(vec![crate::coerce::to_dynamic(arr).expr, to_text(&delim)]);
    Ok(Typed::new(e, KType::String))
}

fn string_size(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = one_arg(args)?;
    let e = datafusion::logical_expr::cast(f::octet_length(to_text(&v)), KType::Long.arrow_type());
    Ok(Typed::new(e, KType::Long))
}

fn replace_strings(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [text, lookups, rewrites] = args3(args)?;
    Ok(Typed::new(
        crate::text_extra::REPLACE_STRINGS.call(vec![
            to_text(&text),
            crate::coerce::to_dynamic(lookups).expr,
            crate::coerce::to_dynamic(rewrites).expr,
        ]),
        KType::String,
    ))
}

fn translate(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let [from, to, text] = args3(args)?;
    Ok(Typed::new(
        f::translate(to_text(&text), to_text(&from), to_text(&to)),
        KType::String,
    ))
}
