//! The JSON loader on any bytes, with and without a declared schema and in both error
//! modes: a table or a located error, never a panic.

#![no_main]

use kql_io::{OnError, TableSchema, json_from_bytes};
use kql_types::KType;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("fuzz.json");
    let declared = TableSchema {
        name: "T".to_string(),
        columns: [
            ("a", KType::Long),
            ("b", KType::String),
            ("c", KType::Datetime),
            ("d", KType::Dynamic),
            ("e", KType::Real),
            ("f", KType::Bool),
            ("g", KType::Timespan),
            ("h", KType::Int),
        ]
        .map(|(n, t)| (n.to_string(), t))
        .to_vec(),
    };
    for on_error in [OnError::Fail, OnError::Skip] {
        let _ = json_from_bytes(path, bytes, None, on_error);
        let _ = json_from_bytes(path, bytes, Some(&declared), on_error);
    }
});
