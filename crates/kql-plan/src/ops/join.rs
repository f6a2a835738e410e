//! `join` with Kusto's kinds (default `innerunique`) and column naming (right-side
//! duplicates get a numeric suffix: `Id1`).

use crate::binder::Binder;
use crate::names::unique;
use crate::tab::Tab;
use datafusion::common::{Column, JoinType};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder};
use kql_functions::Typed;
use kql_syntax::ast::{BinaryOp, Expr, ExprKind, OpParam};
use kql_syntax::{Diagnostic, Span, diagnostic::codes};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    LeftAnti,
    RightSemi,
    RightAnti,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "innerunique" => Kind::InnerUnique,
            "inner" => Kind::Inner,
            "leftouter" => Kind::LeftOuter,
            "rightouter" => Kind::RightOuter,
            "fullouter" | "outer" => Kind::FullOuter,
            "leftsemi" | "semi" => Kind::LeftSemi,
            "leftanti" | "anti" | "leftantisemi" => Kind::LeftAnti,
            "rightsemi" => Kind::RightSemi,
            "rightanti" | "rightantisemi" => Kind::RightAnti,
            _ => return None,
        })
    }

    fn join_type(self) -> JoinType {
        match self {
            Kind::InnerUnique | Kind::Inner => JoinType::Inner,
            Kind::LeftOuter => JoinType::Left,
            Kind::RightOuter => JoinType::Right,
            Kind::FullOuter => JoinType::Full,
            Kind::LeftSemi => JoinType::LeftSemi,
            Kind::LeftAnti => JoinType::LeftAnti,
            Kind::RightSemi => JoinType::RightSemi,
            Kind::RightAnti => JoinType::RightAnti,
        }
    }
}

const LEFT: &str = "__left";
const RIGHT: &str = "__right";

impl Binder<'_> {
    /// `lookup`: a join (`leftouter` by default, or `inner`) whose result keeps the left
    /// columns and the right columns other than the keys.
    pub(super) fn lookup(
        &mut self,
        left: Tab,
        params: &[OpParam],
        right: &Expr,
        on: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut kind = Kind::LeftOuter;
        for p in params {
            if p.name.name == "kind" {
                kind = match p.word().as_deref() {
                    Some("inner") => Kind::Inner,
                    Some("leftouter") => Kind::LeftOuter,
                    _ => {
                        return Err(Diagnostic::error(
                            codes::SYNTAX,
                            "lookup kind is leftouter or inner",
                            p.value.span,
                        ));
                    }
                };
            }
        }
        self.join_as(left, kind, true, right, on, span)
    }

    pub(super) fn join(
        &mut self,
        left: Tab,
        params: &[OpParam],
        right: &Expr,
        on: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut kind = Kind::InnerUnique;
        for p in params {
            if p.name.name == "kind" {
                let value = p.word().unwrap_or_default();
                kind = Kind::parse(&value).ok_or_else(|| {
                    Diagnostic::error(
                        codes::SYNTAX,
                        format!("unknown join kind '{value}'"),
                        p.value.span,
                    )
                })?;
            }
            // hint.* options only tune Kusto's execution; they do not change results.
        }
        self.join_as(left, kind, false, right, on, span)
    }

    fn join_as(
        &mut self,
        left: Tab,
        kind: Kind,
        drop_right_keys: bool,
        right: &Expr,
        on: &[Expr],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let right = self.tabular(right)?;
        if on.is_empty() {
            return Err(Diagnostic::unsupported("join without 'on'", span));
        }
        let mut keys = Vec::new();
        for e in on {
            collect_keys(e, &left, &right, &mut keys)?;
        }
        let left = if kind == Kind::InnerUnique {
            // innerunique keeps one left row per key value.
            let on_exprs: Vec<DfExpr> = keys.iter().map(|(l, _)| left.col(*l)).collect();
            let all: Vec<DfExpr> = (0..left.len())
                .map(|i| left.col(i).alias(&left.names()[i]))
                .collect();
            let types = left.types.clone();
            left.build(span, |b| b.distinct_on(on_exprs, all, None), types)?
        } else {
            left
        };
        let (lnames, rnames) = (left.names(), right.names());
        let lcols: Vec<Column> = keys
            .iter()
            .map(|(l, _)| Column::new(Some(LEFT), &lnames[*l]))
            .collect();
        let rcols: Vec<Column> = keys
            .iter()
            .map(|(_, r)| Column::new(Some(RIGHT), &rnames[*r]))
            .collect();
        let right_plan = LogicalPlanBuilder::from(right.plan)
            .alias(RIGHT)
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        let joined = LogicalPlanBuilder::from(left.plan)
            .alias(LEFT)
            .and_then(|b| b.join(right_plan, kind.join_type(), (lcols, rcols), None))
            .and_then(|b| b.build())
            .map_err(crate::df_err(span))?;
        let joined = Tab::from_plan(joined);
        let side =
            |qual: &str, names: &[String], types: &[kql_types::KType]| -> Vec<(Typed, String)> {
                names
                    .iter()
                    .zip(types)
                    .map(|(n, t)| {
                        (
                            Typed::new(DfExpr::Column(Column::new(Some(qual), n)), *t),
                            n.clone(),
                        )
                    })
                    .collect()
            };
        let lside = side(LEFT, &lnames, &left.types);
        let mut rside = side(RIGHT, &rnames, &right.types);
        if drop_right_keys {
            let keys: Vec<usize> = keys.iter().map(|(_, r)| *r).collect();
            rside = rside
                .into_iter()
                .enumerate()
                .filter_map(|(i, c)| (!keys.contains(&i)).then_some(c))
                .collect();
        }
        let out = match kind {
            Kind::LeftSemi | Kind::LeftAnti => lside,
            Kind::RightSemi | Kind::RightAnti => rside,
            _ => {
                let mut out = lside;
                let mut taken: Vec<String> = lnames.clone();
                for (v, n) in rside {
                    let name = unique(&n, &taken);
                    taken.push(name.clone());
                    out.push((v, name));
                }
                out
            }
        };
        joined.project(out, span)
    }
}

