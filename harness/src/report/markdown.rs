//! The matrix as a Markdown table, text verdicts only, for pull requests and job summaries.

use super::matrix::{LEGEND, Matrix};
use crate::model::verdict::Verdict;
use std::fmt::Write as _;

/// Renders the matrix.
pub fn render(m: &Matrix) -> String {
    let mut out = String::from("# corsprobe compatibility matrix\n\n");
    for c in &m.columns {
        let t = &c.record.target;
        if c.first_of_run {
            let _ = writeln!(
                out,
                "- **{}**: {} at `{}` ({} dialect, compared with {}); {} {} run at {}",
                c.label.split(" · ").next().unwrap_or(&c.label),
                t.vendor,
                t.endpoint_host,
                t.dialect.name(),
                t.reference_vendor,
                c.record.tool.name,
                c.record.tool.version,
                c.record.started_at
            );
        }
        if let Some(b) = &c.browser {
            let _ = writeln!(
                out,
                "  - column **{}**: {} {}, headless{}",
                c.label,
                b.name,
                b.version,
                b.started()
            );
        }
    }
    findings(&mut out, m);
    out.push_str("\n## Legend\n\n| verdict | meaning |\n|---|---|\n");
    for (v, meaning) in LEGEND {
        let _ = writeln!(out, "| {} | {meaning} |", v.name());
    }
    out.push_str("\n## Counts\n\n| run |");
    for v in Verdict::ALL {
        let _ = write!(out, " {} |", v.name());
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Verdict::ALL.len()));
    out.push('\n');
    for c in &m.columns {
        let _ = write!(out, "| {} |", c.label);
        for v in Verdict::ALL {
            let _ = write!(
                out,
                " {} |",
                c.record.summary.get(v.name()).copied().unwrap_or(0)
            );
        }
        out.push('\n');
    }
    for (group, ids) in &m.groups {
        let shown = m.columns_for(ids);
        let _ = write!(out, "\n## {group}\n\n| scenario |");
        for &i in &shown {
            let _ = write!(out, " {} |", m.columns[i].label);
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(shown.len()));
        out.push('\n');
        for id in ids {
            let _ = write!(out, "| `{}` |", Matrix::short(id));
            for &i in &shown {
                let cell = match m.cell(i, id) {
                    Some(r) => match m.findings_of(i, r).first() {
                        Some(f) => format!(
                            "[{}](#{})",
                            r.verdict.name(),
                            Matrix::anchor(&m.columns[i].record.target.name, f)
                        ),
                        None => r.verdict.name().to_string(),
                    },
                    None => "—".to_string(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
    }
    out
}

/// Each store's findings, most severe first: what a maintainer fixes, before the matrix.
fn findings(out: &mut String, m: &Matrix) {
    out.push_str("\n## Findings\n\nThe failed and hazardous checks grouped by the store behaviour behind them. `corsprobe repro <id> --target <store>` prints a script that shows it.\n");
    for (store, list) in &m.findings {
        let _ = writeln!(out, "\n### {store}: {} finding(s)\n", list.len());
        if list.is_empty() {
            out.push_str("None: every check holds.\n");
        }
        for f in list {
            let rule = if f.link.is_empty() {
                f.rule.clone()
            } else {
                format!("{} ([rule]({}))", f.rule, f.link)
            };
            let known = f
                .known
                .as_deref()
                .map(|k| format!(" Known: {k}."))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- <a id=\"{}\"></a>**{}** `{}`: {}. {} scenario(s): {}.{known}\n  - Rule: {}\n  - What a page sees: {}",
                Matrix::anchor(store, f),
                f.verdict().name(),
                f.id,
                f.title.trim_end_matches('.'),
                f.scenarios.len(),
                f.scenarios
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                rule.replace('\n', " "),
                f.page
            );
            for seen in &f.seen {
                let _ = writeln!(out, "    - seen in {seen}");
            }
        }
    }
}
