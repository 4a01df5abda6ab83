//! Reproductions: a finding or a scenario as a script a maintainer runs against the store.

pub mod page;
pub mod script;
pub mod shell;

use crate::model::finding::Finding;
use crate::model::scenario::Scenario;
use crate::model::verdict::Verdict;
use crate::report::record::RunRecord;
use script::Heading;

/// What a repro reproduces: the scenario to script and what its heading says.
#[derive(Debug, Clone)]
pub struct Chosen<'a> {
    /// The scenario the script runs.
    pub scenario: &'a Scenario,
    /// Its heading and the checks to look at.
    pub heading: Heading,
}

/// The scenario that shows a finding most simply (a raw probe before a page, then the fewest
/// steps), with the finding's words and the checks it failed there.
pub fn for_finding<'a>(finding: &Finding, scenarios: &'a [Scenario]) -> Result<Chosen<'a>, String> {
    let candidates = finding.instances.iter().filter_map(|i| {
        scenarios
            .iter()
            .find(|s| s.id == i.scenario)
            .map(|s| (s, i))
    });
    let (scenario, instance) = candidates
        .min_by_key(|(s, i)| (!i.browser.is_empty(), s.steps.len()))
        .ok_or_else(|| {
            format!(
                "finding `{}` shows in no scenario of this checkout ({}): nothing to reproduce",
                finding.id,
                finding.scenarios.join(", ")
            )
        })?;
    let look_at = finding
        .instances
        .iter()
        .filter(|i| i.scenario == scenario.id && i.browser == instance.browser)
        .map(|i| i.check.clone())
        .collect();
    let mut lines = vec![
        format!(
            "Finding {} ({}, {} scenario(s)): {}",
            finding.id,
            finding.verdict().name(),
            finding.scenarios.len(),
            finding.title
        ),
        format!("Rule: {}", finding.rule),
    ];
    if !finding.link.is_empty() {
        lines.push(format!("  {}", finding.link));
    }
    lines.push(format!("What a page sees: {}", finding.page));
    for seen in &finding.seen {
        lines.push(format!("  seen in {seen}"));
    }
    let others: Vec<&str> = finding
        .scenarios
        .iter()
        .map(String::as_str)
        .filter(|s| *s != scenario.id)
        .collect();
    if !others.is_empty() {
        lines.push(format!("Also in: {}", others.join(", ")));
    }
    Ok(Chosen {
        scenario,
        heading: Heading { lines, look_at },
    })
}

/// A scenario by id, with the checks it failed in `record` (its raw probe) to look at.
pub fn for_scenario<'a>(scenario: &'a Scenario, record: Option<&RunRecord>) -> Chosen<'a> {
    let result = record.and_then(|r| {
        r.results
            .iter()
            .find(|x| x.id == scenario.id && x.browser.is_empty())
    });
    let look_at = result
        .map(|r| r.checks.iter().filter(|c| !c.ok).cloned().collect())
        .unwrap_or_default();
    let lines = match result {
        Some(r) if r.verdict != Verdict::Pass => {
            vec![format!(
                "The recorded run judged it {}: {}",
                r.verdict.name(),
                r.reason
            )]
        }
        _ => vec![],
    };
    Chosen {
        scenario,
        heading: Heading { lines, look_at },
    }
}

/// Why a scenario cannot be printed as a script, if it cannot: a step that captures a value
/// from its answer (an UploadId, an ETag) for the steps after it, which a script does not carry
/// from one curl call to the next yet.
pub fn unscriptable(scenario: &crate::model::scenario::Scenario) -> Option<String> {
    scenario
        .steps
        .iter()
        .find(|s| s.capture.is_some())
        .map(|step| {
            format!(
                "`{}`: step `{}` captures a value from its answer for the steps after it (an UploadId, an ETag), which a repro script does not carry yet; run it with `corsprobe run {} --verbose`",
                scenario.id, step.name, scenario.id
            )
        })
}
