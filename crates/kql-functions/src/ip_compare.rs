//! Comparing and formatting addresses with prefixes: `ipv4_compare`, `ipv4_is_in_any_range`,
//! `ipv4_netmask_suffix`, `ipv4_range_to_cidr_list`, `format_ipv4`, `format_ipv4_mask`, and
//! the IPv6 family (`ipv6_compare`, `ipv6_is_match`, `ipv6_is_in_range`,
//! `ipv6_is_in_any_range`, `parse_ipv6`, `parse_ipv6_mask`), where IPv4 addresses are
//! compared as IPv4-mapped IPv6 ones. An address that does not parse gives null.

use crate::coerce::to_text;
use crate::table::{CallCtx, FunctionSpec};
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, cast, lit};
use kql_types::KType;
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, LazyLock};

use crate::table::scalar_fn as s;

/// `kql_ip_op(op, text...)`: the result as text, cast by the binding.
static IP_OP: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_ip_op", DataType::Utf8, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![IP_OP.clone()]
}

const MANY: usize = usize::MAX;

macro_rules! ip {
    ($name:literal, $min:expr, $max:expr, $ty:expr, $doc:literal) => {
        s!($name, [], $min, $max, |c, a| bind(c, $name, a, $ty), $doc)
    };
}

use KType::{Bool as B, Dynamic as D, Long as L, String as S};

pub static IP_COMPARE: &[FunctionSpec] = &[
    ip!(
        "ipv4_compare",
        2,
        3,
        L,
        "-1, 0 or 1 as the first IPv4 address sorts before, with or after the second, up to a prefix."
    ),
    ip!(
        "ipv4_is_match",
        2,
        3,
        B,
        "Whether two IPv4 addresses are equal up to a prefix (the shortest of theirs and the given one)."
    ),
    ip!(
        "ipv4_is_in_any_range",
        2,
        MANY,
        B,
        "Whether the IPv4 address is in any of the ranges (arguments or a dynamic array)."
    ),
    ip!(
        "ipv4_netmask_suffix",
        1,
        1,
        L,
        "The prefix length of an IPv4 address (32 without one)."
    ),
    ip!(
        "ipv4_range_to_cidr_list",
        2,
        2,
        D,
        "The CIDR blocks that cover an IPv4 range exactly."
    ),
    ip!(
        "format_ipv4",
        1,
        2,
        S,
        "The IPv4 address as text, masked by its prefix or the given one."
    ),
    ip!(
        "format_ipv4_mask",
        1,
        2,
        S,
        "The IPv4 network as text with its prefix: a.b.c.d/n."
    ),
    ip!(
        "ipv6_compare",
        2,
        3,
        L,
        "-1, 0 or 1 as the first IPv6 (or IPv4) address sorts before, with or after the second."
    ),
    ip!(
        "ipv6_is_match",
        2,
        3,
        B,
        "Whether two IPv6 (or IPv4) addresses are equal up to a prefix."
    ),
    ip!(
        "ipv6_is_in_range",
        2,
        2,
        B,
        "Whether the IPv6 address is in the range."
    ),
    ip!(
        "ipv6_is_in_any_range",
        2,
        MANY,
        B,
        "Whether the IPv6 address is in any of the ranges (arguments or a dynamic array)."
    ),
    ip!(
        "parse_ipv6",
        1,
        1,
        S,
        "The canonical IPv6 text of an address (IPv4 as IPv4-mapped), masked by its prefix."
    ),
    ip!(
        "parse_ipv6_mask",
        2,
        2,
        S,
        "The canonical IPv6 text of an address masked by a prefix."
    ),
];

fn bind(_: &CallCtx, name: &str, args: Vec<Typed>, ty: KType) -> Result<Typed, String> {
    let mut call = vec![lit(name.to_string())];
    call.extend(args.iter().map(to_text));
    let text = IP_OP.call(call);
    Ok(match ty {
        KType::String | KType::Dynamic => Typed::new(text, ty),
        _ => Typed::new(cast(text, ty.arrow_type()), ty),
    })
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let op = strings(args, 0)?.get(0).unwrap_or("").to_string();
    let inputs: Vec<_> = (1..args.len())
        .map(|i| strings(args, i))
        .collect::<Result<_>>()?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for r in 0..rows {
        let values: Vec<Option<&str>> = inputs.iter().map(|a| a.get(r)).collect();
        out.append_option(apply(&op, &values));
    }
    Ok(Arc::new(out.finish()))
}

