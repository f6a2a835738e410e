//! A DataFusion expression paired with its Kusto type.

use datafusion::logical_expr::{Expr, lit};
use datafusion::scalar::ScalarValue;
use kql_types::KType;

const TYPE_ARG_PREFIX: &str = "\u{0}typeof:";

/// A bound scalar expression: the DataFusion expression that computes it and its Kusto type.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub expr: Expr,
    pub ty: KType,
}

impl Typed {
    pub fn new(expr: Expr, ty: KType) -> Self {
        Typed { expr, ty }
    }

    pub fn string(s: impl Into<String>) -> Self {
        Typed::new(lit(s.into()), KType::String)
    }

    pub fn long(v: i64) -> Self {
        Typed::new(lit(v), KType::Long)
    }

    pub fn bool(v: bool) -> Self {
        Typed::new(lit(v), KType::Bool)
    }

    /// A typed null literal.
    pub fn null(ty: KType) -> Self {
        let v = ScalarValue::try_from(&ty.arrow_type()).unwrap_or(ScalarValue::Null);
        Typed::new(lit(v), ty)
    }

    /// A `typeof(T)` argument: carried as a marked string constant until a function that
    /// takes a result type reads it back with [`Typed::as_type_arg`].
    pub fn type_arg(ty: KType) -> Self {
        Typed::new(
            lit(format!("{TYPE_ARG_PREFIX}{}", ty.name())),
            KType::String,
        )
    }

    /// The type of a `typeof(T)` argument.
    pub fn as_type_arg(&self) -> Option<KType> {
        self.as_str_literal()?
            .strip_prefix(TYPE_ARG_PREFIX)
            .and_then(KType::from_name)
    }

    /// The literal string value, if this is a constant string.
    pub fn as_str_literal(&self) -> Option<&str> {
        match &self.expr {
            Expr::Literal(ScalarValue::Utf8(Some(s)), _) => Some(s),
            _ => None,
        }
    }

    /// The literal integer value, if this is a constant integer.
    pub fn as_i64_literal(&self) -> Option<i64> {
        match &self.expr {
            Expr::Literal(ScalarValue::Int64(Some(v)), _) => Some(*v),
            Expr::Literal(ScalarValue::Int32(Some(v)), _) => Some(*v as i64),
            _ => None,
        }
    }
}
