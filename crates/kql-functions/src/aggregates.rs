//! Aggregate functions of the table (used in `summarize`).

use crate::coerce::cast_to;
use crate::table::{Aggregate, FunctionKind, FunctionSpec};
use crate::typed::Typed;
use datafusion::functions_aggregate::expr_fn as a;
use datafusion::logical_expr::{lit, when};
use kql_types::KType;

macro_rules! aggregate {
    ($name:literal, [$($alias:literal),*], $min:expr, $max:expr, $prefix:literal, $bind:expr, $doc:literal) => {
        FunctionSpec {
            name: $name,
            aliases: &[$($alias),*],
            min_args: $min,
            max_args: $max,
            kind: FunctionKind::Aggregate(Aggregate { column_prefix: $prefix, bind: $bind }),
            doc: $doc,
        }
    };
}

pub static AGGREGATES: &[FunctionSpec] = &[
    aggregate!(
        "count",
        [],
        0,
        1,
        "count",
        Some(count),
        "The number of rows."
    ),
    aggregate!(
        "countif",
        [],
        1,
        1,
        "countif",
        Some(countif),
        "The number of rows where the predicate is true."
    ),
    aggregate!("sum", [], 1, 1, "sum", Some(sum), "The sum of the values."),
    aggregate!("avg", [], 1, 1, "avg", Some(avg), "The mean of the values."),
    aggregate!("min", [], 1, 1, "min", Some(min), "The smallest value."),
    aggregate!("max", [], 1, 1, "max", Some(max), "The largest value."),
    aggregate!(
        "dcount",
        [],
        1,
        2,
        "dcount",
        Some(dcount),
        "The number of distinct values."
    ),
    aggregate!(
        "take_any",
        ["any"],
        1,
        1,
        "take_any",
        Some(take_any),
        "An arbitrary value of the group."
    ),
    aggregate!(
        "dcountif",
        [],
        2,
        3,
        "dcountif",
        Some(dcountif),
        "The number of distinct values where the predicate is true."
    ),
    aggregate!(
        "sumif",
        [],
        2,
        2,
        "sumif",
        Some(sumif),
        "The sum of the values where the predicate is true."
    ),
    aggregate!(
        "make_list",
        ["makelist"],
        1,
        2,
        "list",
        Some(|a| make_list(a, false, false, false)),
        "A dynamic array of the group's values."
    ),
    aggregate!(
        "make_set",
        ["makeset"],
        1,
        2,
        "set",
        Some(|a| make_list(a, true, false, false)),
        "A dynamic array of the group's distinct values."
    ),
    aggregate!(
        "make_list_with_nulls",
        [],
        1,
        2,
        "list",
        Some(|a| make_list(a, false, false, true)),
        "A dynamic array of the group's values, nulls included."
    ),
    aggregate!(
        "make_list_if",
        [],
        2,
        3,
        "list",
        Some(|a| make_list(a, false, true, false)),
        "make_list over the rows where the predicate is true."
    ),
    aggregate!(
        "make_set_if",
        [],
        2,
        3,
        "set",
        Some(|a| make_list(a, true, true, false)),
        "make_set over the rows where the predicate is true."
    ),
    aggregate!(
        "arg_max",
        ["argmax"],
        2,
        usize::MAX,
        "max",
        None,
        "The row with the largest value: that value and the named columns (or *)."
    ),
    aggregate!(
        "arg_min",
        ["argmin"],
        2,
        usize::MAX,
        "min",
        None,
        "The row with the smallest value: that value and the named columns (or *)."
    ),
    aggregate!(
        "make_bag",
        [],
        1,
        2,
        "bag",
        Some(make_bag),
        "The property bags of the group merged into one."
    ),
    aggregate!(
        "stdev",
        [],
        1,
        1,
        "stdev",
        Some(|a| spread(a, Spread::Stdev)),
        "The sample standard deviation."
    ),
    aggregate!(
        "stdevp",
        [],
        1,
        1,
        "stdevp",
        Some(|a| spread(a, Spread::StdevP)),
        "The population standard deviation."
    ),
    aggregate!(
        "variance",
        [],
        1,
        1,
        "variance",
        Some(|a| spread(a, Spread::Variance)),
        "The sample variance."
    ),
    aggregate!(
        "variancep",
        [],
        1,
        1,
        "variancep",
        Some(|a| spread(a, Spread::VarianceP)),
        "The population variance."
    ),
    aggregate!(
        "stdevif",
        [],
        2,
        2,
        "stdevif",
        Some(|a| conditional(a, |a| spread(a, Spread::Stdev))),
        "The sample standard deviation where the predicate is true."
    ),
    aggregate!(
        "stdevpif",
        [],
        2,
        2,
        "stdevpif",
        Some(|a| conditional(a, |a| spread(a, Spread::StdevP))),
        "The population standard deviation where the predicate is true."
    ),
    aggregate!(
        "varianceif",
        [],
        2,
        2,
        "varianceif",
        Some(|a| conditional(a, |a| spread(a, Spread::Variance))),
        "The sample variance where the predicate is true."
    ),
    aggregate!(
        "variancepif",
        [],
        2,
        2,
        "variancepif",
        Some(|a| conditional(a, |a| spread(a, Spread::VarianceP))),
        "The population variance where the predicate is true."
    ),
    aggregate!(
        "make_bag_if",
        [],
        2,
        3,
        "bag",
        Some(|a| conditional(a, make_bag)),
        "make_bag over the rows where the predicate is true."
    ),
    aggregate!(
        "buildschema",
        [],
        1,
        1,
        "schema",
        Some(|a| {
            let values = make_list(a, false, false, false)?;
            crate::scalars_dynamic::op("buildschema", vec![values], KType::Dynamic)
        }),
        "The types found in the dynamic values, per property and array element."
    ),
    aggregate!(
        "tdigest",
        [],
        1,
        2,
        "tdigest",
        Some(tdigest),
        "A summary of the values (and their weights) for percentile_tdigest() and rank_tdigest()."
    ),
    aggregate!(
        "hll",
        [],
        1,
        2,
        "hll",
        Some(|mut a| {
            a.truncate(1);
            make_list(a, true, false, false)
        }),
        "A summary of the distinct values for dcount_hll() and hll_merge()."
    ),
    aggregate!(
        "percentilew",
        [],
        3,
        3,
        "percentilew",
        Some(percentilew),
        "The given percentile of the values, each counted as many times as its weight."
    ),
    aggregate!(
        "percentile",
        [],
        2,
        2,
        "percentile",
        Some(percentile),
        "An estimate of the given percentile of the values."
    ),
    aggregate!(
        "minif",
        [],
        2,
        2,
        "minif",
        Some(|a| conditional(a, min)),
        "The smallest value where the predicate is true."
    ),
    aggregate!(
        "maxif",
        [],
        2,
        2,
        "maxif",
        Some(|a| conditional(a, max)),
        "The largest value where the predicate is true."
    ),
    aggregate!(
        "binary_all_and",
        [],
        1,
        1,
        "binary_all_and",
        Some(|a| bitwise_all(a, a::bit_and)),
        "The bitwise and of all the values."
    ),
    aggregate!(
        "binary_all_or",
        [],
        1,
        1,
        "binary_all_or",
        Some(|a| bitwise_all(a, a::bit_or)),
        "The bitwise or of all the values."
    ),
    aggregate!(
        "binary_all_xor",
        [],
        1,
        1,
        "binary_all_xor",
        Some(|a| bitwise_all(a, a::bit_xor)),
        "The bitwise exclusive or of all the values."
    ),
    aggregate!(
        "avgif",
        [],
        2,
        2,
        "avgif",
        Some(|a| conditional(a, avg)),
        "The mean of the values where the predicate is true."
    ),
    aggregate!(
        "take_anyif",
        ["anyif"],
        2,
        2,
        "take_anyif",
        Some(|a| conditional(a, take_any)),
        "A value of a row where the predicate is true."
    ),
];

