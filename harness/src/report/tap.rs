//! TAP version 13: `ok` / `not ok` per scenario and run, SKIP and TODO directives.

use super::matrix::Matrix;
use crate::model::verdict::Verdict;
use std::fmt::Write as _;

/// Renders every column of the matrix as one TAP stream.
pub fn render(m: &Matrix) -> String {
    let total: usize = m.columns.iter().map(|c| c.record.results.len()).sum();
    let mut out = format!("TAP version 13\n1..{total}\n");
    let mut n = 0;
    for c in &m.columns {
        for r in &c.record.results {
            n += 1;
            let reason = r.reason.replace('#', "\\#").replace('\n', " ");
            let name = format!("{} {}", c.label, r.id);
            let line = match r.verdict {
                Verdict::Pass => format!("ok {n} - {name}"),
                Verdict::NonStrict => format!("ok {n} - {name} (non-strict: {reason})"),
                Verdict::Info => format!("ok {n} - {name} (info: {reason})"),
                Verdict::Fail => format!("not ok {n} - {name}"),
                Verdict::Error => format!("not ok {n} - {name} (error: {reason})"),
                Verdict::Skip => format!("ok {n} - {name} # SKIP {reason}"),
                Verdict::Xfail => format!("not ok {n} - {name} # TODO {reason}"),
                Verdict::Xpass => format!("ok {n} - {name} # TODO unexpectedly passed: {reason}"),
            };
            let _ = writeln!(out, "{line}");
            if r.verdict == Verdict::Fail {
                let _ = writeln!(out, "  ---\n  reason: {:?}", r.reason);
                for ch in r.checks.iter().filter(|ch| !ch.ok) {
                    let _ = writeln!(
                        out,
                        "  - check: {:?}\n    level: {}\n    expected: {:?}\n    actual: {:?}",
                        format!("{}: {}", ch.step, ch.check),
                        ch.level.name(),
                        ch.expected,
                        ch.actual
                    );
                }
                out.push_str("  ...\n");
            }
        }
    }
    out
}

/// One TAP line per finding and store: a must finding `not ok`, a known one `# TODO`.
pub fn render_findings(m: &Matrix) -> String {
    let total: usize = m.findings.iter().map(|(_, f)| f.len()).sum();
    let mut out = format!("TAP version 13\n1..{total}\n");
    let mut n = 0;
    for (store, list) in &m.findings {
        for f in list {
            n += 1;
            let title = f.title.replace('#', "\\#").replace('\n', " ");
            let name = format!("{store} {}", f.id);
            let line = match f.verdict() {
                Verdict::Xfail => format!(
                    "not ok {n} - {name} # TODO {}",
                    f.known
                        .as_deref()
                        .unwrap_or("listed in the expectations file")
                        .replace('#', "\\#")
                ),
                Verdict::Fail => format!("not ok {n} - {name}"),
                v => format!("ok {n} - {name} ({}: {title})", v.name().to_lowercase()),
            };
            let _ = writeln!(out, "{line}");
            if f.verdict() == Verdict::Fail {
                let _ = writeln!(
                    out,
                    "  ---\n  title: {:?}\n  rule: {:?}\n  link: {:?}\n  scenarios: {:?}\n  repro: \"corsprobe repro {} --target {store}\"\n  ...",
                    f.title, f.rule, f.link, f.scenarios, f.id
                );
            }
        }
    }
    out
}
