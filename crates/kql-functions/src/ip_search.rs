//! Finding IPv4 addresses inside text: `has_ipv4`, `has_ipv4_prefix`, `has_any_ipv4`,
//! `has_any_ipv4_prefix`. An address counts when it stands alone: not part of a longer run
//! of digits and dots, and a valid address.

use crate::coerce::{to_dynamic, to_text};
use crate::table::{CallCtx, FunctionSpec, scalar_fn as f};
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use serde_json::Value;
use std::net::Ipv4Addr;
use std::sync::{Arc, LazyLock};

/// `kql_has_ipv4(text, 'exact'|'prefix', candidate...)`: candidates are text or JSON arrays.
static HAS_IPV4: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_has_ipv4", DataType::Boolean, has_ipv4_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![HAS_IPV4.clone()]
}

pub static IP_SEARCH: &[FunctionSpec] = &[
    f!(
        "has_ipv4",
        2,
        2,
        |c, a| bind(c, a, "exact"),
        "Does the text contain this IPv4 address as a whole?"
    ),
    f!(
        "has_ipv4_prefix",
        2,
        2,
        |c, a| bind(c, a, "prefix"),
        "Does the text contain an IPv4 address that starts with this prefix?"
    ),
    f!(
        "has_any_ipv4",
        2,
        usize::MAX,
        |c, a| bind(c, a, "exact"),
        "Does the text contain any of these IPv4 addresses (arguments or a dynamic array)?"
    ),
    f!(
        "has_any_ipv4_prefix",
        2,
        usize::MAX,
        |c, a| bind(c, a, "prefix"),
        "Does the text contain an IPv4 address with any of these prefixes?"
    ),
];

fn bind(_: &CallCtx, args: Vec<Typed>, mode: &str) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let text = it.next().ok_or("the text to search is missing")?;
    let mut call = vec![to_text(&text), lit(mode)];
    for a in it {
        call.push(if a.ty == KType::Dynamic {
            to_dynamic(a).expr
        } else {
            to_text(&a)
        });
    }
    Ok(Typed::new(HAS_IPV4.call(call), KType::Bool))
}

/// The valid IPv4 addresses standing alone in `text`.
fn addresses(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| t.parse::<Ipv4Addr>().is_ok())
        .map(str::to_string)
        .collect()
}

fn has_ipv4_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(args, 0)?;
    let prefix = strings(args, 1)?.get(0) == Some("prefix");
    let candidates = (2..args.len())
        .map(|i| strings(args, i))
        .collect::<Result<Vec<_>>>()?;
    let mut out = BooleanBuilder::with_capacity(rows);
    for r in 0..rows {
        let mut wanted: Vec<String> = Vec::new();
        for c in &candidates {
            match c.get(r).map(|s| (s, crate::dynamic::parse_stored(s))) {
                Some((_, Value::Array(items))) => {
                    wanted.extend(items.iter().filter_map(|v| v.as_str().map(str::to_string)))
                }
                Some((s, _)) => wanted.push(s.to_string()),
                None => {}
            }
        }
        let found = addresses(texts.get(r).unwrap_or(""));
        let hit = found.iter().any(|ip| {
            wanted.iter().any(|w| {
                if prefix {
                    // A prefix is whole octets: `10.1.` or a full address.
                    ip == w || (w.ends_with('.') && ip.starts_with(w.as_str()))
                } else {
                    ip == w
                }
            })
        });
        out.append_value(hit);
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_stand_alone() {
        assert_eq!(
            addresses("from 10.1.2.3, to 1.2.3.4.5 or 300.1.1.1"),
            vec!["10.1.2.3"]
        );
    }
}