fn count(_: Vec<Typed>) -> Result<Typed, String> {
    Ok(Typed::new(a::count(lit(1i64)), KType::Long))
}

fn countif(args: Vec<Typed>) -> Result<Typed, String> {
    let p = first(args)?;
    if p.ty != KType::Bool {
        return Err(format!(
            "countif(): expected a bool predicate, got {}",
            p.ty
        ));
    }
    let one = when(p.expr, lit(1i64))
        .otherwise(lit(0i64))
        .map_err(|e| e.to_string())?;
    Ok(Typed::new(
        datafusion::functions::expr_fn::coalesce(vec![a::sum(one), lit(0i64)]),
        KType::Long,
    ))
}

fn numeric(v: Typed, func: &str) -> Result<Typed, String> {
    match v.ty {
        KType::Int | KType::Long => Ok(cast_to(v, KType::Long)),
        KType::Real | KType::Decimal | KType::Timespan => Ok(v),
        KType::Dynamic => Ok(cast_to(v, KType::Real)),
        other => Err(format!("{func}(): expected a number, got {other}")),
    }
}

fn sum(args: Vec<Typed>) -> Result<Typed, String> {
    let v = numeric(first(args)?, "sum")?;
    Ok(Typed::new(a::sum(v.expr), v.ty))
}

