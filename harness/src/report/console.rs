//! The console report: failures first, each with its reason, then the summary line last.

use super::record::RunRecord;
use crate::model::verdict::{Tally, Verdict};
use std::fmt::Write as _;

/// Renders the end-of-run text.
pub fn render(record: &RunRecord, verbose: bool) -> String {
    let mut out = String::new();
    // A store-wide cause comes first, once, before the verdicts it explains.
    for r in record
        .results
        .iter()
        .filter(|r| r.id == crate::model::uniform::SAME_PREFLIGHT_ANSWER)
    {
        let _ = writeln!(out, "{:<10} {}  {}", "NOTICE", r.label(), r.title);
        let _ = writeln!(out, "           {}", r.reason);
    }
    let order = [
        Verdict::Error,
        Verdict::Fail,
        Verdict::Xpass,
        Verdict::NonStrict,
    ];
    for verdict in order {
        for r in record.results.iter().filter(|r| r.verdict == verdict) {
            let _ = writeln!(out, "{:<10} {}  {}", verdict.name(), r.label(), r.title);
            let _ = writeln!(out, "           {}", r.reason);
            let failed: Vec<_> = r.checks.iter().filter(|c| !c.ok).collect();
            // The reason already names the first failure; list them all only when there are more.
            for c in failed.iter().filter(|_| failed.len() > 1) {
                let _ = writeln!(out, "           [{}] {}", c.level.name(), c.summary());
                if !c.source.is_empty() {
                    let _ = writeln!(out, "             at {}", c.source);
                }
            }
            if let [only] = failed.as_slice()
                && !only.source.is_empty()
            {
                let _ = writeln!(out, "           at {}", only.source);
            }
        }
    }
    if verbose {
        for r in record
            .results
            .iter()
            .filter(|r| !order.contains(&r.verdict))
        {
            let _ = writeln!(out, "{:<10} {}  {}", r.verdict.name(), r.label(), r.reason);
        }
    }
    let s = &record.snapshots;
    if s.changed + s.new > 0 {
        let _ = writeln!(
            out,
            "snapshots: {} changed, {} new, {} matched (each written as a pending `.snap.new` file; new ones do not fail the gate, changed ones do)",
            s.changed, s.new, s.matched
        );
        for r in record.results.iter().filter(|_| s.changed + s.new <= 20) {
            if let Some(snap) = r
                .snapshot
                .as_ref()
                .filter(|s| s.status != crate::model::result::SnapshotStatus::Match)
            {
                let _ = writeln!(out, "  {:?}: {}", snap.status, snap.file);
            }
        }
    }
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|v| {
            format!(
                "{} {}",
                v.name(),
                record.summary.get(v.name()).copied().unwrap_or(0)
            )
        })
        .collect();
    if !record.findings.is_empty() {
        let _ = writeln!(
            out,
            "findings (corsprobe repro <id> --target {} prints a script that shows one):",
            record.target.name
        );
        for f in &record.findings {
            let known = if f.known.is_some() { " (known)" } else { "" };
            let _ = writeln!(
                out,
                "  {:<10} {}{known}: {} [{} scenario(s)]",
                f.verdict().name(),
                f.id,
                safe(&f.title),
                f.scenarios.len()
            );
        }
    }
    if let Some(p) = &record.propagation {
        let _ = writeln!(
            out,
            "propagation: rules took effect in {:.0} ms median, {:.0} ms at most ({} wait(s))",
            p.median_ms, p.max_ms, p.waits
        );
    }
    if !record.browsers.is_empty() {
        let browsers: Vec<String> = record
            .browsers
            .iter()
            .map(|b| {
                format!(
                    "{} {} (started in {:.1} s)",
                    b.name,
                    b.version,
                    b.start_ms / 1000.0
                )
            })
            .collect();
        let _ = writeln!(out, "browsers: {}", browsers.join(", "));
    }
    let _ = writeln!(
        out,
        "target {} ({}), {} scenarios in {:.1} s (store time {:.1} s); verdicts: {}",
        record.target.name,
        record.target.endpoint_host,
        record.results.len(),
        record.duration_ms / 1000.0,
        record.store_time_ms() / 1000.0,
        counts.join(", ")
    );
    let tally = |t: Tally| {
        record
            .results
            .iter()
            .filter(|r| r.verdict.tally() == t)
            .count()
    };
    let _ = writeln!(
        out,
        "corsprobe: {} passed, {} failed, {} skipped",
        tally(Tally::Passed),
        tally(Tally::Failed),
        tally(Tally::Skipped)
    );
    out
}

/// Text from a store made safe for a terminal: control characters other than newline and tab
/// are shown escaped (`\x1b`), so a body or header cannot move the cursor, recolour the
/// screen or retitle the window.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_from_a_store_are_shown_escaped() {
        let hostile = "Access\x1b[2J\x1b]0;owned\x07 denied\r\u{9b}31m\nnext\tline";
        let shown = super::safe(hostile);
        assert_eq!(
            shown,
            "Access\\x1b[2J\\x1b]0;owned\\x07 denied\\x0d\\x9b31m\nnext\tline"
        );
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        );
    }
}
