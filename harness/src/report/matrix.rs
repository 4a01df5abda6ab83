//! The compatibility matrix: several run records merged, scenarios as rows, runs as columns.

use super::record::RunRecord;
use crate::model::finding::Finding;
use crate::model::result::ScenarioResult;
use crate::model::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// What each verdict means, in the words every report uses.
pub const LEGEND: [(Verdict, &str); 8] = [
    (Verdict::Pass, "every check holds"),
    (
        Verdict::NonStrict,
        "every MUST holds, a SHOULD does not: an interoperability, cache or security hazard",
    ),
    (
        Verdict::Info,
        "conformant, but different from the dialect's reference vendor (AWS S3, Alibaba Cloud OSS)",
    ),
    (Verdict::Fail, "a MUST does not hold: browsers break"),
    (
        Verdict::Error,
        "could not judge: connection refused, timeout, setup failed",
    ),
    (
        Verdict::Skip,
        "not run: the scenario does not apply to this target",
    ),
    (
        Verdict::Xfail,
        "failed, as the target's known-failure list says",
    ),
    (
        Verdict::Xpass,
        "listed as a known failure but did better: the list is stale",
    ),
];

/// One column: a run of one target, its raw probes or one browser's scenarios.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column heading, e.g. `ceph` or `ceph · firefox 153`.
    pub label: String,
    /// The run it comes from, holding only this column's results and their counts.
    pub record: RunRecord,
    /// The browser of a browser column.
    pub browser: Option<crate::model::result::BrowserInfo>,
    /// True for the first column of its run (a run's probe and browser columns share a header).
    pub first_of_run: bool,
}

/// The merged view of several runs.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Columns, in the order the runs were given.
    pub columns: Vec<Column>,
    /// Scenario ids by group, sorted.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Title and requirement by scenario id (from whichever run had it).
    pub titles: BTreeMap<String, (String, String)>,
    /// Each store's findings over all its runs, most severe first; stores in the order given.
    pub findings: Vec<(String, Vec<Finding>)>,
}

/// Splits a run into its probe part and one part per browser, each with its own counts.
fn split(record: RunRecord) -> Vec<(RunRecord, Option<crate::model::result::BrowserInfo>)> {
    let mut kinds: Vec<String> = Vec::new();
    for r in &record.results {
        if !kinds.contains(&r.browser) {
            kinds.push(r.browser.clone());
        }
    }
    if kinds.len() <= 1 && kinds.first().is_none_or(String::is_empty) {
        return vec![(record, None)];
    }
    kinds
        .into_iter()
        .map(|kind| {
            let mut part = record.clone();
            part.results.retain(|r| r.browser == kind);
            part.summary = super::record::count(&part.results);
            let info = record.browsers.iter().find(|b| b.name == kind).cloned();
            (part, info)
        })
        .collect()
}

impl Matrix {
    /// Merges runs; two runs of the same target (and browser) get numbered labels.
    pub fn new(records: Vec<RunRecord>) -> Self {
        let mut by_store: Vec<(String, Vec<Vec<Finding>>)> = Vec::new();
        for r in &records {
            match by_store.iter_mut().find(|(n, _)| *n == r.target.name) {
                Some((_, runs)) => runs.push(r.findings.clone()),
                None => by_store.push((r.target.name.clone(), vec![r.findings.clone()])),
            }
        }
        let findings = by_store
            .into_iter()
            .map(|(n, runs)| (n, crate::model::finding::merge(runs)))
            .collect();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut columns = Vec::new();
        let mut ids = BTreeSet::new();
        let mut titles = BTreeMap::new();
        let parts = records.into_iter().flat_map(|r| {
            split(r)
                .into_iter()
                .enumerate()
                .map(|(i, (record, browser))| (i == 0, record, browser))
        });
        for (first_of_run, record, browser) in parts {
            let base = match &browser {
                Some(b) => format!(
                    "{} · {} {}",
                    record.target.name,
                    b.name,
                    b.version.split('.').next().unwrap_or("")
                ),
                None => record.target.name.clone(),
            };
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let label = if *n > 1 { format!("{base} #{n}") } else { base };
            for r in &record.results {
                ids.insert(r.id.clone());
                titles
                    .entry(r.id.clone())
                    .or_insert((r.title.clone(), r.requirement.clone()));
            }
            columns.push(Column {
                label,
                record,
                browser,
                first_of_run,
            });
        }
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in ids {
            let group = id.split('/').next().unwrap_or(&id).to_string();
            groups.entry(group).or_default().push(id);
        }
        Self {
            columns,
            groups,
            titles,
            findings,
        }
    }

    /// The findings behind a cell's verdict, most severe first.
    pub fn findings_of(&self, column: usize, r: &ScenarioResult) -> Vec<&Finding> {
        let store = &self.columns[column].record.target.name;
        self.findings
            .iter()
            .filter(|(n, _)| n == store)
            .flat_map(|(_, f)| f)
            .filter(|f| {
                f.instances
                    .iter()
                    .any(|i| i.scenario == r.id && i.browser == r.browser)
            })
            .collect()
    }

    /// The anchor of a store's finding in a report: `<store>--<id>`, safe in HTML and Markdown.
    pub fn anchor(store: &str, f: &Finding) -> String {
        format!("{store}--{}", f.anchor())
    }

    /// The columns with at least one result among `ids` (a group's table leaves out the rest).
    pub fn columns_for(&self, ids: &[String]) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| ids.iter().any(|id| self.cell(i, id).is_some()))
            .collect()
    }

    /// The result of a scenario in a column, if that run had it.
    pub fn cell(&self, column: usize, id: &str) -> Option<&ScenarioResult> {
        self.columns[column]
            .record
            .results
            .iter()
            .find(|r| r.id == id)
    }

    /// A scenario id without its group, for row labels.
    pub fn short(id: &str) -> &str {
        id.split_once('/').map(|(_, rest)| rest).unwrap_or(id)
    }
}
