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
                let _ = write!(
                    out,
                    " {} |",
                    m.cell(i, id).map(|r| r.verdict.name()).unwrap_or("—")
                );
            }
            out.push('\n');
        }
    }
    out
}
