//! The one table of KQL functions: names, aliases, arity, kinds and binding rules.

use crate::typed::Typed;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What a function's binding rule may need beyond its arguments.
#[derive(Debug, Clone, Copy)]
pub struct CallCtx {
    /// `now()` for the whole query, in nanoseconds since the epoch.
    pub now: i64,
}

/// Checks argument types and produces the typed expression, or a message for a diagnostic.
pub type ScalarBind = fn(&CallCtx, Vec<Typed>) -> Result<Typed, String>;

/// Produces an aggregate expression from its bound arguments.
pub type AggregateBind = fn(Vec<Typed>) -> Result<Typed, String>;

#[derive(Debug)]
pub enum FunctionKind {
    Scalar(ScalarBind),
    Aggregate(Aggregate),
}

#[derive(Debug)]
pub struct Aggregate {
    /// Result column name prefix: `count` gives `count_`, `sum(X)` gives `sum_X`.
    pub column_prefix: &'static str,
    /// Produces the aggregate expression; None for aggregates the binder expands itself
    /// (`arg_max`, `arg_min`).
    pub bind: Option<AggregateBind>,
}

#[derive(Debug)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub min_args: usize,
    pub max_args: usize,
    pub kind: FunctionKind,
    pub doc: &'static str,
}

impl FunctionSpec {
    pub fn is_aggregate(&self) -> bool {
        matches!(self.kind, FunctionKind::Aggregate(_))
    }

    /// Checks the argument count; the message names the function and what it takes.
    pub fn check_arity(&self, n: usize) -> Result<(), String> {
        if n >= self.min_args && n <= self.max_args {
            return Ok(());
        }
        let takes = if self.min_args == self.max_args {
            format!("{}", self.min_args)
        } else if self.max_args == usize::MAX {
            format!("at least {}", self.min_args)
        } else {
            format!("{} to {}", self.min_args, self.max_args)
        };
        Err(format!(
            "{}() takes {takes} argument{}, got {n}",
            self.name,
            if takes == "1" { "" } else { "s" }
        ))
    }
}

/// The table entry of a scalar function: name, `[aliases]` (optional), the least and most
/// arguments, the bind rule, and a one-line description.
macro_rules! scalar_fn {
    ($name:literal, [$($alias:literal),*], $min:expr, $max:expr, $bind:expr, $doc:literal) => {
        $crate::table::FunctionSpec {
            name: $name,
            aliases: &[$($alias),*],
            min_args: $min,
            max_args: $max,
            kind: $crate::table::FunctionKind::Scalar($bind),
            doc: $doc,
        }
    };
    ($name:literal, $min:expr, $max:expr, $bind:expr, $doc:literal) => {
        $crate::table::scalar_fn!($name, [], $min, $max, $bind, $doc)
    };
}
pub(crate) use scalar_fn;

static INDEX: LazyLock<HashMap<&'static str, &'static FunctionSpec>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for spec in all() {
        m.insert(spec.name, spec);
        for alias in spec.aliases {
            m.insert(*alias, spec);
        }
    }
    m
});

/// Every function in the table.
pub fn all() -> impl Iterator<Item = &'static FunctionSpec> {
    crate::scalars::SCALARS
        .iter()
        .chain(crate::scalars_convert::CONVERSIONS)
        .chain(crate::scalars_text::TEXT)
        .chain(crate::scalars_text::MORE_TEXT)
        .chain(crate::scalars_math::MATH)
        .chain(crate::scalars_strings::STRINGS)
        .chain(crate::scalars_net::NET)
        .chain(crate::ip_compare::IP_COMPARE)
        .chain(crate::scalars_dynamic::DYNAMIC)
        .chain(crate::scalars_time::TIME)
        .chain(crate::time_format::TIME_FORMAT)
        .chain(crate::time_zones::TIME_ZONES)
        .chain(crate::window::WINDOW)
        .chain(crate::series::SERIES_FUNCTIONS)
        .chain(crate::series_math::SERIES_MATH_FUNCTIONS)
        .chain(crate::paths::PATHS)
        .chain(crate::ip_search::IP_SEARCH)
        .chain(crate::geo::GEO)
        .chain(crate::sketches::SKETCHES)
        .chain(crate::assert::ASSERTS)
        .chain(crate::aggregates::AGGREGATES)
}

/// Finds a function by name or alias (Kusto function names are case-sensitive).
pub fn lookup(name: &str) -> Option<&'static FunctionSpec> {
    INDEX.get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for spec in all() {
            for n in std::iter::once(&spec.name).chain(spec.aliases) {
                assert!(seen.insert(*n), "duplicate function name {n}");
            }
            assert!(spec.min_args <= spec.max_args, "{}", spec.name);
        }
    }

    #[test]
    fn legacy_aliases_resolve() {
        assert_eq!(lookup("parsejson").map(|s| s.name), Some("parse_json"));
        assert_eq!(lookup("iif").map(|s| s.name), Some("iff"));
        assert!(lookup("nope").is_none());
    }
}
