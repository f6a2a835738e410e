//! Snapshot tests: the syntax tree of every `cases/ok/*.kql`, and the rendered diagnostic of
//! every `cases/err/*.kql`. Regenerate with `INSTA_UPDATE=always cargo test -p kql-syntax`.

use std::path::Path;

fn cases(kind: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("cases folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kql"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn syntax_trees() {
    let cases = cases("ok");
    assert!(cases.len() >= 4);
    for (name, src) in cases {
        match kql_syntax::parse(&src) {
            Ok(script) => insta::assert_debug_snapshot!(format!("ok-{name}"), script),
            Err(d) => panic!("{name}: {}", d.render(&src, &name)),
        }
    }
}

#[test]
fn rendered_errors() {
    let cases = cases("err");
    assert!(cases.len() >= 5);
    for (name, src) in cases {
        let err = kql_syntax::parse(&src).expect_err(&name);
        insta::assert_snapshot!(
            format!("err-{name}"),
            err.render(&src, &format!("{name}.kql"))
        );
    }
}
