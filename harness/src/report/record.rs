//! The run record: everything one run of the suite against one target observed and judged.

use crate::model::result::ScenarioResult;
use crate::model::result::SnapshotStatus;
use crate::model::verdict::Verdict;
use crate::model::vocabulary::{Addressing, Dialect};
use crate::store::target::Target;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema identifier written into every record.
pub const SCHEMA: &str = "corsprobe.run/1";

/// Tool name and version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    /// Always `corsprobe`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// The target as reports show it: no credentials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    /// Name from the targets file.
    pub name: String,
    /// Vendor and version as configured.
    pub vendor: String,
    /// Dialect.
    pub dialect: Dialect,
    /// `host:port` of the endpoint.
    pub endpoint_host: String,
    /// Signing region.
    pub region: String,
    /// Path or virtual-host addressing.
    pub addressing: Addressing,
    /// Whose behaviour `reference` checks compare against.
    pub reference_vendor: String,
}

impl From<&Target> for TargetInfo {
    fn from(t: &Target) -> Self {
        Self {
            name: t.name.clone(),
            vendor: t.vendor.clone(),
            dialect: t.dialect,
            endpoint_host: t.endpoint_host(),
            region: t.region.clone(),
            addressing: t.addressing,
            reference_vendor: t.dialect.reference_vendor().to_string(),
        }
    }
}

/// Counts of snapshot comparisons.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SnapshotSummary {
    /// Observations equal to the stored snapshot.
    pub matched: usize,
    /// Observations that drifted.
    pub changed: usize,
    /// Observations with no stored snapshot.
    pub new: usize,
}

/// One run of the suite against one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// `probe` (raw HTTP), `browser` (real browsers) or `all`.
    pub mode: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: f64,
    /// Scenarios in flight at once.
    pub jobs: usize,
    /// The unique part of this run's bucket names.
    pub run_id: String,
    /// The target.
    pub target: TargetInfo,
    /// One result per scenario, in id order.
    pub results: Vec<ScenarioResult>,
    /// Count per verdict name (every verdict listed, zeros included).
    pub summary: BTreeMap<String, usize>,
    /// Snapshot drift, reported apart from verdicts.
    pub snapshots: SnapshotSummary,
    /// The browsers of the browser scenarios, with their versions and start times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<crate::model::result::BrowserInfo>,
}

impl RunRecord {
    /// Builds the record and its summaries from the results.
    pub fn new(
        target: &Target,
        started_at: String,
        duration_ms: f64,
        jobs: usize,
        run_id: String,
        results: Vec<ScenarioResult>,
    ) -> Self {
        let summary = count(&results);
        let mut snapshots = SnapshotSummary::default();
        for r in &results {
            match r.snapshot.as_ref().map(|s| s.status) {
                Some(SnapshotStatus::Match) => snapshots.matched += 1,
                Some(SnapshotStatus::Changed) => snapshots.changed += 1,
                Some(SnapshotStatus::New) => snapshots.new += 1,
                None => {}
            }
        }
        Self {
            schema: SCHEMA.to_string(),
            tool: Tool {
                name: "corsprobe".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            mode: "probe".to_string(),
            started_at,
            duration_ms,
            jobs,
            run_id,
            target: TargetInfo::from(target),
            results,
            summary,
            snapshots,
            browsers: vec![],
        }
    }

    /// The sum of all exchange durations: the store's own share of the run.
    pub fn store_time_ms(&self) -> f64 {
        self.results
            .iter()
            .flat_map(|r| &r.exchanges)
            .map(|e| e.duration_ms)
            .sum()
    }
}

/// Count per verdict name, every verdict present.
pub fn count(results: &[ScenarioResult]) -> BTreeMap<String, usize> {
    let mut summary: BTreeMap<String, usize> = Verdict::ALL
        .iter()
        .map(|v| (v.name().to_string(), 0))
        .collect();
    for r in results {
        *summary.entry(r.verdict.name().to_string()).or_default() += 1;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vocabulary::Level;
    use crate::store::target::{Credentials, Target};

    fn result(verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            verdict,
            reason: "why".into(),
            ..ScenarioResult::named(&format!("g/{}", verdict.name()), "t", "r", Level::Must)
        }
    }

    fn record(verdicts: &[Verdict]) -> RunRecord {
        let target = Target::new(
            "t",
            Dialect::S3,
            reqwest::Url::parse("http://127.0.0.1:1").unwrap(),
            "us-east-1",
            Credentials {
                access_key: "a".into(),
                secret_key: "s".into(),
                session_token: None,
            },
        );
        RunRecord::new(
            &target,
            "now".into(),
            0.0,
            1,
            "r".into(),
            verdicts.iter().map(|v| result(*v)).collect(),
        )
    }

    #[test]
    fn summary_lists_every_verdict() {
        let r = record(&[Verdict::Pass, Verdict::Pass, Verdict::Fail]);
        assert_eq!(r.summary.len(), Verdict::ALL.len());
        assert_eq!(r.summary["PASS"], 2);
        assert_eq!(r.summary["XPASS"], 0);
    }
}
