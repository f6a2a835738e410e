use super::*;

fn ok(src: &str) -> Script {
    match parse(src) {
        Ok(s) => s,
        Err(d) => panic!("{}", d.render(src, "test")),
    }
}

fn query(src: &str) -> Expr {
    match ok(src).statements.pop() {
        Some(Statement::Query(e)) => e,
        other => panic!("not a query: {other:?}"),
    }
}

#[test]
fn seed_hunt_parses() {
    let src = include_str!("../../../../queries/identify-acting-user-for-reported-phish.kql");
    let script = ok(src);
    assert_eq!(script.statements.len(), 4);
    let Statement::Let(f) = &script.statements[0] else {
        panic!()
    };
    assert_eq!(f.name.name, "ExtractInternetMessageId");
    assert!(matches!(f.value, LetValue::Function(_)));
}

#[test]
fn precedence_and_over_or_and_cmp_over_and() {
    let e = query("a == 1 or b == 2 and c has 'x'");
    let ExprKind::Binary {
        op: BinaryOp::Or,
        rhs,
        ..
    } = e.kind
    else {
        panic!("{e:?}")
    };
    let ExprKind::Binary {
        op: BinaryOp::And,
        rhs: inner,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    assert!(matches!(
        inner.kind,
        ExprKind::Binary {
            op: BinaryOp::Str(StrOp {
                kind: StrOpKind::Has,
                ..
            }),
            ..
        }
    ));
}

#[test]
fn arithmetic_precedence() {
    let e = query("1 + 2 * 3");
    let ExprKind::Binary {
        op: BinaryOp::Add,
        rhs,
        ..
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(
        rhs.kind,
        ExprKind::Binary {
            op: BinaryOp::Mul,
            ..
        }
    ));
}

#[test]
fn negated_and_case_insensitive_in() {
    let e = query("x !in~ ('a', 'b')");
    let ExprKind::In {
        negated,
        case_insensitive,
        list,
        ..
    } = e.kind
    else {
        panic!()
    };
    assert!(negated && case_insensitive);
    assert_eq!(list.len(), 2);
}

#[test]
fn string_operator_spellings() {
    for (src, spelling) in [
        ("a !has 'x'", "!has"),
        ("a has_cs 'x'", "has_cs"),
        ("a !contains_cs 'x'", "!contains_cs"),
        ("a notcontains 'x'", "!contains"),
        ("a matches regex 'x'", "matches regex"),
        ("a !startswith 'x'", "!startswith"),
    ] {
        let ExprKind::Binary {
            op: BinaryOp::Str(op),
            ..
        } = query(src).kind
        else {
            panic!("{src}")
        };
        assert_eq!(op.spelling(), spelling, "{src}");
    }
}

#[test]
fn pipes_and_operators() {
    let e = query(
        "T | where x > 1 | mv-expand with_itemindex=I A = d.items to typeof(dynamic) | order by A asc nulls first",
    );
    let ExprKind::Pipe { op, input } = e.kind else {
        panic!()
    };
    let OperatorKind::Sort(keys) = op.kind else {
        panic!()
    };
    assert_eq!(keys[0].ascending, Some(true));
    assert_eq!(keys[0].nulls_first, Some(true));
    let ExprKind::Pipe { op, .. } = input.kind else {
        panic!()
    };
    let OperatorKind::MvExpand {
        params, columns, ..
    } = op.kind
    else {
        panic!()
    };
    assert_eq!(params[0].name.name, "with_itemindex");
    assert_eq!(columns[0].name.as_ref().unwrap().name, "A");
    assert_eq!(columns[0].to_type.as_ref().unwrap().name, "dynamic");
}

#[test]
fn literals() {
    assert!(matches!(
        query("datetime(2021-01-01)").kind,
        ExprKind::Literal(Literal::Datetime(_))
    ));
    assert!(matches!(
        query("long(null)").kind,
        ExprKind::Literal(Literal::TypedNull(_))
    ));
    assert!(
        matches!(query("real(-inf)").kind, ExprKind::Literal(Literal::Real(v)) if v == f64::NEG_INFINITY)
    );
    assert!(matches!(
        query("-5").kind,
        ExprKind::Literal(Literal::Long(-5))
    ));
    let ExprKind::Dynamic(DynValue::Object(f)) = query(r#"dynamic({"a": [1, "x", null]})"#).kind
    else {
        panic!()
    };
    assert_eq!(f[0].0, "a");
    assert!(matches!(query("typeof(string)").kind, ExprKind::TypeOf(_)));
    assert!(
        matches!(query("'a' 'b'").kind, ExprKind::Literal(Literal::String(ref s)) if s == "ab")
    );
}

#[test]
fn let_forms() {
    let s = ok(
        "let a = 1; let f = (x: long, y: string = 'd') { x + 1 }; let t = (T: (*)) { T | take 1 }; let v = view () { print 1 }; f(2)",
    );
    assert_eq!(s.statements.len(), 5);
    let Statement::Let(LetStmt {
        value: LetValue::Function(f),
        ..
    }) = &s.statements[1]
    else {
        panic!()
    };
    assert_eq!(f.params.len(), 2);
    assert!(f.params[1].default.is_some());
}

#[test]
fn join_summarize_and_sources() {
    ok("T | join kind=leftouter hint.strategy=shuffle (U | where a) on $left.A == $right.B");
    ok("T | summarize count(), (m, a) = arg_max(ts, *) by bin(ts, 1h), k");
    ok("print x = 1, 'y'");
    ok("range i from 1 to 10 step 1");
    ok("datatable(a:long, b:string)[1, 'x', 2, 'y']");
    ok("union withsource=Src Device*, (T | take 1)");
    ok("T | project-away Col*, B | project-rename A = B | parse Msg with * 'id=' Id:long ',' *");
    ok("declare query_parameters(x: long = 5); T | take x");
}

#[test]
fn errors_point_at_the_problem() {
    let src = "T\n| where x ==";
    let err = parse(src).unwrap_err();
    assert_eq!(err.message, "expected an expression; found end of input");
    let src = "T | frobnicate x";
    let err = parse(src).unwrap_err();
    assert_eq!(err.span, Span::new(4, 14));
}

#[test]
fn deep_nesting_is_a_diagnostic_even_on_a_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let src = format!("print {}1{}", "(".repeat(100_000), ")".repeat(100_000));
            parse(&src).unwrap_err().message
        })
        .unwrap();
    let message = worker.join().expect("no stack overflow");
    assert!(message.contains("nests deeper"), "{message}");
}

#[test]
fn bracketed_names_and_arrays() {
    assert!(matches!(query("['a b']").kind, ExprKind::Name(ref n) if n.name == "a b"));
    let ExprKind::Dynamic(DynValue::Array(items)) = query("dynamic(['a', 'b'])").kind else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(query("d['k']").kind, ExprKind::Index { .. }));
    ok("T | extend ['x y'] = 1 | project ['x y']");
}
