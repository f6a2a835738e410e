//! The Kusto type model: type names, their Arrow representation, and the text forms of
//! datetime and timespan values. Used by the loaders, the binder and the writers alike.

mod datetime;
pub mod json_scan;
pub mod json_skim;
mod string_windows;
mod timespan;

pub use datetime::{datetime_text, format_datetime, parse_datetime};
pub use timespan::{format_timespan, parse_timespan};

use arrow::datatypes::{DataType, Field, TimeUnit};
use std::collections::HashMap;
use std::fmt;

/// Field metadata key holding the Kusto type name of a column.
pub const TYPE_METADATA_KEY: &str = "kusto.type";

/// A Kusto scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    Datetime,
    Timespan,
    Guid,
    Dynamic,
}

impl KType {
    pub const ALL: [KType; 10] = [
        KType::Bool,
        KType::Int,
        KType::Long,
        KType::Real,
        KType::Decimal,
        KType::String,
        KType::Datetime,
        KType::Timespan,
        KType::Guid,
        KType::Dynamic,
    ];

    /// The name Kusto uses (`getschema`, `typeof`, result schemas).
    pub fn name(self) -> &'static str {
        match self {
            KType::Bool => "bool",
            KType::Int => "int",
            KType::Long => "long",
            KType::Real => "real",
            KType::Decimal => "decimal",
            KType::String => "string",
            KType::Datetime => "datetime",
            KType::Timespan => "timespan",
            KType::Guid => "guid",
            KType::Dynamic => "dynamic",
        }
    }

    /// Parses a type name, including Kusto's aliases (`boolean`, `double`, `date`, `time`).
    pub fn from_name(name: &str) -> Option<KType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => KType::Bool,
            "int" | "int32" => KType::Int,
            "long" | "int64" => KType::Long,
            "real" | "double" | "float" => KType::Real,
            "decimal" => KType::Decimal,
            "string" => KType::String,
            "datetime" | "date" => KType::Datetime,
            "timespan" | "time" => KType::Timespan,
            "guid" | "uuid" | "uniqueid" => KType::Guid,
            "dynamic" => KType::Dynamic,
            _ => return None,
        })
    }

    /// The Arrow type that holds values of this Kusto type.
    /// The .NET type Kusto reports for the type (`getschema`'s DataType).
    pub fn dotnet_name(self) -> &'static str {
        match self {
            KType::Bool => "System.SByte",
            KType::Int => "System.Int32",
            KType::Long => "System.Int64",
            KType::Real => "System.Double",
            KType::Decimal => "System.Data.SqlTypes.SqlDecimal",
            KType::String => "System.String",
            KType::Datetime => "System.DateTime",
            KType::Timespan => "System.TimeSpan",
            KType::Guid => "System.Guid",
            KType::Dynamic => "System.Object",
        }
    }

    pub fn arrow_type(self) -> DataType {
        match self {
            KType::Bool => DataType::Boolean,
            KType::Int => DataType::Int32,
            KType::Long => DataType::Int64,
            KType::Real => DataType::Float64,
            KType::Decimal => DataType::Decimal128(38, 18),
            KType::String | KType::Guid | KType::Dynamic => DataType::Utf8,
            KType::Datetime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            KType::Timespan => DataType::Duration(TimeUnit::Nanosecond),
        }
    }

    /// The Kusto type of an Arrow type when no metadata says otherwise.
    pub fn from_arrow(dt: &DataType) -> KType {
        match dt {
            DataType::Boolean => KType::Bool,
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16 => KType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KType::Real,
            DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => KType::Decimal,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KType::Datetime,
            DataType::Duration(_)
            | DataType::Interval(_)
            | DataType::Time32(_)
            | DataType::Time64(_) => KType::Timespan,
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Struct(_)
            | DataType::Map(..) => KType::Dynamic,
            _ => KType::String,
        }
    }

    /// The Kusto type of a field: its metadata tag, else derived from its Arrow type.
    pub fn of_field(field: &Field) -> KType {
        field
            .metadata()
            .get(TYPE_METADATA_KEY)
            .and_then(|n| KType::from_name(n))
            .unwrap_or_else(|| KType::from_arrow(field.data_type()))
    }

    /// A nullable Arrow field of this type, tagged with the Kusto type name.
    pub fn field(self, name: impl Into<String>) -> Field {
        Field::new(name, self.arrow_type(), true).with_metadata(self.metadata())
    }

    /// The field metadata that tags a column with this type.
    pub fn metadata(self) -> HashMap<String, String> {
        HashMap::from([(TYPE_METADATA_KEY.to_string(), self.name().to_string())])
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            KType::Int | KType::Long | KType::Real | KType::Decimal
        )
    }

    /// Stored as text (string, guid, dynamic JSON).
    pub fn is_text(self) -> bool {
        matches!(self, KType::String | KType::Guid | KType::Dynamic)
    }
}

impl fmt::Display for KType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Formats a real the way Kusto prints it: integers without a fraction, `NaN`,
/// `Infinity`, `-Infinity`, otherwise the shortest round-trip text.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in KType::ALL {
            assert_eq!(KType::from_name(t.name()), Some(t));
            assert_eq!(KType::of_field(&t.field("c")), t);
        }
        assert_eq!(KType::from_name("Double"), Some(KType::Real));
        assert_eq!(KType::from_name("nope"), None);
    }

    #[test]
    fn reals_print_like_kusto() {
        assert_eq!(format_real(1.0), "1");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(f64::NAN), "NaN");
        assert_eq!(format_real(f64::NEG_INFINITY), "-Infinity");
    }
}
