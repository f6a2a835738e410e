//! Functions over dynamic arrays and bags, and a few more conversions: the table entries
//! for `set_*`, `array_*`, `bag_*`, `zip`, URL and base64 coding, `max_of`/`min_of`,
//! `todecimal`, hashes and `new_guid`.

use crate::arrays::JSON_OP;
use crate::coerce::{to_dynamic, to_text, unify};
use crate::table::{CallCtx, FunctionSpec};
use crate::text_extra::{BASE64_TO_ARRAY, URL_DECODE, URL_ENCODE};
use crate::typed::Typed;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, lit, try_cast};
use kql_types::KType;

const MANY: usize = usize::MAX;

use crate::table::scalar_fn as d;

/// A `kql_json_op` call; `ty` is the result type.
pub(crate) fn op(name: &str, args: Vec<Typed>, ty: KType) -> Result<Typed, String> {
    let mut call: Vec<Expr> = vec![lit(name.to_string())];
    call.extend(args.into_iter().map(|a| to_dynamic(a).expr));
    let e = JSON_OP.call(call);
    Ok(match ty {
        KType::Dynamic => Typed::new(e, ty),
        KType::Bool | KType::Int | KType::Long | KType::Real => {
            let text = crate::convert::DYN_TOSTRING.call(vec![e]);
            Typed::new(try_cast(text, ty.arrow_type()), ty)
        }
        _ => Typed::new(crate::convert::DYN_TOSTRING.call(vec![e]), ty),
    })
}

