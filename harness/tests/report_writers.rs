//! Golden files for every report writer, rendered from a committed run record, plus structural
//! checks (well-formed XML, TAP plan, HTML links). `CORSPROBE_UPDATE_GOLDEN=1` rewrites them.

use corsprobe::model::verdict::Verdict;
use corsprobe::report::matrix::Matrix;
use corsprobe::report::record::RunRecord;
use corsprobe::report::{html, junit, markdown, tap};
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The committed Ceph sample, a variant with FAIL, ERROR and XPASS so every branch renders, and
/// a browser run (three scenarios in Chromium and Firefox: one column per browser).
fn matrix() -> Matrix {
    let text = std::fs::read_to_string(golden_dir().join("sample-run.json")).unwrap();
    let ceph: RunRecord = serde_json::from_str(&text).unwrap();
    let mut variant = ceph.clone();
    variant.target.name = "variant".into();
    for r in variant.results.iter_mut() {
        match r.id.as_str() {
            "preflight/origin/exact" => {
                r.verdict = Verdict::Fail;
                r.reason = "preflight: browser CORS decision: expected allowed, got blocked: no Access-Control-Allow-Origin".into();
                r.checks[0].ok = false;
                r.checks[0].actual = "blocked: no Access-Control-Allow-Origin".into();
            }
            "preflight/method/decides-rule" => {
                r.verdict = Verdict::Xpass;
                r.reason = "listed as FAIL but is now PASS: remove the entry".into();
            }
            "preflight/request/no-request-method" => {
                r.verdict = Verdict::Error;
                r.reason = "setup: CreateBucket: no answer (timed out)".into();
            }
            _ => {}
        }
    }
    variant.summary = corsprobe::report::record::count(&variant.results);
    let text = std::fs::read_to_string(golden_dir().join("sample-browser-run.json")).unwrap();
    let browsers: RunRecord = serde_json::from_str(&text).unwrap();
    let mut records = vec![ceph, variant, browsers];
    // The samples predate findings: they get them as `corsprobe matrix` gives them.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scenarios =
        corsprobe::model::scenario::load_all(&root.join("suites"), &root.join("fixtures")).unwrap();
    let catalog = corsprobe::run::session::catalog_of(root, &scenarios).unwrap();
    for r in &mut records {
        r.findings = catalog.findings(&r.results);
    }
    Matrix::new(records)
}

fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var("CORSPROBE_UPDATE_GOLDEN").is_ok() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from its golden file (CORSPROBE_UPDATE_GOLDEN=1 to accept)\n--- golden\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn markdown_matches_its_golden_file() {
    let text = markdown::render(&matrix());
    assert!(
        text.contains("## Legend")
            && text.contains("| FAIL | a MUST does not hold: browsers break |")
    );
    golden("report.md", &text);
}

#[test]
fn findings_open_the_reports_and_each_failed_cell_links_to_its_finding() {
    let m = matrix();
    let md = markdown::render(&m);
    let (findings, legend) = (
        md.find("## Findings").unwrap(),
        md.find("## Legend").unwrap(),
    );
    assert!(findings < legend, "findings before the matrix");
    let variant = &m.findings.iter().find(|(n, _)| n == "variant").unwrap().1;
    assert_eq!(
        variant[0].verdict(),
        Verdict::Fail,
        "most severe first: {variant:#?}"
    );
    let anchor = Matrix::anchor("variant", &variant[0]);
    assert!(md.contains(&format!("<a id=\"{anchor}\"></a>")), "{anchor}");
    assert!(
        md.contains(&format!("[FAIL](#{anchor})")),
        "the FAIL cell links to its finding"
    );
    let index = html::render_index(&m);
    assert!(index.find("id=\"findings\"").unwrap() < index.find("id=\"legend\"").unwrap());
    assert!(
        index.contains(&format!("<tr id=\"{anchor}\">"))
            && index.contains(&format!("href=\"#{anchor}\""))
    );
    let junit = junit::render_findings(&m);
    assert!(
        junit.contains(&format!("<testcase name=\"{}\"", variant[0].id))
            && junit.contains("type=\"FAIL\"")
    );
    golden("report-findings.junit.xml", &junit);
    let tap = tap::render_findings(&m);
    let total: usize = m.findings.iter().map(|(_, f)| f.len()).sum();
    assert!(tap.starts_with(&format!("TAP version 13\n1..{total}\n")));
    assert!(
        tap.contains(&format!("not ok 1 - variant {}", variant[0].id))
            || tap.contains(&format!("- variant {}", variant[0].id))
    );
    golden("report-findings.tap", &tap);
}