/// Join keys: `Col`, `$left.A == $right.B`, combined with `and` or commas.
fn collect_keys(
    e: &Expr,
    left: &Tab,
    right: &Tab,
    keys: &mut Vec<(usize, usize)>,
) -> Result<(), Diagnostic> {
    let find = |tab: &Tab, name: &str, side: &str, span: Span| {
        tab.find(name).ok_or_else(|| {
            Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("the {side} side of the join has no column '{name}'"),
                span,
            )
        })
    };
    match &e.kind {
        ExprKind::Name(n) => {
            keys.push((
                find(left, &n.name, "left", n.span)?,
                find(right, &n.name, "right", n.span)?,
            ));
            Ok(())
        }
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            collect_keys(lhs, left, right, keys)?;
            collect_keys(rhs, left, right, keys)
        }
        ExprKind::Binary {
            op: BinaryOp::Eq,
            lhs,
            rhs,
        } => {
            let (a, b) = (side_ref(lhs), side_ref(rhs));
            let (l, r) = match (a, b) {
                (Some(("$left", l)), Some(("$right", r)))
                | (Some(("$right", r)), Some(("$left", l))) => (l, r),
                _ => {
                    return Err(Diagnostic::error(
                        codes::SYNTAX,
                        "a join condition compares $left.Column with $right.Column",
                        e.span,
                    ));
                }
            };
            keys.push((
                find(left, l, "left", lhs.span)?,
                find(right, r, "right", rhs.span)?,
            ));
            Ok(())
        }
        _ => Err(Diagnostic::unsupported("this join condition", e.span)),
    }
}

fn side_ref(e: &Expr) -> Option<(&str, &str)> {
    match &e.kind {
        ExprKind::Member { target, name } => match &target.kind {
            ExprKind::Name(side) if side.name == "$left" || side.name == "$right" => {
                Some((side.name.as_str(), name.name.as_str()))
            }
            _ => None,
        },
        _ => None,
    }
}