/// An address as 128 bits and its prefix length; IPv4 addresses are IPv4-mapped
/// (`::ffff:a.b.c.d`, the prefix counted from bit 96).
fn ip6(text: &str) -> Option<(u128, u32)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    // `::a.b.c.d` is read as the IPv4 address it writes, as Kusto does.
    let v4_text = addr
        .strip_prefix("::")
        .filter(|a| a.contains('.'))
        .unwrap_or(addr);
    if let Ok(v4) = v4_text.parse::<Ipv4Addr>() {
        let prefix = prefix.map_or(Some(32), |p| (p <= 32).then_some(p))?;
        return Some((u128::from(v4.to_ipv6_mapped()), prefix + 96));
    }
    let v6 = addr.parse::<Ipv6Addr>().ok()?;
    let prefix = prefix.map_or(Some(128), |p| (p <= 128).then_some(p))?;
    Some((u128::from(v6), prefix))
}

/// An IPv4 address as 32 bits and its prefix length.
fn ip4(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (text, 32),
    };
    Some((u32::from(addr.parse::<Ipv4Addr>().ok()?), prefix))
}

fn mask6(bits: u32) -> u128 {
    match bits {
        0 => 0,
        b if b >= 128 => u128::MAX,
        b => u128::MAX << (128 - b),
    }
}

/// A given prefix argument, if any (negative means none).
fn given(v: Option<&Option<&str>>) -> Option<u32> {
    v.copied()
        .flatten()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .filter(|p| *p >= 0)
        .map(|p| p.min(128) as u32)
}

/// Two addresses masked by the shortest of their prefixes and the given one.
fn masked_pair(op4: bool, a: &str, b: &str, prefix: Option<u32>) -> Option<(u128, u128)> {
    let ((x, px), (y, py)) = (ip6(a)?, ip6(b)?);
    if op4 && (ip4(a).is_none() || ip4(b).is_none()) {
        return None;
    }
    // An IPv4 prefix argument counts IPv4 bits.
    let prefix = prefix.map(|p| if op4 { p.min(32) + 96 } else { p });
    let bits = px.min(py).min(prefix.unwrap_or(128));
    let m = mask6(bits);
    Some((x & m, y & m))
}

fn in_ranges(op4: bool, ip: &str, ranges: &[Option<&str>]) -> Option<bool> {
    if op4 && ip4(ip).is_none() {
        return None;
    }
    let (x, _) = ip6(ip)?;
    let mut listed: Vec<String> = Vec::new();
    for r in ranges.iter().flatten() {
        match crate::dynamic::parse_stored(r) {
            Value::Array(items) => {
                listed.extend(items.iter().filter_map(|i| i.as_str()).map(str::to_string))
            }
            _ => listed.push(r.to_string()),
        }
    }
    Some(
        listed.iter().any(|range| {
            ip6(range).is_some_and(|(net, bits)| x & mask6(bits) == net & mask6(bits))
        }),
    )
}

/// The canonical text: eight groups of four hexadecimal digits.
fn canonical6(v: u128) -> String {
    let groups: Vec<String> = (0..8)
        .rev()
        .map(|i| format!("{:04x}", (v >> (16 * i)) & 0xffff))
        .collect();
    groups.join(":")
}

/// The fewest CIDR blocks covering `start..=end`.
fn cidr_list(start: u32, end: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = u64::from(start);
    let end = u64::from(end);
    while at <= end {
        let mut size = if at == 0 {
            1u64 << 32
        } else {
            at & at.wrapping_neg()
        };
        while at + size - 1 > end {
            size /= 2;
        }
        let bits = 32 - size.trailing_zeros();
        out.push(Value::String(format!(
            "{}/{bits}",
            Ipv4Addr::from(at as u32)
        )));
        at += size;
    }
    out
}

