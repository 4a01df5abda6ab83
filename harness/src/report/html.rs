//! The HTML report: a self-contained index with legend, counts and matrix, and one detail page
//! per cell with requirement, checks, the redacted exchanges and the snapshot.

use super::junit::escape;
use super::matrix::{LEGEND, Matrix};
use crate::model::page_view::PageOutcome;
use crate::model::result::ScenarioResult;
use crate::model::verdict::Verdict;
use std::fmt::Write as _;
use std::path::Path;

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d2330}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.6em 0}\
td,th{border:1px solid #d5d9e0;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f5f8}\
.v{font-weight:600;text-align:center;white-space:nowrap}.v a{color:inherit;text-decoration:none;display:block}\
.PASS{background:#d7f5dd}.NON-STRICT{background:#fff0c2}.INFO{background:#dbeafe}.FAIL{background:#fcd4d4}\
.ERROR{background:#e9d5ff}.SKIP{background:#eceff3;color:#666}.XFAIL{background:#f3e3d3}.XPASS{background:#fbb6ce}\
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12.5px}.no{color:#b42318;font-weight:600}.yes{color:#1a7f37}\
small{color:#5b6472}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// The file of a cell's detail page, relative to the report directory.
pub fn cell_path(column: usize, id: &str) -> String {
    format!("cells/{column}/{}.html", id.replace('/', "__"))
}

/// The index page.
pub fn render_index(m: &Matrix) -> String {
    let mut b = String::from("<h1>corsprobe compatibility matrix</h1>\n<ul>\n");
    for c in &m.columns {
        let t = &c.record.target;
        if c.first_of_run {
            if !std::ptr::eq(c, &m.columns[0]) {
                b.push_str("</li>\n");
            }
            let _ = write!(
                b,
                "<li><b>{}</b>: {} at <code>{}</code>, {} dialect, compared with {}; {} {} run at {}",
                escape(c.label.split(" · ").next().unwrap_or(&c.label)),
                escape(&t.vendor),
                escape(&t.endpoint_host),
                t.dialect.name(),
                escape(&t.reference_vendor),
                escape(&c.record.tool.name),
                escape(&c.record.tool.version),
                escape(&c.record.started_at)
            );
        }
        if let Some(br) = &c.browser {
            let _ = write!(
                b,
                "<br>column <b>{}</b>: {} {}, headless{}",
                escape(&c.label),
                escape(&br.name),
                escape(&br.version),
                escape(&br.started())
            );
        }
    }
    if !m.columns.is_empty() {
        b.push_str("</li>\n");
    }
    b.push_str("</ul>\n");
    render_findings(&mut b, m);
    b.push_str("<h2 id=\"legend\">Legend</h2>\n<table><tr><th>verdict</th><th>meaning</th></tr>\n");
    for (v, meaning) in LEGEND {
        let _ = writeln!(
            b,
            "<tr><td class=\"v {0}\">{0}</td><td>{1}</td></tr>",
            v.name(),
            escape(meaning)
        );
    }
    b.push_str("</table>\n<h2>Counts</h2>\n<table><tr><th>run</th>");
    for v in Verdict::ALL {
        let _ = write!(b, "<th>{}</th>", v.name());
    }
    b.push_str("<th>conformant</th></tr>\n");
    for c in &m.columns {
        let _ = write!(b, "<tr><td>{}</td>", escape(&c.label));
        for v in Verdict::ALL {
            let _ = write!(
                b,
                "<td>{}</td>",
                c.record.summary.get(v.name()).copied().unwrap_or(0)
            );
        }
        let judged = c
            .record
            .results
            .iter()
            .filter(|r| r.verdict != Verdict::Skip)
            .count();
        let good = c
            .record
            .results
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Pass | Verdict::Info))
            .count();
        let pct = if judged == 0 {
            0.0
        } else {
            100.0 * good as f64 / judged as f64
        };
        let _ = writeln!(b, "<td>{pct:.0}%</td></tr>");
    }
    b.push_str("</table>\n");
    for (group, ids) in &m.groups {
        let shown = m.columns_for(ids);
        let _ = write!(
            b,
            "<h2>{}</h2>\n<table><tr><th>scenario</th>",
            escape(group)
        );
        for &i in &shown {
            let _ = write!(b, "<th>{}</th>", escape(&m.columns[i].label));
        }
        b.push_str("</tr>\n");
        for id in ids {
            let title = m.titles.get(id).map(|t| t.0.as_str()).unwrap_or("");
            let _ = write!(
                b,
                "<tr><td><code>{}</code><br><small>{}</small></td>",
                escape(Matrix::short(id)),
                escape(title)
            );
            for &i in &shown {
                match m.cell(i, id) {
                    Some(r) => {
                        let finding = m
                            .findings_of(i, r)
                            .first()
                            .map(|f| {
                                format!(
                                    "<small><a href=\"#{}\" title=\"{}\">{}</a></small>",
                                    Matrix::anchor(&m.columns[i].record.target.name, f),
                                    escape(&f.title),
                                    escape(&f.id)
                                )
                            })
                            .unwrap_or_default();
                        let _ = write!(
                            b,
                            "<td class=\"v {0}\" title=\"{1}\"><a href=\"{2}\">{0}</a>{finding}</td>",
                            r.verdict.name(),
                            escape(&r.reason),
                            cell_path(i, id)
                        );
                    }
                    None => b.push_str("<td class=\"v\">—</td>"),
                }
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table>\n");
    }
    page("corsprobe compatibility matrix", &b)
}

/// Each store's findings, most severe first, each with its rule, what a page sees, its
/// scenarios and the command that reproduces it.
fn render_findings(b: &mut String, m: &Matrix) {
    b.push_str("<h2 id=\"findings\">Findings</h2>\n<p>The failed and hazardous checks grouped by the store behaviour behind them, most severe first. <code>corsprobe repro &lt;id&gt; --target &lt;store&gt;</code> prints a script that shows it.</p>\n");
    for (store, list) in &m.findings {
        let _ = writeln!(b, "<h3>{}: {} finding(s)</h3>", escape(store), list.len());
        if list.is_empty() {
            b.push_str("<p>None: every check holds.</p>\n");
            continue;
        }
        b.push_str("<table><tr><th>verdict</th><th>finding</th><th>rule and what a page sees</th><th>scenarios</th></tr>\n");
        for f in list {
            let rule = if f.link.is_empty() {
                escape(&f.rule)
            } else {
                format!(
                    "{} <a href=\"{}\">rule</a>",
                    escape(&f.rule),
                    escape(&f.link)
                )
            };
            let seen: String = f
                .seen
                .iter()
                .map(|s| format!("<br><small>seen in {}</small>", escape(s)))
                .collect();
            let known = f
                .known
                .as_deref()
                .map(|k| format!("<br><small>known: {}</small>", escape(k)))
                .unwrap_or_default();
            let _ = writeln!(
                b,
                "<tr id=\"{}\"><td class=\"v {}\">{}</td><td><code>{}</code><br>{}{known}<br><small><code>corsprobe repro {} --target {}</code></small></td><td>{rule}<br><i>{}</i>{seen}</td><td>{}</td></tr>",
                Matrix::anchor(store, f),
                f.verdict().name(),
                f.verdict().name(),
                escape(&f.id),
                escape(&f.title),
                escape(&f.id),
                escape(store),
                escape(&f.page),
                f.scenarios
                    .iter()
                    .map(|s| escape(s))
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        b.push_str("</table>\n");
    }
}

/// The detail page of one cell.
pub fn render_cell(m: &Matrix, column: usize, r: &ScenarioResult) -> String {
    let c = &m.columns[column];
    let mut b = format!(
        "<p><a href=\"../../index.html\">← matrix</a></p>\n<h1>{}</h1>\n",
        escape(&r.title)
    );
    let _ = writeln!(
        b,
        "<p><code>{}</code> on <b>{}</b> ({})</p>",
        escape(&r.id),
        escape(&c.label),
        escape(&c.record.target.vendor)
    );
    let _ = writeln!(
        b,
        "<p><b>Requirement</b> ({}): {}</p>",
        r.level.name(),
        escape(&r.requirement)
    );
    let _ = writeln!(
        b,
        "<p><span class=\"v {0}\" style=\"padding:.2em .6em\">{0}</span> {1}</p>",
        r.verdict.name(),
        escape(&r.reason)
    );
    let behind = m.findings_of(column, r);
    if !behind.is_empty() {
        b.push_str("<h2>Findings behind it</h2>\n<ul>\n");
        for f in behind {
            let _ = writeln!(
                b,
                "<li><a href=\"../../index.html#{}\"><code>{}</code></a> ({}): {}</li>",
                Matrix::anchor(&c.record.target.name, f),
                escape(&f.id),
                f.verdict().name(),
                escape(&f.title)
            );
        }
        b.push_str("</ul>\n");
    }
    if !r.pages.is_empty() {
        b.push_str(&render_pages(r));
    }
    // Records written before checks kept their source have none: no empty column for them.
    let sourced = r.checks.iter().any(|c| !c.source.is_empty());
    b.push_str("<h2>Checks</h2>\n<table><tr><th>step</th><th>check</th><th>level</th><th>expected</th><th>actual</th><th></th>");
    b.push_str(if sourced {
        "<th>source</th></tr>\n"
    } else {
        "</tr>\n"
    });
    for ch in &r.checks {
        let source = if sourced {
            format!("<td><code>{}</code></td>", escape(&ch.source))
        } else {
            String::new()
        };
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>{source}</tr>",
            escape(&ch.step),
            escape(&ch.check),
            ch.level.name(),
            escape(&ch.expected),
            escape(&ch.actual),
            if ch.ok { "yes" } else { "no" },
            if ch.ok { "holds" } else { "fails" }
        );
    }
    b.push_str("</table>\n");
    if !r.notes.is_empty() {
        b.push_str("<h2>Not asked</h2>\n<ul>\n");
        for n in &r.notes {
            let _ = writeln!(b, "<li>{}</li>", escape(n));
        }
        b.push_str("</ul>\n");
    }
    b.push_str("<h2>Exchanges</h2>\n<p><small>Secrets, signatures and presigned query values are redacted.</small></p>\n");
    for ex in &r.exchanges {
        let mut t = format!("{} {}\n", ex.request.method, ex.request.url);
        for (n, v) in &ex.request.headers {
            let _ = writeln!(t, "{n}: {v}");
        }
        match &ex.response {
            Some(resp) => {
                let _ = writeln!(t, "\n{}", resp.status);
                for (n, v) in &resp.headers {
                    let _ = writeln!(t, "{n}: {v}");
                }
                if !resp.body.is_empty() {
                    let _ = writeln!(t, "\n{}", resp.body_shown());
                }
            }
            None => {
                let _ = writeln!(
                    t,
                    "\n(no response: {})",
                    ex.error.as_deref().unwrap_or("unknown")
                );
            }
        }
        let heading = format!(
            "{} · {} <small>{:.1} ms</small>",
            format!("{:?}", ex.phase).to_lowercase(),
            escape(&ex.label),
            ex.duration_ms
        );
        // The judged steps come first to the eye; setup and teardown stay folded.
        if ex.phase == crate::model::exchange::Phase::Step {
            let _ = writeln!(b, "<h3>{heading}</h3>\n<pre>{}</pre>", escape(&t));
        } else {
            let _ = writeln!(
                b,
                "<details><summary>{heading}</summary><pre>{}</pre></details>",
                escape(&t)
            );
        }
    }
    if r.verdict != Verdict::Skip && r.browser.is_empty() {
        let _ = writeln!(
            b,
            "<h2>Snapshot</h2>\n<pre>{}</pre>",
            escape(&crate::model::snapshot::render(r))
        );
    }
    page(&format!("{} on {}", r.id, c.label), &b)
}

/// What the page saw at each step, beside what reached the store.
fn render_pages(r: &ScenarioResult) -> String {
    let mut b = format!(
        "<h2>What the page saw in {}</h2>\n<table><tr><th>step</th><th>page</th><th>request</th><th>the page saw</th><th>readable headers</th><th>reached the store</th></tr>\n",
        escape(&r.browser)
    );
    for p in &r.pages {
        let mut seen = format!("<b>{}</b>", p.outcome.name());
        if p.status != 0 {
            let _ = write!(seen, " {}", p.status);
        }
        if let Some(e) = &p.error {
            let _ = write!(seen, "<br><small>{}</small>", escape(e));
        }
        if !p.cors_errors.is_empty() {
            let _ = write!(
                seen,
                "<br><small>browser's reason: {}</small>",
                escape(&p.cors_errors.join(", "))
            );
        } else if p.outcome == PageOutcome::NetworkError {
            // Only Chromium's DevTools log names a CORS reason; the others give the page none.
            seen.push_str(
                "<br><small>the browser gives no reason: what reached the store tells</small>",
            );
        }
        if let Some(body) = &p.body {
            let _ = write!(seen, "<br><code>{}</code>", escape(body));
        }
        let headers: Vec<&str> = p.headers.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td><code>{}</code></td><td>{} via {}<br><small>{}</small></td><td>{seen}</td><td>{}</td><td>{} request(s), {} preflight(s)<br><small>{:.0} ms in the page</small></td></tr>",
            escape(&p.step),
            escape(&p.origin),
            escape(&p.method),
            escape(&p.via),
            escape(&p.url),
            escape(&headers.join(", ")),
            p.store_requests,
            p.store_preflights,
            p.page_ms
        );
    }
    b.push_str("</table>\n");
    b
}

/// Writes `index.html` and every cell page under `dir`.
pub fn write_report(dir: &Path, m: &Matrix) -> Result<usize, String> {
    let write = |rel: &str, text: String| -> Result<(), String> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
    };
    write("index.html", render_index(m))?;
    let mut pages = 1;
    for (i, c) in m.columns.iter().enumerate() {
        for r in &c.record.results {
            write(&cell_path(i, &r.id), render_cell(m, i, r))?;
            pages += 1;
        }
    }
    Ok(pages)
}
