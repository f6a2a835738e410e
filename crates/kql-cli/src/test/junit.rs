//! `--junit FILE`: the results as JUnit XML, one test suite per test file.

use super::{Outcome, Report};
use std::io::Write;
use std::path::Path;

pub(super) fn write(path: &Path, reports: &[Report]) -> std::io::Result<()> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let mut files: Vec<&Path> = reports.iter().map(|r| r.file.as_path()).collect();
    files.dedup();
    for f in files {
        let mine: Vec<&Report> = reports.iter().filter(|r| r.file == f).collect();
        let failures = mine
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .count();
        let errors = mine
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Error(_)))
            .count();
        let name = escape(&f.display().to_string());
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
            mine.len()
        ));
        for r in mine {
            let case = escape(&r.case.name);
            out.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{case}\""
            ));
            match &r.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failed(problems) => out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(problems.first().map_or("", String::as_str)),
                    escape(&problems.join("\n"))
                )),
                Outcome::Error(e) => out.push_str(&format!(
                    ">\n      <error message=\"{}\">{}</error>\n    </testcase>\n",
                    escape(e.lines().next().unwrap_or("")),
                    escape(e)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    crate::output::write_atomically(path, |f| f.write_all(out.as_bytes()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