#[test]
fn junit_matches_its_golden_file_and_is_well_formed() {
    let text = junit::render(&matrix());
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut cases, mut suites) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                let attrs: Vec<String> = e
                    .attributes()
                    .flatten()
                    .map(|a| String::from_utf8_lossy(a.key.as_ref()).into_owned())
                    .collect();
                match e.name().as_ref() {
                    b"testcase" => {
                        cases += 1;
                        assert!(
                            attrs.contains(&"name".into()) && attrs.contains(&"classname".into()),
                            "{attrs:?}"
                        );
                    }
                    b"testsuite" => suites += 1,
                    _ => {}
                }
            }
            Err(e) => panic!("JUnit is not well-formed XML: {e}"),
            _ => {}
        }
    }
    assert_eq!((suites, cases), (4, 18));
    assert!(
        text.contains("type=\"FAIL\"")
            && text.contains("type=\"XPASS\"")
            && text.contains("<error ")
            && text.contains("expected failure")
    );
    golden("report.junit.xml", &text);
}

#[test]
fn tap_matches_its_golden_file_and_its_plan() {
    let text = tap::render(&matrix());
    let tests = text
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .count();
    assert!(text.starts_with("TAP version 13\n1..18\n"));
    assert_eq!(tests, 18);
    assert!(text.contains("# SKIP ") && text.contains("# TODO "));
    golden("report.tap", &text);
}

#[test]
fn html_index_and_a_cell_match_their_golden_files_and_every_link_resolves() {
    let m = matrix();
    let dir = std::env::temp_dir().join(format!("corsprobe-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pages = html::write_report(&dir, &m).unwrap();
    assert_eq!(pages, 19);
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("id=\"legend\""), "the index has its legend");
    // Rule addresses are links a reader may follow; nothing outside is loaded with the page.
    for outside in ["src=\"http", "href=\"http:", "url(http", "@import"] {
        assert!(
            !index.contains(outside),
            "self-contained: `{outside}` in the index"
        );
    }
    assert!(
        !index.contains("<link") && !index.contains("<script"),
        "no outside resources"
    );
    for href in index
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .filter(|h| !h.starts_with("https://"))
    {
        let (file, anchor) = href.split_once('#').unwrap_or((href, ""));
        if file.is_empty() {
            assert!(
                index.contains(&format!("id=\"{anchor}\"")),
                "dead anchor {href}"
            );
        } else {
            assert!(dir.join(file).is_file(), "dead link {href}");
        }
    }
    golden("report-index.html", &index);
    let r = m.cell(1, "preflight/origin/exact").unwrap();
    let cell = html::render_cell(&m, 1, r);
    assert!(
        cell.contains("Requirement")
            && cell.contains("fails")
            && cell.contains("[redacted]")
            && cell.contains("Snapshot")
    );
    golden("report-cell.html", &cell);
    let firefox = m
        .columns
        .iter()
        .position(|c| c.label.starts_with("ceph · firefox"))
        .expect("a column per browser");
    let r = m.cell(firefox, "browser/signature-bad").unwrap();
    let cell = html::render_cell(&m, firefox, r);
    assert!(
        cell.contains("What the page saw in firefox")
            && cell.contains("network-error")
            && cell.contains("(from the page)")
            && !cell.contains("<h2>Snapshot"),
        "the page's view and what reached the store, no snapshot"
    );
    golden("report-browser-cell.html", &cell);
}

#[test]
fn a_browser_run_splits_into_one_column_per_browser_with_its_own_counts() {
    let m = matrix();
    let labels: Vec<&str> = m.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "ceph",
            "variant",
            "ceph · chromium 156",
            "ceph · firefox 153"
        ]
    );
    for c in &m.columns[2..] {
        assert_eq!(c.record.results.len(), 3);
        assert_eq!(c.record.summary.values().sum::<usize>(), 3);
        assert!(c.browser.is_some());
    }
    // A group's table shows only the columns that ran it.
    let browser_ids = &m.groups["browser"];
    assert_eq!(m.columns_for(browser_ids), vec![2, 3]);
}
