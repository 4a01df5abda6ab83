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
    /// The failed and hazardous checks grouped by cause, most severe first.
    #[serde(default)]
    pub findings: Vec<crate::model::finding::Finding>,
    /// How long rules changes took to take effect, where the run waited for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation: Option<Propagation>,
}

/// The waits for rules changes to take effect, over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Propagation {
    /// Waits in all: each scenario counts the changes it met, a shared bucket's rules once in
    /// each scenario that reads them.
    pub waits: usize,
    /// The median wait, in milliseconds.
    pub median_ms: f64,
    /// The longest wait, in milliseconds.
    pub max_ms: f64,
}

impl Propagation {
    /// The summary of every wait in `results`; None when the run waited for none.
    pub fn of(results: &[ScenarioResult]) -> Option<Propagation> {
        let mut waits: Vec<f64> = results
            .iter()
            .flat_map(|r| r.propagation_ms.iter().copied())
            .collect();
        if waits.is_empty() {
            return None;
        }
        waits.sort_by(f64::total_cmp);
        let mid = waits.len() / 2;
        let median_ms = if waits.len().is_multiple_of(2) {
            (waits[mid - 1] + waits[mid]) / 2.0
        } else {
            waits[mid]
        };
        Some(Propagation {
            waits: waits.len(),
            median_ms,
            max_ms: waits[waits.len() - 1],
        })
    }
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
            summary,
            snapshots,
            browsers: vec![],
            findings: vec![],
            propagation: Propagation::of(&results),
            results,
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

/// Header values that change on every run whatever the store does.
const VOLATILE_HEADERS: [&str; 10] = [
    "date",
    "last-modified",
    "x-amz-date",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-oss-date",
    "x-oss-request-id",
    "x-request-id",
    "x-trans-id",
    "x-openstack-request-id",
];

/// Fields that time something: zero in a normalised record.
const TIMINGS: [&str; 8] = [
    "duration_ms",
    "page_ms",
    "step_ms",
    "wait_ms",
    "start_ms",
    "propagation_ms",
    "median_ms",
    "max_ms",
];

impl RunRecord {
    /// The record with what changes on every rerun taken out (timings, dates, request ids,
    /// loopback ports other than the store's), so two runs of the same store diff only where
    /// the store answered differently. The reference report's records are kept this way.
    pub fn normalized(&self) -> RunRecord {
        let store_port = self
            .target
            .endpoint_host
            .rsplit_once(':')
            .map(|(_, p)| p.to_string())
            .unwrap_or_default();
        let mut value = serde_json::to_value(self).expect("a record serialises");
        normalize_value(&mut value, &store_port);
        serde_json::from_value(value).expect("a normalised record is still a record")
    }
}

fn normalize_value(v: &mut serde_json::Value, store_port: &str) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if TIMINGS.contains(&k.as_str()) && field.is_number() {
                    *field = Value::from(0.0);
                } else if TIMINGS.contains(&k.as_str())
                    && let Value::Array(waits) = field
                {
                    waits.iter_mut().for_each(|w| *w = Value::from(0.0));
                } else {
                    normalize_value(field, store_port);
                }
            }
        }
        Value::Array(items) => {
            // A header line is a two-string array: its value goes by its name.
            if let [Value::String(name), Value::String(value)] = items.as_mut_slice()
                && VOLATILE_HEADERS.contains(&name.to_ascii_lowercase().as_str())
            {
                *value = "[volatile]".to_string();
                return;
            }
            for item in items {
                normalize_value(item, store_port);
            }
        }
        Value::String(text) => *text = normalize_text(text, store_port),
        _ => {}
    }
}