/// One operation on one row's texts; None is null.
fn apply(op: &str, v: &[Option<&str>]) -> Option<String> {
    let first = (*v.first()?)?;
    let order = |(x, y): (u128, u128)| (x.cmp(&y) as i8).to_string();
    match op {
        "ipv4_compare" | "ipv6_compare" => {
            masked_pair(op == "ipv4_compare", first, (*v.get(1)?)?, given(v.get(2))).map(order)
        }
        "ipv4_is_match" | "ipv6_is_match" => {
            masked_pair(op == "ipv4_is_match", first, (*v.get(1)?)?, given(v.get(2)))
                .map(|(x, y)| (x == y).to_string())
        }
        "ipv4_is_in_any_range" | "ipv6_is_in_any_range" => {
            in_ranges(op.starts_with("ipv4"), first, &v[1..]).map(|b| b.to_string())
        }
        "ipv6_is_in_range" => in_ranges(false, first, &v[1..2]).map(|b| b.to_string()),
        "ipv4_netmask_suffix" => ip4(first).map(|(_, p)| p.to_string()),
        "ipv4_range_to_cidr_list" => {
            let ((start, _), (end, _)) = (ip4(first)?, ip4((*v.get(1)?)?)?);
            Some(Value::Array(cidr_list(start, end)).to_string())
        }
        "format_ipv4" | "format_ipv4_mask" => {
            let (addr, own) = ip4(first)?;
            let bits = match given(v.get(1)) {
                Some(p) => own.min(p.min(32)),
                None if v.get(1).copied().flatten().is_some() => return Some(String::new()),
                None => own,
            };
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            let net = Ipv4Addr::from(addr & m);
            Some(if op == "format_ipv4" {
                net.to_string()
            } else {
                format!("{net}/{bits}")
            })
        }
        "parse_ipv6" => ip6(first).map(|(x, bits)| canonical6(x & mask6(bits))),
        "parse_ipv6_mask" => {
            // The mask counts IPv6 bits, also for an IPv4 address.
            let (x, own) = ip6(first)?;
            Some(canonical6(x & mask6(given(v.get(1))?.min(own))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: &str, v: &[&str]) -> Option<String> {
        let v: Vec<Option<&str>> = v.iter().map(|s| Some(*s)).collect();
        apply(op, &v)
    }

    #[test]
    fn comparisons_formats_and_ranges() {
        assert_eq!(
            call("ipv4_compare", &["192.168.1.1/24", "192.168.1.255"]).unwrap(),
            "0"
        );
        assert_eq!(
            call("ipv4_compare", &["192.168.1.1", "192.168.1.0", "31"]).unwrap(),
            "0"
        );
        assert_eq!(
            call("ipv4_compare", &["10.0.0.1", "10.0.0.2"]).unwrap(),
            "-1"
        );
        assert_eq!(
            call("ipv4_is_match", &["192.168.1.1/24", "192.168.1.255", "31"]).unwrap(),
            "true"
        );
        assert_eq!(
            call(
                "ipv6_compare",
                &["fe80::85d:e82c:9446:7994/120", "fe80::85d:e82c:9446:7998"]
            )
            .unwrap(),
            "0"
        );
        assert_eq!(
            call("format_ipv4_mask", &["192.168.1.1", "24"]).unwrap(),
            "192.168.1.0/24"
        );
        assert_eq!(call("format_ipv4", &["192.168.1.1/24", "-1"]).unwrap(), "");
        assert_eq!(
            call("parse_ipv6", &["192.168.255.255/24"]).unwrap(),
            "0000:0000:0000:0000:0000:ffff:c0a8:ff00"
        );
        assert_eq!(
            call("ipv4_range_to_cidr_list", &["1.1.128.0", "1.1.140.255"]).unwrap(),
            r#"["1.1.128.0/21","1.1.136.0/22","1.1.140.0/24"]"#
        );
        assert_eq!(
            call(
                "ipv4_is_in_any_range",
                &["10.1.2.3", r#"["192.168.1.1/16","10.0.0.1/8"]"#]
            )
            .unwrap(),
            "true"
        );
    }
}