/// `avg`: the mean of the non-null values; NaN when there are none (0 / 0), as in Kusto.
fn avg(args: Vec<Typed>) -> Result<Typed, String> {
    let v = numeric(first(args)?, "avg")?;
    let mean = a::avg(cast_to(v, KType::Real).expr);
    Ok(Typed::new(
        datafusion::functions::core::expr_fn::coalesce(vec![mean, lit(f64::NAN)]),
        KType::Real,
    ))
}

fn min(args: Vec<Typed>) -> Result<Typed, String> {
    let v = first(args)?;
    Ok(Typed::new(a::min(v.expr), v.ty))
}

fn max(args: Vec<Typed>) -> Result<Typed, String> {
    let v = first(args)?;
    Ok(Typed::new(a::max(v.expr), v.ty))
}

fn dcount(args: Vec<Typed>) -> Result<Typed, String> {
    let v = first(args)?;
    Ok(Typed::new(a::count_distinct(v.expr), KType::Long))
}

fn take_any(args: Vec<Typed>) -> Result<Typed, String> {
    let v = first(args)?;
    Ok(Typed::new(a::first_value(v.expr, vec![]), v.ty))
}

fn first(args: Vec<Typed>) -> Result<Typed, String> {
    args.into_iter()
        .next()
        .ok_or_else(|| "missing argument".to_string())
}

/// `x` where the predicate holds, else null (aggregates skip nulls).
fn only_if(v: Typed, p: Typed, func: &str) -> Result<datafusion::logical_expr::Expr, String> {
    if p.ty != KType::Bool {
        return Err(format!("{func}(): expected a bool predicate, got {}", p.ty));
    }
    let null = Typed::null(v.ty).expr;
    when(p.expr, v.expr)
        .otherwise(null)
        .map_err(|e| e.to_string())
}

fn dcountif(args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(v), Some(p)) = (it.next(), it.next()) else {
        return Err("dcountif() takes a value and a predicate".into());
    };
    Ok(Typed::new(
        a::count_distinct(only_if(v, p, "dcountif")?),
        KType::Long,
    ))
}

fn sumif(args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(v), Some(p)) = (it.next(), it.next()) else {
        return Err("sumif() takes a value and a predicate".into());
    };
    let v = numeric(v, "sumif")?;
    let ty = v.ty;
    Ok(Typed::new(a::sum(only_if(v, p, "sumif")?), ty))
}

/// `make_list(x [, max])`, `make_set`, and their `_if` forms: the values gathered with
/// `array_agg`, then written as a JSON array (nulls skipped, `[]` for no values).
fn make_list(
    args: Vec<Typed>,
    distinct: bool,
    conditional: bool,
    keep_nulls: bool,
) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let v = it.next().ok_or("missing argument")?;
    let value = if conditional {
        let p = it.next().ok_or("missing predicate")?;
        Typed::new(only_if(v.clone(), p, "make_list_if")?, v.ty)
    } else {
        v
    };
    let max = it
        .next()
        .map_or(lit(i64::MAX), |m| cast_to(m, KType::Long).expr);
    let list = a::array_agg(value.expr);
    let json = crate::build_dynamic::LIST_JSON.call(vec![
        list,
        lit(value.ty.name()),
        max,
        lit(distinct),
        lit(keep_nulls),
    ]);
    Ok(Typed::new(json, KType::Dynamic))
}

fn make_bag(args: Vec<Typed>) -> Result<Typed, String> {
    let v = first(args)?;
    if v.ty != KType::Dynamic {
        return Err(format!(
            "make_bag() expects dynamic property bags, got {}",
            v.ty
        ));
    }
    let merged = crate::build_dynamic::MERGE_BAGS.call(vec![a::array_agg(v.expr)]);
    Ok(Typed::new(merged, KType::Dynamic))
}

