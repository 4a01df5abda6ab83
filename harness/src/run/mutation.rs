//! Mutation testing of the suite: run it through the fault proxy once clean and once per fault;
//! a fault is caught when some scenario's verdict gets worse.

use crate::model::expectations::Expectations;
use crate::model::result::ScenarioResult;
use crate::model::scenario::Scenario;
use crate::model::verdict::Verdict;
use crate::model::vocabulary::BrowserKind;
use crate::proxy::faults::{Fault, FaultProxy};
use crate::run::engine::{self, Cancel, RunOptions};
use crate::store::client::Client;
use crate::store::target::Target;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// True when a fault made this scenario's verdict worse along [`Verdict::rank`]. Unlike the
/// gate, a move from PASS to INFO counts: a fault the reference checks alone notice is caught.
/// A scenario the clean run skipped stands as passed, so a fault that makes it judge and fail
/// is caught too.
fn caught(before: Verdict, after: Verdict) -> bool {
    let before = if before == Verdict::Skip {
        Verdict::Pass
    } else {
        before
    };
    after.worse_than(before)
}

/// A scenario whose verdict got worse under a fault.
#[derive(Debug, Clone, Serialize)]
pub struct Catch {
    /// Scenario id, with the browser in brackets for a browser result.
    pub id: String,
    /// The browser that ran it; empty for a raw probe.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub browser: String,
    /// Verdict in the clean run.
    pub before: Verdict,
    /// Verdict with the fault.
    pub after: Verdict,
    /// The reason given with the fault.
    pub reason: String,
}

/// What one fault did to the suite.
#[derive(Debug, Clone, Serialize)]
pub struct FaultOutcome {
    /// The fault's name.
    pub fault: String,
    /// Scenarios whose verdict got worse; empty means the fault went uncaught.
    pub caught_by: Vec<Catch>,
    /// Every result of the run with the fault, in the baseline's order.
    #[serde(skip)]
    pub results: Vec<ScenarioResult>,
}

/// Scenarios whose verdict is worse in `after` than in `before`.
pub fn compare(before: &[ScenarioResult], after: &[ScenarioResult]) -> Vec<Catch> {
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| caught(b.verdict, a.verdict))
        .map(|(b, a)| Catch {
            id: a.label(),
            browser: a.browser.clone(),
            before: b.verdict,
            after: a.verdict,
            reason: a.reason.clone(),
        })
        .collect()
}

/// Runs the clean baseline and every fault in `faults` through one proxy in front of `target`.
///
/// Raw probes run `jobs` at a time; browser scenarios run in each of `browsers`, with the pages
/// from `pages`. Results line up by position across runs.
pub async fn run(
    target: &Target,
    scenarios: &[Scenario],
    faults: &[Fault],
    jobs: usize,
    timeout: Duration,
    (browsers, pages): (&[BrowserKind], &Path),
    cancel: &Cancel,
) -> Result<(Vec<ScenarioResult>, Vec<FaultOutcome>), String> {
    let proxy = FaultProxy::start(target.endpoint.clone()).await?;
    let mut proxied = target.clone();
    proxied.endpoint = proxy.url();
    let client = Client::new(&proxied, timeout)?;
    let none = Expectations::default();
    let (in_browser, probes): (Vec<Scenario>, Vec<Scenario>) =
        scenarios.iter().cloned().partition(Scenario::is_browser);
    // One session per browser serves every fault: each run has its own buckets, so its URLs
    // (and the browser's cache entries) are its own.
    let mut stages = Vec::new();
    if !in_browser.is_empty() {
        for &kind in browsers {
            stages.push(crate::browser::stage::Stage::start(kind, &client, pages).await?);
        }
    }
    let run_with = async |fault: Fault| {
        proxy.set_fault(fault);
        let opts = RunOptions::new(jobs);
        let mut results = engine::run_all(&client, &probes, &none, &opts, cancel, |_, _| {}).await;
        for stage in &stages {
            results.extend(
                engine::run_in_stage(&client, &in_browser, &none, &opts, cancel, stage, |_, _| {})
                    .await,
            );
        }
        results
    };
    let baseline = run_with(Fault::None).await;
    if let Some(e) = baseline.iter().find(|r| r.verdict == Verdict::Error) {
        for stage in stages {
            stage.close().await;
        }
        return Err(format!(
            "the clean run through the proxy has an ERROR ({}: {}); faults cannot be judged",
            e.id, e.reason
        ));
    }
    let mut outcomes = Vec::new();
    for &fault in faults {
        if cancel.is_cancelled() {
            break;
        }
        let results = run_with(fault).await;
        outcomes.push(FaultOutcome {
            fault: fault.name().to_string(),
            caught_by: compare(&baseline, &results),
            results,
        });
    }
    for stage in stages {
        stage.close().await;
    }
    Ok((baseline, outcomes))
}

