//! Network and URL functions of the table.

use crate::coerce::to_text;
use crate::net::{IPV4_IS_IN_RANGE, IPV4_IS_PRIVATE, PARSE_IPV4, PARSE_URL, PARSE_URLQUERY};
use crate::table::FunctionSpec;
use crate::typed::Typed;
use datafusion::logical_expr::ScalarUDF;
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
];

/// Calls `udf` on the text of every argument.
fn texts(args: Vec<Typed>, udf: &Arc<ScalarUDF>, ty: KType) -> Result<Typed, String> {
    Ok(Typed::new(udf.call(args.iter().map(to_text).collect()), ty))
}
