//! Report files every command writes the same way, and `corsprobe matrix`.

use super::*;
use crate::report::{json, record::RunRecord};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub(super) struct ReportArgs {
    /// Write the matrix as Markdown here.
    #[arg(long)]
    pub(super) report_md: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub(super) report_junit: Option<PathBuf>,
    /// Write TAP version 13 here.
    #[arg(long)]
    pub(super) report_tap: Option<PathBuf>,
    /// Write the HTML report into this directory.
    #[arg(long)]
    pub(super) report_html: Option<PathBuf>,
    /// What a JUnit or TAP test case is: a scenario, or a finding (for CI that tracks tests).
    #[arg(long, value_enum, default_value = "scenario")]
    pub(super) report_by: ReportBy,
}

/// What a JUnit or TAP test case stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ReportBy {
    /// One case per scenario and run.
    Scenario,
    /// One case per finding and store.
    Finding,
}

/// Writes every report format that was asked for, all rendered from the run records; a file
/// that cannot be written does not keep the others from being written. Gives the failures.
pub(super) fn write_reports(args: &ReportArgs, records: Vec<RunRecord>) -> Vec<String> {
    use crate::report::{html, junit, markdown, matrix::Matrix, tap};
    if args.report_md.is_none()
        && args.report_junit.is_none()
        && args.report_tap.is_none()
        && args.report_html.is_none()
    {
        return Vec::new();
    }
    let m = Matrix::new(records);
    let write = |path: &Path, text: String| -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut failed = Vec::new();
    let by_finding = args.report_by == ReportBy::Finding;
    for (path, render) in [
        (&args.report_md, markdown::render as fn(&Matrix) -> String),
        (
            &args.report_junit,
            if by_finding {
                junit::render_findings
            } else {
                junit::render
            },
        ),
        (
            &args.report_tap,
            if by_finding {
                tap::render_findings
            } else {
                tap::render
            },
        ),
    ] {
        if let Some(p) = path
            && let Err(e) = write(p, render(&m))
        {
            failed.push(e);
        }
    }
    if let Some(dir) = &args.report_html
        && let Err(e) = html::write_report(dir, &m)
    {
        failed.push(e);
    }
    failed
}

pub(super) fn matrix_cmd(
    root: &Path,
    runs: &[PathBuf],
    normalized: Option<&Path>,
    reports: &ReportArgs,
) -> i32 {
    let mut records = Vec::new();
    for p in runs {
        match json::read(p) {
            Ok(r) => records.push(r),
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        }
    }
    // Findings are told by this checkout's catalog, so records of older runs (or of runs
    // before a cause was added) group alike; a finding the run knew stays known.
    let catalog = match load_scenarios(root).and_then(|all| load_catalog(root, &all)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    for r in records.iter_mut() {
        let mut found = catalog.findings(&r.results);
        for f in &mut found {
            f.known = r
                .findings
                .iter()
                .find(|old| old.id == f.id)
                .and_then(|old| old.known.clone());
        }
        r.findings = found;
    }
    if let Some(dir) = normalized {
        records = records.iter().map(|r| r.normalized()).collect();
        // The records were redacted when written; nothing of this run's own is left to scrub.
        let redactor = crate::model::redact::Redactor::default();
        for (r, input) in records.iter().zip(runs) {
            // Named as the input was: one target may have several runs (browser variants).
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{}.json", r.target.name));
            let path = dir.join(name);
            if let Err(e) = json::write_report(&path, r, &redactor) {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let n = records.len();
    let failed = write_reports(reports, records);
    for e in &failed {
        eprintln!("corsprobe: {e}");
    }
    if !failed.is_empty() {
        return EXIT_USAGE;
    }
    println!("matrix of {n} run(s) written");
    0
}
