//! JUnit XML: one testsuite per run, one testcase per scenario, FAIL and XPASS as failures,
//! ERROR as errors, SKIP and XFAIL as skipped.

use super::matrix::Matrix;
use crate::model::result::ScenarioResult;
use crate::model::verdict::Verdict;
use std::fmt::Write as _;

/// Escapes text for XML attributes and content.
pub fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn failed_checks(r: &ScenarioResult) -> String {
    r.checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("[{}] {}\n", c.level.name(), c.summary()))
        .collect()
}

/// Renders every column of the matrix.
pub fn render(m: &Matrix) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"corsprobe\">\n",
    );
    for c in &m.columns {
        let results = &c.record.results;
        let count = |vs: &[Verdict]| results.iter().filter(|r| vs.contains(&r.verdict)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            escape(&c.label),
            results.len(),
            count(&[Verdict::Fail, Verdict::Xpass]),
            count(&[Verdict::Error]),
            count(&[Verdict::Skip, Verdict::Xfail]),
            c.record.duration_ms / 1000.0
        );
        for r in results {
            let group = r.id.split('/').next().unwrap_or("");
            let run = if r.browser.is_empty() {
                c.record.target.name.clone()
            } else {
                format!("{}.{}", c.record.target.name, r.browser)
            };
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"corsprobe.{}.{}\" time=\"{:.3}\"",
                escape(&r.id),
                escape(&run),
                escape(group),
                r.duration_ms / 1000.0
            );
            let reason = escape(&r.reason);
            let body = match r.verdict {
                Verdict::Fail => format!(
                    "<failure message=\"{reason}\" type=\"FAIL\">{}</failure>",
                    escape(&failed_checks(r))
                ),
                Verdict::Xpass => format!(
                    "<failure message=\"{reason}\" type=\"XPASS\">remove the entry from the expectations file</failure>"
                ),
                Verdict::Error => format!("<error message=\"{reason}\" type=\"ERROR\"/>"),
                Verdict::Skip => format!("<skipped message=\"{reason}\"/>"),
                Verdict::Xfail => format!("<skipped message=\"expected failure: {reason}\"/>"),
                Verdict::NonStrict | Verdict::Info => {
                    format!(
                        "<system-out>{}: {}\n{}</system-out>",
                        r.verdict.name(),
                        reason,
                        escape(&failed_checks(r))
                    )
                }
                Verdict::Pass => String::new(),
            };
            if body.is_empty() {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(out, ">{body}</testcase>");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Renders one testsuite per store and one testcase per finding: a must finding is a failure,
/// a known one skipped, the others pass with their words, so a tracker follows each cause.
pub fn render_findings(m: &Matrix) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"corsprobe findings\">\n",
    );
    for (store, list) in &m.findings {
        let fails = list.iter().filter(|f| f.verdict() == Verdict::Fail).count();
        let known = list
            .iter()
            .filter(|f| f.verdict() == Verdict::Xfail)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"{known}\">",
            escape(store),
            list.len()
        );
        for f in list {
            let details = escape(&format!(
                "{}\nRule: {} {}\nWhat a page sees: {}\nScenarios: {}\nReproduce: corsprobe repro {} --target {store}",
                f.title,
                f.rule,
                f.link,
                f.page,
                f.scenarios.join(", "),
                f.id
            ));
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"corsprobe.{}.findings\">",
                escape(&f.id),
                escape(store)
            );
            let body = match f.verdict() {
                Verdict::Xfail => format!(
                    "<skipped message=\"known: {}\"/>",
                    escape(
                        f.known
                            .as_deref()
                            .unwrap_or("listed in the expectations file")
                    )
                ),
                Verdict::Fail => format!(
                    "<failure message=\"{}\" type=\"FAIL\">{details}</failure>",
                    escape(&f.title)
                ),
                v => format!("<system-out>{}: {details}</system-out>", v.name()),
            };
            let _ = writeln!(out, "{body}</testcase>");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