enum Spread {
    Stdev,
    StdevP,
    Variance,
    VarianceP,
}

fn spread(args: Vec<Typed>, kind: Spread) -> Result<Typed, String> {
    let v = cast_to(numeric(first(args)?, "stdev")?, KType::Real).expr;
    let e = match kind {
        Spread::Stdev => a::stddev(v),
        Spread::StdevP => a::stddev_pop(v),
        Spread::Variance => a::var_sample(v),
        Spread::VarianceP => a::var_pop(v),
    };
    Ok(Typed::new(e, KType::Real))
}

fn bitwise_all(
    args: Vec<Typed>,
    agg: fn(datafusion::logical_expr::Expr) -> datafusion::logical_expr::Expr,
) -> Result<Typed, String> {
    let v = first(args)?;
    if !matches!(v.ty, KType::Int | KType::Long) {
        return Err(format!("expected integers, got {}", v.ty));
    }
    Ok(Typed::new(agg(cast_to(v, KType::Long).expr), KType::Long))
}

fn percentile(args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(v), Some(p)) = (it.next(), it.next()) else {
        return Err("percentile() takes a value and a percentage".into());
    };
    let ty = v.ty;
    if !(ty.is_numeric() || matches!(ty, KType::Datetime | KType::Timespan)) {
        return Err(format!("percentile() expects numbers, got {ty}"));
    }
    // Kusto's nearest rank: the smallest value with at least p% of the values at or below it.
    use datafusion::arrow::datatypes::DataType;
    use datafusion::functions::math::expr_fn::ceil;
    use datafusion::functions_nested::expr_fn::{array_element, array_sort, cardinality};
    use datafusion::logical_expr::{ExprFunctionExt, cast};
    let values = a::array_agg(v.expr.clone())
        .filter(v.expr.is_not_null())
        .build()
        .map_err(|e| e.to_string())?;
    let sorted = array_sort(values, lit("ASC"), lit("NULLS LAST"));
    let fraction = cast_to(p, KType::Real).expr / lit(100.0);
    let rank = cast(
        ceil(fraction * cast(cardinality(sorted.clone()), DataType::Float64)),
        DataType::Int64,
    );
    let rank = when(rank.clone().lt(lit(1i64)), lit(1i64))
        .otherwise(rank)
        .map_err(|e| e.to_string())?;
    Ok(Typed::new(array_element(sorted, rank), ty))
}

/// `[value, weight]` pairs of a group, as a dynamic array (weight 1 when not given).
fn weighted_pairs(args: Vec<Typed>) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let v = it.next().ok_or("missing argument")?;
    let w = it
        .next()
        .unwrap_or_else(|| Typed::new(lit(1i64), KType::Long));
    let pack = crate::table::lookup("pack_array").ok_or("pack_array is missing")?;
    let crate::table::FunctionKind::Scalar(bind) = pack.kind else {
        return Err("pack_array is not a scalar function".into());
    };
    let pair = bind(&crate::table::CallCtx { now: 0 }, vec![v, w])?;
    make_list(vec![pair], false, false, false)
}

fn tdigest(args: Vec<Typed>) -> Result<Typed, String> {
    if !args[0].ty.is_numeric() {
        return Err(format!("not supported yet: tdigest() of {}", args[0].ty));
    }
    weighted_pairs(args)
}

fn percentilew(mut args: Vec<Typed>) -> Result<Typed, String> {
    let p = args.pop().ok_or("missing percentage")?;
    let ty = args[0].ty;
    if !matches!(ty, KType::Int | KType::Long | KType::Real) {
        return Err(format!("not supported yet: percentilew() of {ty}"));
    }
    let pairs = weighted_pairs(args)?;
    crate::scalars_dynamic::op("percentile_weighted", vec![pairs, p], ty)
}

/// An `*if` aggregate: the plain aggregate over the values where the predicate holds.
fn conditional(
    args: Vec<Typed>,
    plain: fn(Vec<Typed>) -> Result<Typed, String>,
) -> Result<Typed, String> {
    let mut it = args.into_iter();
    let (Some(v), Some(p)) = (it.next(), it.next()) else {
        return Err("expected a value and a predicate".into());
    };
    let ty = v.ty;
    plain(vec![Typed::new(only_if(v, p, "if")?, ty)])
}
