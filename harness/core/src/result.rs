//! The judged outcome of a scenario: verdict, checks, exchanges, page views and snapshot state,
//! as the run record keeps it and every report reads it.

use crate::check::CheckResult;

use crate::exchange::Exchange;
use crate::page_view::PageView;
use crate::scenario::Scenario;
use crate::verdict::Verdict;
use crate::vocabulary::Level;
use serde::{Deserialize, Serialize};

/// The judged outcome of one scenario on one target, with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario id (its path below `suites/`).
    pub id: String,
    /// What is sent.
    pub title: String,
    /// What must hold.
    pub requirement: String,
    /// How bad a failure is.
    pub level: Level,
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence saying why.
    pub reason: String,
    /// Every judged check, expected and actual kept.
    pub checks: Vec<CheckResult>,
    /// Every request the scenario sent, redacted, with durations.
    pub exchanges: Vec<Exchange>,
    /// Wall time of the scenario in milliseconds.
    pub duration_ms: f64,
    /// The bucket it ran in (empty when skipped).
    #[serde(default)]
    pub bucket: String,
    /// The never-created bucket its `bucket = "missing"` steps address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub missing_bucket: String,
    /// In an existing bucket: the prefix of every key it created.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_prefix: String,
    /// Snapshot comparison, filled in after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotOutcome>,
    /// The browser that ran it (`chromium`, `firefox`); empty for raw probes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub browser: String,
    /// What the page saw at each page step, beside what reached the store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PageView>,
    /// Steps not asked because the store answered an earlier step the other way (`when`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How long each rules change took to take effect, in milliseconds, where the target asks
    /// the run to wait for it (`propagation_timeout_secs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub propagation_ms: Vec<f64>,
}

impl ScenarioResult {
    /// A result for a scenario that was not judged (not run, or the store not reached).
    pub fn unjudged(s: &Scenario, verdict: Verdict, reason: &str) -> Self {
        ScenarioResult {
            verdict,
            reason: reason.to_string(),
            ..base_result(s)
        }
    }

    /// The id as reports name a result: `id`, or `id [browser]` for a browser scenario.
    pub fn label(&self) -> String {
        if self.browser.is_empty() {
            self.id.clone()
        } else {
            format!("{} [{}]", self.id, self.browser)
        }
    }
}

/// How the observation compares with the stored snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotStatus {
    /// Same as stored.
    Match,
    /// Differs from the stored snapshot.
    Changed,
    /// No snapshot stored yet.
    New,
}

/// The snapshot comparison of one result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotOutcome {
    /// Snapshot name, `<scenario>@<target>`.
    pub name: String,
    /// File path relative to the repository root.
    pub file: String,
    /// Match, changed or new.
    pub status: SnapshotStatus,
}

/// A browser as a run record names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserInfo {
    /// `chromium` or `firefox`.
    pub name: String,
    /// Version as the driver reports it.
    pub version: String,
    /// Time from spawning the driver to a ready session, in milliseconds.
    pub start_ms: f64,
}

impl BrowserInfo {
    /// `, started in 1.2 s` for reports; nothing for a normalised record, whose timings are 0.
    pub fn started(&self) -> String {
        if self.start_ms > 0.0 {
            format!(", started in {:.1} s", self.start_ms / 1000.0)
        } else {
            String::new()
        }
    }
}

/// A result with the scenario's words and no evidence yet.
pub fn base_result(s: &Scenario) -> ScenarioResult {
    ScenarioResult::named(&s.id, &s.title, &s.requirement, s.level)
}

impl ScenarioResult {
    /// A PASS with these words and no evidence, for a result to be filled in.
    pub fn named(id: &str, title: &str, requirement: &str, level: Level) -> ScenarioResult {
        ScenarioResult {
            id: id.to_string(),
            title: title.to_string(),
            requirement: requirement.to_string(),
            level,
            verdict: Verdict::Pass,
            reason: String::new(),
            checks: vec![],
            exchanges: vec![],
            duration_ms: 0.0,
            bucket: String::new(),
            missing_bucket: String::new(),
            key_prefix: String::new(),
            snapshot: None,
            browser: String::new(),
            pages: vec![],
            notes: vec![],
            propagation_ms: vec![],
        }
    }
}