/// Replaces loopback ports other than the store's, signing dates in URLs, and the request ids
/// of XML error bodies.
fn normalize_text(text: &str, store_port: &str) -> String {
    let mut out = text.to_string();
    for host in ["127.0.0.1:", "127.0.0.2:", "localhost:"] {
        let mut done = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(host) {
            let after = &rest[at + host.len()..];
            let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
            done.push_str(&rest[..at + host.len()]);
            let port = &after[..digits];
            done.push_str(if digits > 0 && port != store_port {
                "[port]"
            } else {
                port
            });
            rest = &after[digits..];
        }
        done.push_str(rest);
        out = done;
    }
    for (open, close) in [
        ("X-Amz-Date=", None),
        ("x-oss-date=", None),
        ("<RequestId>", Some("</RequestId>")),
        ("<HostId>", Some("</HostId>")),
    ] {
        let mut done = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(open) {
            let after = &rest[at + open.len()..];
            let end = match close {
                Some(c) => after.find(c).unwrap_or(0),
                None => after
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(after.len()),
            };
            done.push_str(&rest[..at + open.len()]);
            done.push_str(if end > 0 { "[volatile]" } else { "" });
            rest = &after[end..];
        }
        done.push_str(rest);
        out = done;
    }
    out
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

    #[test]
    fn propagation_is_the_median_and_the_largest_wait_and_normalises_to_zero() {
        let mut rec = record(&[Verdict::Pass, Verdict::Pass, Verdict::Pass]);
        assert_eq!(rec.propagation, None, "no wait, no summary");
        for (r, waits) in rec
            .results
            .iter_mut()
            .zip([vec![4.0, 1.0], vec![], vec![2.0, 3.0]])
        {
            r.propagation_ms = waits;
        }
        let p = Propagation::of(&rec.results).unwrap();
        assert_eq!((p.waits, p.median_ms, p.max_ms), (4, 2.5, 4.0));
        rec.results[1].propagation_ms = vec![9.0];
        assert_eq!(Propagation::of(&rec.results).unwrap().median_ms, 3.0);
        rec.propagation = Propagation::of(&rec.results);
        let n = rec.normalized();
        assert_eq!(n.results[0].propagation_ms, vec![0.0, 0.0]);
        let p = n.propagation.unwrap();
        assert_eq!((p.median_ms, p.max_ms), (0.0, 0.0));
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

    #[test]
    fn a_normalised_record_keeps_what_the_store_said_and_drops_what_every_run_changes() {
        let mut r = record(&[Verdict::Pass]);
        r.target.endpoint_host = "127.0.0.1:7480".into();
        r.duration_ms = 1234.5;
        r.results[0].reason = "GET http://127.0.0.1:7480/b/k?X-Amz-Date=20261201T101010Z&a=1 from http://127.0.0.1:43127 and http://localhost:9".into();
        r.results[0].exchanges.push(crate::model::exchange::Exchange {
            phase: crate::model::exchange::Phase::Step,
            label: "get".into(),
            request: crate::model::exchange::RecordedRequest {
                method: "GET".into(),
                url: "http://127.0.0.1:7480/b/k".into(),
                headers: vec![("x-amz-date".into(), "20261201T101010Z".into())],
                body_bytes: 0,
            },
            response: Some(crate::model::exchange::RecordedResponse::new(
                403,
                &[("date", "Tue, 01 Dec 2026 10:10:10 GMT"), ("access-control-allow-origin", "http://127.0.0.1:43127")],
                "<Error><Code>AccessDenied</Code><RequestId>tx0001</RequestId><HostId>abc</HostId></Error>",
            )),
            error: None,
            duration_ms: 3.2,
        });
        let n = r.normalized();
        assert_eq!(n.duration_ms, 0.0);
        assert_eq!(
            n.results[0].reason,
            "GET http://127.0.0.1:7480/b/k?X-Amz-Date=[volatile]&a=1 from http://127.0.0.1:[port] and http://localhost:[port]"
        );
        let ex = &n.results[0].exchanges[0];
        assert_eq!(ex.duration_ms, 0.0);
        assert_eq!(ex.request.headers[0].1, "[volatile]");
        let resp = ex.response.as_ref().unwrap();
        assert_eq!(resp.headers[0].1, "[volatile]");
        assert_eq!(
            resp.headers[1].1, "http://127.0.0.1:[port]",
            "what the store said stays, ports aside"
        );
        assert_eq!(
            resp.body,
            "<Error><Code>AccessDenied</Code><RequestId>[volatile]</RequestId><HostId>[volatile]</HostId></Error>"
        );
        assert_eq!(n.results[0].verdict, Verdict::Pass);
    }
}