pub static DYNAMIC: &[FunctionSpec] = &[
    d!(
        "array_shift_left",
        [],
        2,
        3,
        |_, a| op("array_shift_left", a, KType::Dynamic),
        "The array moved left by n places; the places left over take a fill value (null)."
    ),
    d!(
        "array_shift_right",
        [],
        2,
        3,
        |_, a| op("array_shift_right", a, KType::Dynamic),
        "The array moved right by n places; the places left over take a fill value (null)."
    ),
    d!(
        "array_rotate_left",
        [],
        2,
        2,
        |_, a| op("array_rotate_left", a, KType::Dynamic),
        "The array rotated left by n places."
    ),
    d!(
        "array_rotate_right",
        [],
        2,
        2,
        |_, a| op("array_rotate_right", a, KType::Dynamic),
        "The array rotated right by n places."
    ),
    d!(
        "array_split",
        [],
        2,
        2,
        |_, a| op("array_split", a, KType::Dynamic),
        "The array cut at an index or at each of an array of indexes."
    ),
    d!(
        "array_iff",
        ["array_iif"],
        3,
        3,
        |_, a| op("array_iff", a, KType::Dynamic),
        "Element-wise iff: for each condition, the element of the true or the false array (or value)."
    ),
    d!(
        "bag_set_key",
        [],
        3,
        3,
        |_, a| op("bag_set_key", a, KType::Dynamic),
        "The bag with a key (or a $.a.b path) set to a value."
    ),
    d!(
        "unicode_codepoints_from_string",
        [],
        1,
        1,
        |_, a| op("unicode_codepoints_from_string", a, KType::Dynamic),
        "The Unicode code points of the text's characters, as an array."
    ),
    d!(
        "parse_csv",
        [],
        1,
        1,
        |_, a| op("parse_csv", a, KType::Dynamic),
        "The fields of the first CSV record of the text, as an array of strings."
    ),
    d!(
        "has_any_index",
        [],
        2,
        2,
        |_, a| op("has_any_index", a, KType::Long),
        "The index of the first lookup term that the text has (as `has` matches), else -1."
    ),
    d!(
        "base64_encode_fromarray",
        [],
        1,
        1,
        |_, a| op("base64_encode_fromarray", a, KType::String),
        "The base64 text of an array of bytes."
    ),
    d!(
        "base64_decode_toguid",
        [],
        1,
        1,
        |_, a| op("base64_decode_toguid", a, KType::Guid),
        "The GUID that base64 text encodes (in .NET's byte order)."
    ),
    d!(
        "base64_encode_fromguid",
        [],
        1,
        1,
        |_, a| op("base64_encode_fromguid", a, KType::String),
        "The base64 text of a GUID's bytes (in .NET's byte order)."
    ),
    d!(
        "jaccard_index",
        [],
        2,
        2,
        |_, a| op("jaccard_index", a, KType::Real),
        "The size of the two sets' intersection over that of their union."
    ),
    d!(
        "set_union",
        [],
        1,
        MANY,
        |_, a| op("set_union", a, KType::Dynamic),
        "The distinct values of all the arrays."
    ),
    d!(
        "set_intersect",
        [],
        2,
        MANY,
        |_, a| op("set_intersect", a, KType::Dynamic),
        "The distinct values in every array."
    ),
    d!(
        "set_difference",
        [],
        2,
        MANY,
        |_, a| op("set_difference", a, KType::Dynamic),
        "The distinct values of the first array that are in no other."
    ),
    d!(
        "set_has_element",
        [],
        2,
        2,
        |_, a| op("set_has_element", a, KType::Bool),
        "Does the array contain the value?"
    ),
    d!(
        "array_concat",
        [],
        1,
        MANY,
        |_, a| op("array_concat", a, KType::Dynamic),
        "The arrays one after another."
    ),
    d!(
        "array_slice",
        [],
        3,
        3,
        |_, a| op("array_slice", a, KType::Dynamic),
        "The elements from start to end (inclusive; negative from the end)."
    ),
    d!(
        "array_sort_asc",
        [],
        1,
        MANY,
        |_, a| op("array_sort_asc", a, KType::Dynamic),
        "The array sorted ascending (nulls last unless a last argument is false); several arrays are all ordered by the first, as an array of arrays."
    ),
    d!(
        "array_sort_desc",
        [],
        1,
        MANY,
        |_, a| op("array_sort_desc", a, KType::Dynamic),
        "The array sorted descending (nulls last unless a last argument is false); several arrays are all ordered by the first, as an array of arrays."
    ),
    d!(
        "array_index_of",
        [],
        2,
        5,
        |_, a| op("array_index_of", a, KType::Long),
        "The index of the value in the array, or -1."
    ),
    d!(
        "array_reverse",
        [],
        1,
        1,
        |_, a| op("array_reverse", a, KType::Dynamic),
        "The array in reverse order."
    ),
    d!(
        "array_sum",
        [],
        1,
        1,
        |_, a| op("array_sum", a, KType::Real),
        "The sum of a numeric array."
    ),
    d!(
        "bag_keys",
        [],
        1,
        1,
        |_, a| op("bag_keys", a, KType::Dynamic),
        "The keys of a property bag."
    ),
    d!(
        "bag_has_key",
        [],
        2,
        2,
        |_, a| op("bag_has_key", a, KType::Bool),
        "Does the bag have the key?"
    ),
    d!(
        "bag_merge",
        [],
        2,
        MANY,
        |_, a| op("bag_merge", a, KType::Dynamic),
        "The bags merged (the first value of a key wins)."
    ),
    d!(
        "bag_remove_keys",
        [],
        2,
        2,
        |_, a| op("bag_remove_keys", a, KType::Dynamic),
        "The bag without the listed keys."
    ),
    d!(
        "bag_zip",
        [],
        2,
        2,
        |_, a| op("bag_zip", a, KType::Dynamic),
        "A property bag of keys from one array and values from another (null where values run out)."
    ),
    d!(
        "zip",
        [],
        2,
        MANY,
        |_, a| op("zip", a, KType::Dynamic),
        "Arrays of the elements at each index of the arrays."
    ),
    d!(
        "url_decode",
        [],
        1,
        1,
        |_, a| text_udf(a, &URL_DECODE, KType::String),
        "Decodes %XX escapes."
    ),
    d!(
        "url_encode",
        ["url_encode_component"],
        1,
        1,
        |_, a| text_udf(a, &URL_ENCODE, KType::String),
        "Escapes a text for a URL."
    ),
    d!(
        "base64_decode_toarray",
        [],
        1,
        1,
        |_, a| text_udf(a, &BASE64_TO_ARRAY, KType::Dynamic),
        "The bytes of base64 text as an array, else null."
    ),
    d!(
        "max_of",
        [],
        1,
        64,
        |_, a| extreme(a, true),
        "The largest argument."
    ),
    d!(
        "min_of",
        [],
        1,
        64,
        |_, a| extreme(a, false),
        "The smallest argument."
    ),
    d!(
        "todecimal",
        [],
        1,
        1,
        todecimal,
        "A decimal from a number or text, else null."
    ),
    d!(
        "hash_sha256",
        [],
        1,
        1,
        |_, a| hash(a, "sha256"),
        "The SHA-256 of the text, in hex."
    ),
    d!(
        "hash",
        ["hash_xxhash64"],
        1,
        2,
        crate::xxhash::hash,
        "The XXH64 hash of the value (a long), or its remainder by a modulo."
    ),
    d!(
        "gettype",
        [],
        1,
        1,
        |_, mut a| {
            let v = a.pop().ok_or("missing argument")?;
            if v.ty == KType::Dynamic {
                op("gettype", vec![v], KType::String)
            } else {
                Ok(Typed::string(v.ty.name().to_string()))
            }
        },
        "The type of a value: its Kusto type, or for dynamic values int, long, real, string, bool, array, dictionary or null."
    ),
    d!(
        "hash_sha1",
        [],
        1,
        1,
        |_, a| hash(a, "sha1"),
        "The SHA-1 of the text, in hex."
    ),
    d!(
        "hash_md5",
        [],
        1,
        1,
        |_, a| hash(a, "md5"),
        "The MD5 of the text, in hex."
    ),
    d!(
        "new_guid",
        [],
        0,
        0,
        |_, _| Ok(Typed::new(f::uuid(), KType::Guid)),
        "A random guid."
    ),
    d!(
        "parse_xml",
        [],
        1,
        1,
        |_, a| text_udf(a, &crate::xml::PARSE_XML, KType::Dynamic),
        "XML as a dynamic value (@attributes, #text, arrays for repeated elements); invalid XML is null."
    ),
];

fn text_udf(
    args: Vec<Typed>,
    udf: &std::sync::Arc<datafusion::logical_expr::ScalarUDF>,
    ty: KType,
) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    Ok(Typed::new(udf.call(vec![to_text(&v)]), ty))
}

fn extreme(args: Vec<Typed>, max: bool) -> Result<Typed, String> {
    let (exprs, ty) = unify(args)?;
    Ok(Typed::new(
        if max {
            f::greatest(exprs)
        } else {
            f::least(exprs)
        },
        ty,
    ))
}

fn todecimal(_: &CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    let source = if v.ty.is_numeric() {
        v.expr
    } else {
        f::btrim(vec![to_text(&v)])
    };
    Ok(Typed::new(
        try_cast(source, KType::Decimal.arrow_type()),
        KType::Decimal,
    ))
}

fn hash(args: Vec<Typed>, algorithm: &str) -> Result<Typed, String> {
    let v = args.into_iter().next().ok_or("missing argument")?;
    let text = to_text(&v);
    let e = match algorithm {
        "md5" => f::md5(text),
        "sha1" => crate::sha1_hash::SHA1.call(vec![text]),
        _ => f::encode(f::sha256(text), lit("hex")),
    };
    Ok(Typed::new(e, KType::String))
}
