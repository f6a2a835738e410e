//! Network functions: IPv4 classification and matching, URL parsing.

use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value, json};
use std::net::Ipv4Addr;
use std::sync::{Arc, LazyLock};

pub static IPV4_IS_PRIVATE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    KqlUdf::new_udf(
        "kql_ipv4_is_private",
        DataType::Boolean,
        ipv4_is_private_body,
    )
});
/// `kql_ipv4_is_match(a, b, prefix)`: prefix -1 means "from the CIDR suffixes, else 32".
pub static IPV4_IS_IN_RANGE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    KqlUdf::new_udf(
        "kql_ipv4_is_in_range",
        DataType::Boolean,
        ipv4_is_in_range_body,
    )
});
pub static PARSE_IPV4: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_ipv4", DataType::Int64, parse_ipv4_body));
pub static PARSE_URL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_url", DataType::Utf8, parse_url_body));
pub static PARSE_URLQUERY: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_parse_urlquery", DataType::Utf8, parse_urlquery_body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        IPV4_IS_PRIVATE.clone(),
        IPV4_IS_IN_RANGE.clone(),
        PARSE_IPV4.clone(),
        PARSE_URL.clone(),
        PARSE_URLQUERY.clone(),
    ]
}

/// An address with an optional `/prefix`.
fn ip_and_prefix(s: &str) -> Option<(u32, Option<u32>)> {
    let (ip, prefix) = match s.trim().split_once('/') {
        Some((ip, p)) => (ip, Some(p.parse::<u32>().ok().filter(|p| *p <= 32)?)),
        None => (s.trim(), None),
    };
    Some((u32::from(ip.parse::<Ipv4Addr>().ok()?), prefix))
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

fn ipv4_is_private_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = BooleanBuilder::with_capacity(rows);
    for r in 0..rows {
        out.append_option(input.get(r).and_then(ip_and_prefix).map(|(ip, prefix)| {
            let m = mask(prefix.unwrap_or(32));
            [(0x0A00_0000u32, 8u32), (0xAC10_0000, 12), (0xC0A8_0000, 16)]
                .iter()
                .any(|(net, bits)| prefix.unwrap_or(32) >= *bits && (ip & m & mask(*bits)) == *net)
        }));
    }
    Ok(Arc::new(out.finish()))
}

fn ipv4_is_in_range_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (a, range) = (strings(args, 0)?, strings(args, 1)?);
    let mut out = BooleanBuilder::with_capacity(rows);
    for r in 0..rows {
        let v = match (
            a.get(r).and_then(ip_and_prefix),
            range.get(r).and_then(ip_and_prefix),
        ) {
            (Some((ip, _)), Some((net, p))) => {
                let m = mask(p.unwrap_or(32));
                Some((ip & m) == (net & m))
            }
            _ => None,
        };
        out.append_option(v);
    }
    Ok(Arc::new(out.finish()))
}

fn parse_ipv4_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        out.append_option(
            input
                .get(r)
                .and_then(ip_and_prefix)
                .map(|(ip, p)| i64::from(ip & mask(p.unwrap_or(32)))),
        );
    }
    Ok(Arc::new(out.finish()))
}

fn query_bag(query: &str) -> Value {
    let mut m = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        m.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    Value::Object(m)
}

/// Kusto's `parse_url` bag; an unparseable URL gives a bag of empty parts.
fn url_bag(text: &str) -> Value {
    match url::Url::parse(text.trim()) {
        Ok(u) => json!({
            "Scheme": u.scheme(),
            "Host": u.host_str().unwrap_or(""),
            "Port": u.port().map(|p| p.to_string()).unwrap_or_default(),
            "Path": u.path(),
            "Username": u.username(),
            "Password": u.password().unwrap_or(""),
            "Query Parameters": query_bag(u.query().unwrap_or("")),
            "Fragment": u.fragment().unwrap_or(""),
        }),
        Err(_) => json!({
            "Scheme": "", "Host": "", "Port": "", "Path": "", "Username": "", "Password": "",
            "Query Parameters": {}, "Fragment": "",
        }),
    }
}

fn parse_url_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 64);
    for r in 0..rows {
        out.append_value(url_bag(input.get(r).unwrap_or("")).to_string());
    }
    Ok(Arc::new(out.finish()))
}

fn parse_urlquery_body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let input = strings(args, 0)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 32);
    for r in 0..rows {
        let q = input.get(r).unwrap_or("");
        let q = q.split_once('?').map_or(q, |(_, q)| q);
        out.append_value(json!({"Query Parameters": query_bag(q)}).to_string());
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, StringArray};

    fn bools(body: crate::udf::UdfBody, args: Vec<ArrayRef>, n: usize) -> Vec<Option<bool>> {
        let out = body(&args, n).unwrap();
        out.as_boolean().iter().collect()
    }

    #[test]
    fn private_ranges() {
        let ips: ArrayRef = Arc::new(StringArray::from(vec![
            "10.1.2.3",
            "172.31.0.1",
            "172.32.0.1",
            "192.168.1.1",
            "8.8.8.8",
            "bad",
        ]));
        assert_eq!(
            bools(ipv4_is_private_body, vec![ips], 6),
            [
                Some(true),
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                None
            ]
        );
    }

    #[test]
    fn urls() {
        let v = url_bag("https://user@contoso.com:8080/a/b?x=1&y=two#frag");
        assert_eq!(v["Host"], "contoso.com");
        assert_eq!(v["Port"], "8080");
        assert_eq!(v["Query Parameters"]["y"], "two");
    }
}
