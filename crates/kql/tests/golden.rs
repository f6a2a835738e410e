//! Golden tests of the engine through the library: each query's first result, as the JSON
//! rows `kql run --format json` prints, must equal the expected text.

use kql::Session;
use kql_io::write::{ResultTable, write_json};

fn rows(query: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let results = match rt.block_on(Session::new().run(query)) {
        Ok(r) => r,
        Err(e) => panic!("{query}: {e}"),
    };
    let r = &results[0];
    let mut out = Vec::new();
    write_json(
        &mut out,
        &[ResultTable {
            name: "PrimaryResult",
            columns: &r.columns,
            batches: &r.batches,
        }],
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["tables"][0]["rows"].to_string()
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (query, expected) in cases {
        let got = rows(query);
        if got != *expected {
            failures.push(format!("{query}\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn strings_are_never_null_and_has_matches_terms() {
    check(&[
        (
            r#"print tostring(long(null)), isempty(""), isnull(""), strcat("a", long(null), "b")"#,
            r#"[["",true,false,"ab"]]"#,
        ),
        (
            r#"print "the AffectedItems list" has "affecteditems", "UnaffectedItems" has "affecteditems""#,
            "[[true,false]]",
        ),
        (
            r#"print "abc" contains "B", "abc" contains_cs "B", "abc" startswith "AB", "abc" !endswith "c""#,
            "[[true,false,true,false]]",
        ),
        (
            r#"print "a" in ("A", "b"), "a" in~ ("A", "b"), "x" !in ("a")"#,
            "[[false,true,true]]",
        ),
        (
            r#"print extract("id=(\\d+)", 1, "id=42"), extract("nope(\\d)", 1, "id=42")"#,
            r#"[["42",""]]"#,
        ),
        (
            r#"print coalesce("", "b"), coalesce(long(null), 2)"#,
            r#"[["b",2]]"#,
        ),
    ]);
}

#[test]
fn dynamic_values_are_json() {
    check(&[
        (
            r#"print d = parse_json('{"a": {"b": [1, "x"]}}') | project d.a.b[1], d['a']['b'][0], d.a.c"#,
            r#"[["x",1,null]]"#,
        ),
        (
            r#"print tostring(parse_json("not json")), parse_json("not json").a"#,
            r#"[["not json",null]]"#,
        ),
        (
            r#"print tostring(dynamic({"b": 1, "a": [true]}))"#,
            r#"[["{\"b\":1,\"a\":[true]}"]]"#,
        ),
        (
            r#"print split("a,b", ","), pack_array(1, "x"), bag_pack("k", 1), array_length(dynamic([1,2,3]))"#,
            r#"[[["a","b"],[1,"x"],{"k":1},3]]"#,
        ),
    ]);
}

#[test]
fn conversions_give_null_on_bad_input() {
    check(&[
        (
            r#"print tolong("12"), toint("x"), toreal("1.5"), tobool("true"), tolong("1.9")"#,
            "[[12,null,1.5,true,1]]",
        ),
        (
            r#"print todatetime("2024-01-01"), todatetime("nope"), totimespan("01:30:00")"#,
            r#"[["2024-01-01T00:00:00Z",null,"01:30:00"]]"#,
        ),
    ]);
}

#[test]
fn datetime_rounding() {
    check(&[
        (
            "print bin(7, 5), bin(-7, 5), bin(7.5, 2.0)",
            "[[5,-10,6.0]]",
        ),
        (
            "print bin(datetime(2024-05-06 13:45), 1h), startofday(datetime(2024-05-06 13:45))",
            r#"[["2024-05-06T13:00:00Z","2024-05-06T00:00:00Z"]]"#,
        ),
        (
            "print startofweek(datetime(2024-05-08)), dayofweek(datetime(2024-05-08)), endofday(datetime(2024-05-08))",
            r#"[["2024-05-05T00:00:00Z","3.00:00:00","2024-05-08T23:59:59.9999999Z"]]"#,
        ),
        (
            "print datetime(2024-05-08) - datetime(2024-05-07), datetime(2024-05-08) + 1d, 1h * 2",
            r#"[["1.00:00:00","2024-05-09T00:00:00Z","02:00:00"]]"#,
        ),
    ]);
}

#[test]
fn summarize_names_and_aggregates() {
    check(&[
        (
            r#"datatable(k:string, v:long)["a",1,"a",2,"a",2,"b",3,"b",long(null)] | summarize make_set(v), make_list(v), dcountif(v, v > 1), c = countif(v > 0), count(), sum(v) by k | order by k asc"#,
            r#"[["a",[1,2],[1,2,2],1,3,3,5],["b",[3],[3],1,1,2,3]]"#,
        ),
        (
            "datatable(v:long)[] | summarize make_list(v), count()",
            "[[[],0]]",
        ),
        (
            r#"datatable(k:string, t:long, x:string)["a",1,"old","a",2,"new","b",5,"only"] | summarize arg_max(t, *) by k | order by k asc"#,
            r#"[["a",2,"new"],["b",5,"only"]]"#,
        ),
    ]);
}

#[test]
fn joins_follow_kusto_kinds() {
    let l = r#"datatable(k:string, a:long)["x",1,"x",2,"y",3]"#;
    let r = r#"datatable(k:string, b:long)["x",10,"z",30]"#;
    check(&[
        (
            &format!("{l} | join ({r}) on k | project k, k1, b"),
            r#"[["x","x",10]]"#,
        ),
        (
            &format!("{l} | join kind=inner ({r}) on k | count"),
            "[[2]]",
        ),
        (
            &format!("{l} | join kind=leftanti ({r}) on k | project a"),
            "[[3]]",
        ),
        (
            &format!("{l} | join kind=leftouter ({r}) on k | order by a asc | project a, b"),
            "[[1,10],[2,10],[3,null]]",
        ),
    ]);
}

#[test]
fn mv_expand_rows() {
    check(&[(
        r#"datatable(i:long, d:dynamic)[1, dynamic([10, 20]), 2, dynamic([]), 3, dynamic(null)] | mv-expand with_itemindex=ix d | order by i asc, ix asc"#,
        "[[1,10,0],[1,20,1],[3,null,null]]",
    )]);
}

#[test]
fn order_by_defaults_to_descending() {
    check(&[("datatable(v:long)[2, 3, 1] | order by v", "[[3],[2],[1]]")]);
}

#[test]
fn comparisons_across_types() {
    check(&[
        (
            r#"print "0" == 0, "10" > 9, true == 1, datetime(2024-01-02) between (datetime(2024-01-01) .. 2d)"#,
            "[[true,true,true,true]]",
        ),
        (r#"print d = '{"a": 1}' | project d.a"#, "[[1]]"),
    ]);
}

#[test]
fn functions_take_named_arguments_and_tables_by_name() {
    check(&[
        (
            "let f = (a: long, b: long = 10) { a - b }; print f(b = 1, a = 5), f(3)",
            "[[4,-7]]",
        ),
        (
            r#"let T = datatable(x:long)[1, 2]; table("T") | count"#,
            "[[2]]",
        ),
    ]);
}

#[test]
fn union_matches_columns_by_name() {
    check(&[
        (
            r#"let A = datatable(x:long, s:string)[1, "a"]; let B = datatable(x:string, t:long)["b", 2]; union withsource=Src A, B | order by Src asc"#,
            r#"[["A",1,"a","",null],["B",null,"","b",2]]"#,
        ),
        (
            "datatable(x:long)[1] | union (datatable(x:long, y:long)[2, 3]) | order by x asc",
            "[[1,null],[2,3]]",
        ),
        (
            "datatable(x:long)[1] | union kind=inner (datatable(x:long, y:long)[2, 3]) | order by x asc",
            "[[1],[2]]",
        ),
    ]);
}

#[test]
fn in_tables_and_toscalar() {
    let t = r#"datatable(u:string, n:long)["a",1,"b",2,"c",3]"#;
    let bad = r#"let Bad = datatable(u:string)["B", "c"];"#;
    check(&[
        (
            &format!("{bad} {t} | where u in (Bad) or n in (5) | project u"),
            r#"[["c"]]"#,
        ),
        (
            &format!("{bad} {t} | where u in~ (Bad) | order by u asc | project u"),
            r#"[["b"],["c"]]"#,
        ),
        (
            &format!("{bad} {t} | where u !in (Bad) | order by u asc | project u"),
            r#"[["a"],["b"]]"#,
        ),
        (&format!("{bad} print toscalar(Bad | count)"), "[[2]]"),
    ]);
}

#[test]
fn parse_operator_kinds() {
    let t = r#"datatable(m:string)["id=42, user=bob at 2024-01-01T00:00:00Z", "junk"]"#;
    check(&[
        (
            &format!(
                r#"{t} | parse m with "id=" id:long ", user=" user " at " ts:datetime | project id, user, ts"#
            ),
            r#"[[42,"bob","2024-01-01T00:00:00Z"],[null,"",null]]"#,
        ),
        (
            &format!(
                r#"{t} | parse-where kind=regex m with @"id=" id:long @",\s+user=" user @"\s" * | project id, user"#
            ),
            // In regex mode a text column is greedy: it runs to the last match of what follows.
            r#"[[42,"bob at"]]"#,
        ),
        (
            &format!(
                r#"{t} | parse-where kind=regex flags=U m with @"id=" id:long @",\s+user=" user @"\s" * | project id, user"#
            ),
            r#"[[42,"bob"]]"#,
        ),
        (
            &format!(
                r#"{t} | parse kind=relaxed m with "id=" id:long ", user=" user:long " at " ts:datetime | project id, user, ts"#
            ),
            // Relaxed: a value that does not fit its type is null; the others still parse.
            r#"[[42,null,"2024-01-01T00:00:00Z"],[null,null,null]]"#,
        ),
    ]);
}

#[test]
fn column_helpers() {
    check(&[(
        r#"print b = 2, a = 1, c = 3 | project-reorder c, a | extend x = column_ifexists("a", 0), y = column_ifexists("zz", "none")"#,
        r#"[[3,1,2,1,"none"]]"#,
    )]);
}

#[test]
fn network_text_and_calendar_functions() {
    check(&[
        (
            r#"print ipv4_is_private("10.1.1.1"), ipv4_is_private("8.8.8.8"), ipv4_is_match("1.2.3.4", "1.2.3.9", 24), ipv4_is_in_range("10.0.0.5", "10.0.0.0/24")"#,
            "[[true,false,true,true]]",
        ),
        (
            r#"print datetime_diff("day", datetime(2024-05-08), datetime(2024-05-01 23:00)), datetime_part("month", datetime(2024-05-08)), datetime_add("month", 1, datetime(2024-01-31))"#,
            r#"[[7,5,"2024-02-29T00:00:00Z"]]"#,
        ),
        (
            r#"print countof("abcab", "ab"), extract_all(@"(\d+)", "a1b22"), extractjson("$.a[1]", '{"a":[1,"x"]}'), trim(@"\s+", "  x  "), tohex(255), base64_decode_tostring("aGk=")"#,
            r#"[[2,["1","22"],"x","x","ff","hi"]]"#,
        ),
        (
            r#"print iff(true, dynamic([1]), "s"), parse_url("https://a.b:81/p?q=1").Host, abs(-1h)"#,
            r#"[[[1],"a.b","01:00:00"]]"#,
        ),
        (
            r#"datatable(d:dynamic, x:real)[dynamic({"a":1}), 1.0, dynamic({"b":2, "a":9}), 3.0] | summarize make_bag(d), stdev(x)"#,
            r#"[[{"a":1,"b":2},1.4142135623730951]]"#,
        ),
    ]);
}

#[test]
fn lookup_invoke_serialize_and_typed_mv_expand() {
    check(&[
        (
            r#"let f = (T:(*), n:long) { T | where x > n }; datatable(x:long)[1,2,3] | invoke f(1) | lookup (datatable(x:long, y:string)[2, "two"]) on x | order by x asc"#,
            r#"[[2,"two"],[3,""]]"#,
        ),
        ("datatable(x:long)[1] | serialize y = x + 1", "[[1,2]]"),
        (
            r#"print d = dynamic(["a", 2]) | mv-expand s = d to typeof(string), n = d to typeof(long) | project s, n"#,
            r#"[["a",null],["2",2]]"#,
        ),
        ("declare query_parameters(n: long = 2); print n", "[[2]]"),
    ]);
}

#[test]
fn typed_extraction_bool_literals_and_re2_regexes() {
    check(&[
        (
            r#"print extract("n=(\\d+)", 1, "n=42", typeof(long)), extractjson("$.a", '{"a": 5}', typeof(long)), true == "True", False, TRUE"#,
            "[[42,5,true,false,true]]",
        ),
        (
            r#"print "x[y" matches regex "x[[]y", extract("([[]+)", 1, "a[[b")"#,
            r#"[[true,"[["]]"#,
        ),
    ]);
}

#[test]
fn range_of_each_type() {
    check(&[
        ("range x from 1 to 5 step 2", "[[1],[3],[5]]"),
        (
            "range t from datetime(2024-01-01) to datetime(2024-01-02) step 12h",
            r#"[["2024-01-01T00:00:00Z"],["2024-01-01T12:00:00Z"],["2024-01-02T00:00:00Z"]]"#,
        ),
        ("range r from 0.5 to 1.5 step 0.5", "[[0.5],[1.0],[1.5]]"),
        ("range x from 5 to 1 step 1 | count", "[[0]]"),
    ]);
}

#[test]
fn null_comparisons_and_modulo_follow_kusto() {
    check(&[
        (
            "datatable(v:int)[5, int(null)] | extend a = v > 3, b = v == int(null), c = v != int(null), d = v != 5, e = v == 5",
            "[[5,true,false,true,false,true],[null,null,null,null,true,false]]",
        ),
        (
            "datatable(v:int)[5, int(null)] | where v != 5 | count",
            "[[1]]",
        ),
        (
            "print 14 % 12, -14 % 12, 14 % -12, -14 % -12",
            "[[2,10,2,10]]",
        ),
        (
            r#"print toguid("0123456789ABCDEF0123456789abcdef"), toguid("nope")"#,
            r#"[["01234567-89ab-cdef-0123-456789abcdef",null]]"#,
        ),
        (
            r#"datatable(a:dynamic)[dynamic([1,2]), dynamic([2,3])] | summarize make_set(a)"#,
            "[[[1,2,3]]]",
        ),
        (
            r#"range x from 1 to 2 step 1 | as T1 | union withsource=S (print x = 3 | as T2) | order by x asc | project S"#,
            r#"[["T1"],["T1"],["T2"]]"#,
        ),
    ]);
}

#[test]
fn dynamic_array_and_bag_functions() {
    check(&[
        (
            r#"print set_union(dynamic([1,2]), dynamic([2,3])), set_difference(dynamic([1,2,3]), dynamic([2])), set_has_element(dynamic(["a"]), "a"), array_index_of(dynamic([5,6]), 6), bag_keys(dynamic({"x":1}))"#,
            r#"[[[1,2,3],[1,3],true,1,["x"]]]"#,
        ),
        (
            r#"print url_decode("a%20b"), base64_decode_toarray("aGk="), max_of(1, 5, 3), min_of(2.5, 1), todecimal("1.50"), array_slice(dynamic([1,2,3,4]), 1, -2)"#,
            r#"[["a b",[104,105],5,1.0,"1.5",[2,3]]]"#,
        ),
        (
            r#"print hash_md5("abc"), dynamic(true) == true"#,
            r#"[["900150983cd24fb0d6963f7d28e17f72",true]]"#,
        ),
    ]);
}

#[test]
fn xml_strings_and_calendar_shortcuts() {
    check(&[
        (
            r#"print parse_xml('<e a="1"><b>x</b><b>y</b></e>'), parse_xml("nope"), strcat_array(dynamic([1, "a"]), "-"), reverse("abc"), string_size("é")"#,
            r#"[[{"e":{"@a":"1","b":["x","y"]}},null,"1-a","cba",2]]"#,
        ),
        (
            r#"print hourofday(datetime(2024-05-08 13:00)), getyear(datetime(2024-05-08)), indexof("abcabc", "b", 2), datetime("2024-01-02T00:00:00Z")"#,
            r#"[[13,2024,4,"2024-01-02T00:00:00Z"]]"#,
        ),
        (
            r#"datatable(v:long)[1, 5, 3] | summarize maxif(v, v < 5), minif(v, v > 1)"#,
            "[[3,3]]",
        ),
    ]);
}

#[test]
fn window_functions_follow_the_serialized_order() {
    check(&[
        (
            "range x from 1 to 4 step 1 | order by x desc | extend p = prev(x), n = next(x, 2, -1), rn = row_number(), c = row_cumsum(x, x == 2)",
            "[[4,null,2,1,4],[3,4,1,2,7],[2,3,-1,3,2],[1,2,-1,4,3]]",
        ),
        (
            // A window inside another's arguments, and a computed default.
            "datatable(t:datetime, u:string)[datetime(2024-01-01 00:00), 'a', datetime(2024-01-01 00:10), 'a', datetime(2024-01-01 00:20), 'b'] | order by t asc | extend s = row_window_session(t, 1h, 15m, u != prev(u)), before = prev(t, 1, datetime(2000-01-01) + 1h)",
            r#"[["2024-01-01T00:00:00Z","a","2024-01-01T00:00:00Z","2000-01-01T01:00:00Z"],["2024-01-01T00:10:00Z","a","2024-01-01T00:00:00Z","2024-01-01T00:00:00Z"],["2024-01-01T00:20:00Z","b","2024-01-01T00:20:00Z","2024-01-01T00:10:00Z"]]"#,
        ),
    ]);
}

#[test]
fn plugins_whose_columns_come_from_the_data() {
    check(&[
        (
            "datatable(k:string, v:long, g:string)['a',1,'x','b',2,'x','a',3,'y'] | evaluate pivot(k, sum(v), g) | order by g asc",
            r#"[["x",1,2],["y",3,null]]"#,
        ),
        (
            // After bag_unpack, a property no row has reads as an empty dynamic.
            r#"print d = dynamic({"b": 1, "a": "x"}) | evaluate bag_unpack(d) | extend missing = isnull(nosuch)"#,
            r#"[["x",1,true]]"#,
        ),
    ]);
}

#[test]
fn make_series_and_series_functions() {
    check(&[
        (
            "datatable(t:datetime, v:long)[datetime(2024-01-01), 1, datetime(2024-01-01 12:00), 2, datetime(2024-01-03), 5] | make-series total = sum(v) default = 0, n = count() on t from datetime(2024-01-01) to datetime(2024-01-04) step 1d",
            r#"[[[3,0,5],[2,0,1],["2024-01-01T00:00:00.0000000Z","2024-01-02T00:00:00.0000000Z","2024-01-03T00:00:00.0000000Z"]]]"#,
        ),
        (
            "print y = dynamic([1, 3, 5, 7]) | extend (rsquare, slope) = series_fit_line(y) | project rsquare, slope",
            "[[1.0,2.0]]",
        ),
        (
            "print y = dynamic([10, 10, 10, 10, 10, 10, 10, 10, 10, 100, 10, 10]) | extend (flag, score, baseline) = series_decompose_anomalies(y) | project flag",
            "[[[0,0,0,0,0,0,0,0,0,1,0,0]]]",
        ),
    ]);
}

#[test]
fn mv_apply_runs_the_subquery_per_row() {
    check(&[
        (
            "datatable(id:long, xs:dynamic)[1, dynamic([3, 1, 2]), 2, dynamic([5])] | mv-apply x = xs to typeof(long) on (top 2 by x) | project id, x | order by id asc, x desc",
            "[[1,3],[1,2],[2,5]]",
        ),
        (
            "datatable(id:long, xs:dynamic)[1, dynamic([3, 1, 2]), 2, dynamic([5])] | mv-apply xs to typeof(long) on (summarize total = sum(xs)) | order by id asc",
            "[[1,6],[2,5]]",
        ),
    ]);
}
