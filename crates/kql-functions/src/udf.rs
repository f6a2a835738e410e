//! One generic wrapper that turns a plain Rust function over Arrow arrays into a
//! DataFusion scalar UDF, and helpers for reading arguments.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The body of a UDF: the arguments as arrays of equal length, then the row count.
pub type UdfBody = fn(&[ArrayRef], usize) -> Result<ArrayRef>;

/// A scalar UDF defined by its name, return type and body. Argument types are checked by
/// the binder (through the function table), so the signature accepts any arguments.
#[derive(Debug)]
pub struct KqlUdf {
    name: &'static str,
    signature: Signature,
    ret: DataType,
    body: UdfBody,
}

impl KqlUdf {
    pub fn new_udf(name: &'static str, ret: DataType, body: UdfBody) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(KqlUdf {
            name,
            signature: Signature::variadic_any(Volatility::Immutable),
            ret,
            body,
        }))
    }
}

impl PartialEq for KqlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for KqlUdf {}

impl Hash for KqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.ret.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let out = (self.body)(&arrays, rows)?;
        if all_scalar {
            Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&out, 0)?,
            ))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// `udf!(STATIC, "name", return_type, body)`: a lazily built [`KqlUdf`] in a static.
macro_rules! udf {
    ($static:ident, $name:literal, $ret:expr, $body:ident) => {
        pub static $static: std::sync::LazyLock<
            std::sync::Arc<datafusion::logical_expr::ScalarUDF>,
        > = std::sync::LazyLock::new(|| $crate::udf::KqlUdf::new_udf($name, $ret, $body));
    };
}
pub(crate) use udf;

/// Reads argument `i` as strings (Utf8, LargeUtf8 or Utf8View), `None` for nulls.
pub fn strings(args: &[ArrayRef], i: usize) -> Result<StrArg<'_>> {
    let Some(a) = args.get(i) else {
        return exec_err!("missing argument {i}");
    };
    Ok(match a.data_type() {
        DataType::Utf8 => StrArg::Utf8(a.as_string::<i32>()),
        DataType::LargeUtf8 => StrArg::Large(a.as_string::<i64>()),
        DataType::Utf8View => StrArg::View(a.as_string_view()),
        DataType::Null => StrArg::Null,
        other => return exec_err!("expected a string argument, got {other}"),
    })
}

/// A string argument of any of Arrow's string layouts.
pub enum StrArg<'a> {
    Utf8(&'a datafusion::arrow::array::StringArray),
    Large(&'a datafusion::arrow::array::LargeStringArray),
    View(&'a datafusion::arrow::array::StringViewArray),
    Null,
}

impl StrArg<'_> {
    /// The string at `row`; None for a null or a row past the end (a constant option read
    /// at row 0 of an empty batch).
    pub fn get(&self, row: usize) -> Option<&str> {
        match self {
            StrArg::Utf8(a) => (row < a.len() && a.is_valid(row)).then(|| a.value(row)),
            StrArg::Large(a) => (row < a.len() && a.is_valid(row)).then(|| a.value(row)),
            StrArg::View(a) => (row < a.len() && a.is_valid(row)).then(|| a.value(row)),
            StrArg::Null => None,
        }
    }
}

/// Reads argument `i` as 64-bit integers.
pub fn longs(args: &[ArrayRef], i: usize) -> Result<ArrayRef> {
    let Some(a) = args.get(i) else {
        return exec_err!("missing argument {i}");
    };
    Ok(datafusion::arrow::compute::cast(a, &DataType::Int64)?)
}
