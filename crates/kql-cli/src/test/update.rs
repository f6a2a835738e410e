//! `kql test --update`: rewrites the expected `rows` (and `count`) of each test from its
//! current result, in place in the YAML text, so that comments and the rest of the file
//! stay as they are. Refuses, writing nothing, when a test's query fails.

use super::{Outcome, Report};
use crate::{EXIT_QUERY_FAILED, EXIT_USAGE};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub(super) fn rewrite(reports: &[Report]) -> u8 {
    if let Some(r) = reports
        .iter()
        .find(|r| matches!(r.outcome, Outcome::Error(_)))
    {
        if let Outcome::Error(e) = &r.outcome {
            eprintln!(
                "error: not updating: {}: {} fails:\n{e}",
                r.file.display(),
                r.case.name
            );
        }
        return EXIT_QUERY_FAILED;
    }
    let mut by_file: BTreeMap<&PathBuf, Vec<&Report>> = BTreeMap::new();
    for r in reports {
        by_file.entry(&r.file).or_default().push(r);
    }
    let mut updated = 0;
    for (file, reports) in by_file {
        let Ok(text) = std::fs::read_to_string(file) else {
            eprintln!("error: {}: cannot read it", file.display());
            return EXIT_USAGE;
        };
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for r in reports {
            let Some(result) = &r.result else { continue };
            let Some(test) = find_test(&lines, &r.case.name) else {
                eprintln!(
                    "error: {}: cannot find test '{}'",
                    file.display(),
                    r.case.name
                );
                return EXIT_USAGE;
            };
            let mut changed = false;
            if r.case.expect.rows.is_some() {
                let rows: Vec<String> = result
                    .rows
                    .iter()
                    .map(|row| Value::Object(row.clone()).to_string())
                    .collect();
                changed |= replace_block(&mut lines, test, "rows", rows);
            }
            // The rows may have moved the test's end: find it again.
            if r.case.expect.count.is_some()
                && let Some(test) = find_test(&lines, &r.case.name)
            {
                changed |= set_scalar(&mut lines, test, "count", &result.rows.len().to_string());
            }
            updated += usize::from(changed);
        }
        let mut new_text = lines.join("\n");
        if text.ends_with('\n') {
            new_text.push('\n');
        }
        if new_text != text
            && let Err(e) = crate::output::write_atomically(file, |f| {
                std::io::Write::write_all(f, new_text.as_bytes())
            })
        {
            eprintln!("error: {}: {e}", file.display());
            return EXIT_USAGE;
        }
    }
    println!("updated {updated} tests");
    0
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines of the test named `name`: from its `- name:` line to the next test.
fn find_test(lines: &[String], name: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        t.strip_prefix("- name:")
            .or_else(|| t.strip_prefix("name:"))
            .is_some_and(|v| unquote(v.trim()) == name)
    })?;
    let dash = lines[start].find('-').unwrap_or(indent(&lines[start]));
    let end = (start + 1..lines.len())
        .find(|&i| {
            let l = &lines[i];
            !l.trim().is_empty()
                && !l.trim_start().starts_with('#')
                && (indent(l) < dash || (indent(l) == dash && l.trim_start().starts_with('-')))
        })
        .unwrap_or(lines.len());
    Some((start, end))
}

fn unquote(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or(v).trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        return v[1..v.len() - 1].to_string();
    }
    v.to_string()
}

/// Replaces the value of `key:` inside the test's lines with `rows` (one flow mapping per
/// line). Returns whether that changed the text.
fn replace_block(
    lines: &mut Vec<String>,
    (start, end): (usize, usize),
    key: &str,
    rows: Vec<String>,
) -> bool {
    let prefix = format!("{key}:");
    let Some(at) = (start..end).find(|&i| lines[i].trim_start().starts_with(&prefix)) else {
        return false;
    };
    let key_indent = indent(&lines[at]);
    let mut stop = at + 1;
    while stop < end {
        let l = &lines[stop];
        let t = l.trim_start();
        let inside = t.is_empty()
            || indent(l) > key_indent
            || (indent(l) == key_indent && t.starts_with("- "));
        if !inside {
            break;
        }
        stop += 1;
    }
    // Keep trailing blank lines outside the block.
    while stop > at + 1 && lines[stop - 1].trim().is_empty() {
        stop -= 1;
    }
    let pad = " ".repeat(key_indent + 2);
    let mut block = vec![format!("{}{key}:", " ".repeat(key_indent))];
    if rows.is_empty() {
        block[0].push_str(" []");
    }
    block.extend(rows.iter().map(|r| format!("{pad}- {r}")));
    let changed = lines[at..stop] != block[..];
    lines.splice(at..stop, block);
    changed
}

fn set_scalar(lines: &mut [String], (start, end): (usize, usize), key: &str, value: &str) -> bool {
    let prefix = format!("{key}:");
    let Some(at) =
        (start..end.min(lines.len())).find(|&i| lines[i].trim_start().starts_with(&prefix))
    else {
        return false;
    };
    let new = format!("{}{key}: {value}", " ".repeat(indent(&lines[at])));
    let changed = lines[at] != new;
    lines[at] = new;
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_replaced_in_place() {
        let text = "tests:\n  - name: a\n    expect:\n      rows:\n        - {x: 1}\n        - {x: 2}\n      ordered: true\n  - name: b\n    expect:\n      count: 3\n";
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let a = find_test(&lines, "a").unwrap();
        assert!(replace_block(
            &mut lines,
            a,
            "rows",
            vec!["{\"x\":5}".into()]
        ));
        let b = find_test(&lines, "b").unwrap();
        assert!(set_scalar(&mut lines, b, "count", "4"));
        assert_eq!(
            lines.join("\n"),
            "tests:\n  - name: a\n    expect:\n      rows:\n        - {\"x\":5}\n      ordered: true\n  - name: b\n    expect:\n      count: 4"
        );
    }
}
