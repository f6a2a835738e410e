//! Network and URL functions of the table.

use crate::coerce::{cast_to, to_text};
use crate::net::{
    IPV4_IS_IN_RANGE, IPV4_IS_MATCH, IPV4_IS_PRIVATE, PARSE_IPV4, PARSE_URL, PARSE_URLQUERY,
};
use crate::table::FunctionSpec;
use crate::typed::Typed;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use std::sync::Arc;

use crate::table::scalar_fn as n;

pub static NET: &[FunctionSpec] = &[
    n!(
        "ipv4_is_private",
        1,
        1,
        |_, a| texts(a, &IPV4_IS_PRIVATE, KType::Bool),
        "Is the IPv4 address in a private range (RFC 1918)?"
    ),
    n!(
        "ipv4_is_in_range",
        2,
        2,
        |_, a| texts(a, &IPV4_IS_IN_RANGE, KType::Bool),
        "Is the IPv4 address in the CIDR range?"
    ),
    n!(
        "parse_ipv4",
        1,
        1,
        |_, a| texts(a, &PARSE_IPV4, KType::Long),
        "The IPv4 address (or CIDR network) as a long."
    ),
    n!(
        "parse_url",
        1,
        1,
        |_, a| texts(a, &PARSE_URL, KType::Dynamic),
        "The parts of a URL as a property bag."
    ),
    n!(
        "parse_urlquery",
        1,
        1,
        |_, a| texts(a, &PARSE_URLQUERY, KType::Dynamic),
        "The parameters of a URL query as a property bag."
    ),
    n!(
        "ipv4_is_match",
        2,
        3,
        ipv4_is_match,
        "Do two IPv4 addresses match, up to a prefix length?"
    ),
];

/// Calls `udf` on the text of every argument.
fn texts(args: Vec<Typed>, udf: &Arc<ScalarUDF>, ty: KType) -> Result<Typed, String> {
    Ok(Typed::new(udf.call(args.iter().map(to_text).collect()), ty))
}

fn ipv4_is_match(_: &crate::table::CallCtx, args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        return Err("ipv4_is_match() takes two addresses".into());
    };
    let prefix = it
        .next()
        .map_or(lit(-1i64), |p| cast_to(p, KType::Long).expr);
    Ok(Typed::new(
        IPV4_IS_MATCH.call(vec![to_text(&a), to_text(&b), prefix]),
        KType::Bool,
    ))
}
