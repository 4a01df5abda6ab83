//! One cause behind many verdicts: a store that answers preflights the same way whether their
//! rules allow them or not has not consulted the rules (Garage's fallback for buckets it cannot
//! resolve, moto's object ACL gate). The run says so once, at the top of the store's results,
//! and each verdict it explains points there, instead of dozens of unrelated-looking FAILs.

use crate::check::exchange::FETCH_CHECK;
use crate::exchange::Phase;
use crate::result::ScenarioResult;
use crate::verdict::Verdict;
use crate::vocabulary::Level;
use std::collections::BTreeMap;

/// The id of the notice, as reports and expectations files name it.
pub const SAME_PREFLIGHT_ANSWER: &str = "store/same-preflight-answer";

/// A group must hold at least this many preflights the rules allow, and this many they refuse,
/// before their sameness says the rules were not read: fewer is chance.
const AT_LEAST: (usize, usize) = (5, 3);

/// And it must hold at least two thirds of all preflights: a store with a few rule bugs gives
/// their refusals one bare 403 too, but answers the rest by its rules.
const SHARE: (usize, usize) = (2, 3);

/// One preflight of a scenario: its answer and whether its rules let it through.
struct Asked {
    result: usize,
    answer: String,
    allowed: bool,
    origin: String,
}

fn preflights(results: &[ScenarioResult]) -> Vec<Asked> {
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for ex in r
            .exchanges
            .iter()
            .filter(|e| e.phase == Phase::Step && e.is_preflight())
        {
            // What the scenario expects of this step's browser decision says what its rules allow.
            let expected = r.checks.iter().find(|c| {
                c.step == ex.label && c.check.starts_with(FETCH_CHECK) && c.level == Level::Must
            });
            let (Some(answer), Some(expected)) = (ex.cors_answer(), expected) else {
                continue;
            };
            let origin = ex.request.header("origin").unwrap_or_default().to_string();
            out.push(Asked {
                result: i,
                answer,
                allowed: expected.expected == "allowed",
                origin,
            });
        }
    }
    out
}

/// The notice for a store that gave one answer to preflights its rules allow and refuse alike,
/// with the indexes of the results it explains (those not PASS); None for a store whose answers
/// follow its rules.
pub fn same_preflight_answer(results: &[ScenarioResult]) -> Option<(ScenarioResult, Vec<usize>)> {
    let asked = preflights(results);
    let mut groups: BTreeMap<&str, Vec<&Asked>> = BTreeMap::new();
    for a in &asked {
        groups.entry(a.answer.as_str()).or_default().push(a);
    }
    let (answer, group) = groups.into_iter().max_by_key(|(_, g)| g.len())?;
    let allowed = group.iter().filter(|a| a.allowed).count();
    let refused = group.len() - allowed;
    if allowed < AT_LEAST.0 || refused < AT_LEAST.1 || group.len() * SHARE.1 < asked.len() * SHARE.0
    {
        return None;
    }
    let mut origins: Vec<&str> = group.iter().map(|a| a.origin.as_str()).collect();
    origins.sort();
    origins.dedup();
    let mut explained: Vec<usize> = group
        .iter()
        .map(|a| a.result)
        .filter(|&i| results[i].verdict != Verdict::Pass)
        .collect();
    explained.dedup();
    let mut notice = ScenarioResult::named(
        SAME_PREFLIGHT_ANSWER,
        "The store's preflight answers follow its rules",
        "A preflight's answer depends on the bucket's rules and the Origin; one answer to preflights the rules allow and refuse alike means the rules were not consulted",
        Level::Reference,
    );
    notice.verdict = Verdict::Info;
    notice.reason = format!(
        "{} of {} preflights got the same answer ({answer}) from {} origin(s): {allowed} that their rules allow and {refused} that they refuse. The rules were not consulted, so the {} verdict(s) marked `same answer` share this one cause",
        group.len(),
        asked.len(),
        origins.len(),
        explained.len()
    );
    Some((notice, explained))
}

/// The words added to a verdict the notice explains.
pub fn marked(reason: &str) -> String {
    format!("{reason}{}", mark())
}

/// What [`marked`] adds to a reason.
fn mark() -> String {
    format!(" (same answer as the store's other preflights: see {SAME_PREFLIGHT_ANSWER})")
}

/// True for a verdict's reason that points to the same-answer notice.
pub fn is_marked(reason: &str) -> bool {
    reason.ends_with(&mark())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckResult;
    use crate::exchange::{Exchange, RecordedRequest, RecordedResponse};

    fn scenario(n: usize, allowed: bool, answer: &[(&str, &str)], status: u16) -> ScenarioResult {
        let mut r = ScenarioResult::named(&format!("g/s{n}"), "t", "r", Level::Must);
        r.exchanges.push(Exchange {
            phase: Phase::Step,
            label: "preflight".into(),
            request: RecordedRequest {
                method: "OPTIONS".into(),
                url: "http://s/b/k".into(),
                headers: vec![
                    ("origin".into(), format!("http://o{}.example", n % 4)),
                    ("access-control-request-method".into(), "GET".into()),
                ],
                body_bytes: 0,
            },
            response: Some(RecordedResponse::new(status, answer, "")),
            error: None,
            duration_ms: 1.0,
        });
        let outcome = if allowed { "allowed" } else { "blocked" };
        r.checks.push(CheckResult {
            step: "preflight".into(),
            check: FETCH_CHECK.into(),
            level: Level::Must,
            expected: outcome.into(),
            actual: String::new(),
            ok: true,
            source: String::new(),
        });
        r
    }

    const STAR: &[(&str, &str)] = &[
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", "*"),
    ];

    #[test]
    fn one_answer_to_allowed_and_refused_preflights_is_noticed_once() {
        let mut results: Vec<ScenarioResult> =
            (0..8).map(|n| scenario(n, n < 5, STAR, 200)).collect();
        for r in results.iter_mut().skip(5) {
            r.verdict = Verdict::Fail;
        }
        let (notice, explained) = same_preflight_answer(&results).expect("a notice");
        assert_eq!(notice.verdict, Verdict::Info);
        assert!(
            notice.reason.starts_with("8 of 8 preflights"),
            "{}",
            notice.reason
        );
        assert!(
            notice
                .reason
                .contains("5 that their rules allow and 3 that they refuse")
        );
        assert_eq!(
            explained,
            vec![5, 6, 7],
            "only the verdicts it explains are marked"
        );
    }

    #[test]
    fn answers_that_follow_the_rules_are_not_noticed() {
        // The usual store: the allowed get CORS headers, the refused a bare 403.
        let results: Vec<ScenarioResult> = (0..10)
            .map(|n| {
                if n < 6 {
                    scenario(
                        n,
                        true,
                        &[("access-control-allow-origin", "http://o.example")],
                        200,
                    )
                } else {
                    scenario(n, false, &[], 403)
                }
            })
            .collect();
        assert!(same_preflight_answer(&results).is_none());
        // Refusals alike are no sign: every store refuses alike.
        let refusals: Vec<ScenarioResult> = (0..10).map(|n| scenario(n, n < 2, &[], 403)).collect();
        assert!(same_preflight_answer(&refusals).is_none());
        // Nor are a few rule bugs refused alike among answers that follow the rules.
        let mut buggy: Vec<ScenarioResult> = (0..8).map(|n| scenario(n, n < 5, &[], 403)).collect();
        buggy.extend((8..24).map(|n| {
            scenario(
                n,
                true,
                &[("access-control-allow-origin", "http://o.example")],
                200,
            )
        }));
        assert!(same_preflight_answer(&buggy).is_none());
    }
}