/// The mutation table as text: one line per fault, the closing line last.
pub fn render(outcomes: &[FaultOutcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let ids: Vec<String> = o
            .caught_by
            .iter()
            .map(|c| format!("{} ({}→{})", c.id, c.before.name(), c.after.name()))
            .collect();
        let shown = if ids.len() > 4 {
            format!("{}, … {} more", ids[..4].join(", "), ids.len() - 4)
        } else {
            ids.join(", ")
        };
        out.push_str(&format!(
            "{:<28} {:>3} {}\n",
            o.fault,
            o.caught_by.len(),
            if ids.is_empty() {
                "UNCAUGHT".to_string()
            } else {
                shown
            }
        ));
    }
    out.push_str(&by_browser(outcomes));
    let caught = outcomes.iter().filter(|o| !o.caught_by.is_empty()).count();
    out.push_str(&format!(
        "faults: {caught} caught, {} uncaught of {}\n",
        outcomes.len() - caught,
        outcomes.len()
    ));
    out
}

/// How many scenarios catch each fault in each browser, side by side, so engines compare at a
/// glance; empty when no browser ran.
fn by_browser(outcomes: &[FaultOutcome]) -> String {
    // Every browser that ran gets its column, also one that caught nothing.
    let mut browsers: Vec<&str> = Vec::new();
    let ran = outcomes.iter().flat_map(|o| {
        let results = o.results.iter().map(|r| r.browser.as_str());
        results.chain(o.caught_by.iter().map(|c| c.browser.as_str()))
    });
    for b in ran {
        if !b.is_empty() && !browsers.contains(&b) {
            browsers.push(b);
        }
    }
    if browsers.is_empty() {
        return String::new();
    }
    browsers.sort_by_key(|b| {
        BrowserKind::parse(b).map_or(usize::MAX, |k| {
            BrowserKind::EVERY.iter().position(|e| *e == k).unwrap_or(0)
        })
    });
    let width = browsers.iter().map(|b| b.len()).max().unwrap_or(0).max(3);
    let mut out = format!("{:<28}", "caught in each browser");
    for b in &browsers {
        out.push_str(&format!(" {b:>width$}"));
    }
    out.push('\n');
    for o in outcomes {
        out.push_str(&format!("{:<28}", o.fault));
        for b in &browsers {
            let n = o.caught_by.iter().filter(|c| c.browser == *b).count();
            out.push_str(&format!(" {n:>width$}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catch(id: &str, browser: &str) -> Catch {
        Catch {
            id: id.into(),
            browser: browser.into(),
            before: Verdict::Pass,
            after: Verdict::Fail,
            reason: String::new(),
        }
    }

    #[test]
    fn browsers_stand_side_by_side_in_report_order() {
        let outcomes = vec![
            FaultOutcome {
                fault: "acao-dropped".into(),
                caught_by: vec![
                    catch("a", "webkit"),
                    catch("a", "chromium"),
                    catch("b", "chromium"),
                ],
                results: vec![],
            },
            FaultOutcome {
                fault: "vary-dropped".into(),
                caught_by: vec![catch("a", "firefox")],
                results: vec![],
            },
        ];
        let table = by_browser(&outcomes);
        let lines: Vec<Vec<&str>> = table
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[0][4..], ["chromium", "firefox", "webkit"]);
        assert_eq!(lines[1], ["acao-dropped", "2", "0", "1"]);
        assert_eq!(lines[2], ["vary-dropped", "0", "1", "0"]);
        let probes = vec![FaultOutcome {
            fault: "x".into(),
            caught_by: vec![catch("p", "")],
            results: vec![],
        }];
        assert_eq!(
            by_browser(&probes),
            "",
            "probe catches make no browser table"
        );
    }

    #[test]
    fn a_fault_is_caught_by_any_move_down_the_one_ordering() {
        use Verdict::*;
        assert!(caught(Pass, Info), "reference checks catch faults too");
        assert!(caught(NonStrict, Fail));
        assert!(caught(Skip, Fail), "a skipped scenario stands as passed");
        assert!(
            !caught(Pass, Skip),
            "a scenario the fault stops from running judged nothing"
        );
        assert!(!caught(Fail, NonStrict));
        assert!(!caught(Info, Info));
    }
}
