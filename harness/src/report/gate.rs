//! The release gate: turns a run record (and optionally a baseline) into the exit code.

use crate::model::verdict::Verdict;
use crate::report::record::RunRecord;

/// How strict the gate is.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// NON-STRICT fails the gate too.
    pub strict: bool,
    /// Fail on any scenario whose verdict got worse than in this earlier run.
    pub baseline: Option<RunRecord>,
    /// Snapshot drift was accepted (`--accept-snapshots`), so it does not fail the gate.
    pub snapshots_accepted: bool,
}

/// The gate's decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Process exit code: 0, 3 or 4.
    pub code: i32,
    /// Why the gate failed, one line each.
    pub reasons: Vec<String>,
    /// Scenarios that did better than the baseline.
    pub better: Vec<String>,
}

/// A move that the gate counts as worse (or better): one along [`Verdict::rank`] that ends (or
/// starts) at a hazard or worse. INFO never fails the gate, so a move between PASS and INFO is
/// neither: it only says the store now differs (or no longer differs) from the reference vendor.
fn regressed(now: Verdict, then: Verdict) -> bool {
    now.worse_than(then) && now.worse_than(Verdict::Info)
}
impl Gate {
    /// Decides. ERROR gives 3; FAIL, XPASS, NON-STRICT under `strict`, a regression against
    /// the baseline or unaccepted snapshot drift give 4.
    pub fn decide(&self, record: &RunRecord) -> Decision {
        let mut reasons = Vec::new();
        let count = |v: Verdict| record.results.iter().filter(|r| r.verdict == v).count();
        for (v, why) in [
            (Verdict::Fail, "FAIL"),
            (Verdict::Xpass, "XPASS (update the expectations file)"),
        ] {
            if count(v) > 0 {
                reasons.push(format!("{} scenario(s) {why}", count(v)));
            }
        }
        if self.strict && count(Verdict::NonStrict) > 0 {
            reasons.push(format!(
                "{} scenario(s) NON-STRICT under --strict",
                count(Verdict::NonStrict)
            ));
        }
        let mut better = Vec::new();
        if let Some(base) = &self.baseline {
            for r in &record.results {
                let Some(before) = base
                    .results
                    .iter()
                    .find(|b| b.id == r.id && b.browser == r.browser)
                else {
                    continue;
                };
                let change = format!(
                    "{}: {} in the baseline, now {}",
                    r.id,
                    before.verdict.name(),
                    r.verdict.name()
                );
                if regressed(r.verdict, before.verdict) {
                    reasons.push(change);
                } else if regressed(before.verdict, r.verdict) {
                    better.push(change);
                }
            }
        }
        // A first run has nothing to drift from: its snapshots are pending, not failures.
        if record.snapshots.changed > 0 && !self.snapshots_accepted {
            reasons.push(format!(
                "{} snapshot(s) differ from the accepted ones (pending files beside them): review, or accept with --accept-snapshots",
                record.snapshots.changed
            ));
        }
        let code = if count(Verdict::Error) > 0 {
            reasons.insert(0, format!("{} scenario(s) ERROR", count(Verdict::Error)));
            3
        } else if reasons.is_empty() {
            0
        } else {
            4
        };
        Decision {
            code,
            reasons,
            better,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::record::SnapshotSummary;

    fn record(verdicts: &[Verdict]) -> RunRecord {
        let text = include_str!("../../tests/golden/sample-run.json");
        let mut r: RunRecord = serde_json::from_str(text).expect("golden record parses");
        let template = r.results[0].clone();
        r.results = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut s = template.clone();
                s.id = format!("g/s{i}");
                s.verdict = *v;
                s
            })
            .collect();
        r.snapshots = SnapshotSummary::default();
        r
    }

    #[test]
    fn every_verdict_alone_gives_its_exit_code() {
        use Verdict::*;
        let gate = Gate::default();
        let strict = Gate {
            strict: true,
            ..Gate::default()
        };
        for (v, plain, under_strict) in [
            (Pass, 0, 0),
            (Info, 0, 0),
            (Skip, 0, 0),
            (Xfail, 0, 0),
            (NonStrict, 0, 4),
            (Fail, 4, 4),
            (Xpass, 4, 4),
            (Error, 3, 3),
        ] {
            assert_eq!(gate.decide(&record(&[v])).code, plain, "{v:?}");
            assert_eq!(
                strict.decide(&record(&[v])).code,
                under_strict,
                "{v:?} --strict"
            );
        }
    }

    #[test]
    fn every_pair_of_verdicts_takes_the_worst_code() {
        let gate = Gate::default();
        let single = |v: Verdict| gate.decide(&record(&[v])).code;
        for a in Verdict::ALL {
            for b in Verdict::ALL {
                let code = gate.decide(&record(&[a, b])).code;
                let (x, y) = (single(a), single(b));
                let expected = if x == 3 || y == 3 { 3 } else { x.max(y) };
                assert_eq!(code, expected, "{a:?} + {b:?}");
            }
        }
    }

    #[test]
    fn a_baseline_fails_on_regressions_and_lists_improvements() {
        let base = record(&[Verdict::Pass, Verdict::Fail, Verdict::NonStrict]);
        let gate = Gate {
            baseline: Some(base),
            ..Gate::default()
        };
        let d = gate.decide(&record(&[
            Verdict::NonStrict,
            Verdict::Pass,
            Verdict::NonStrict,
        ]));
        assert_eq!(d.code, 4);
        assert_eq!(d.reasons, ["g/s0: PASS in the baseline, now NON-STRICT"]);
        assert_eq!(d.better, ["g/s1: FAIL in the baseline, now PASS"]);
        let same = gate.decide(&record(&[
            Verdict::Pass,
            Verdict::Xfail,
            Verdict::NonStrict,
        ]));
        assert_eq!(
            same.code, 0,
            "a listed known failure is no regression: {:?}",
            same.reasons
        );
    }

    #[test]
    fn a_move_between_pass_and_info_is_neither_worse_nor_better() {
        let gate = Gate {
            baseline: Some(record(&[Verdict::Pass, Verdict::Info])),
            ..Gate::default()
        };
        let d = gate.decide(&record(&[Verdict::Info, Verdict::Pass]));
        assert_eq!(
            (d.code, d.reasons.len(), d.better.len()),
            (0, 0, 0),
            "{d:?}"
        );
        let worse = gate.decide(&record(&[Verdict::Info, Verdict::NonStrict]));
        assert_eq!(
            worse.reasons,
            ["g/s1: INFO in the baseline, now NON-STRICT"]
        );
    }

    #[test]
    fn snapshot_drift_fails_unless_accepted() {
        let mut r = record(&[Verdict::Pass]);
        r.snapshots.changed = 1;
        assert_eq!(Gate::default().decide(&r).code, 4);
        assert_eq!(
            Gate {
                snapshots_accepted: true,
                ..Gate::default()
            }
            .decide(&r)
            .code,
            0
        );
    }

    #[test]
    fn new_snapshots_are_pending_and_do_not_fail_the_gate() {
        let mut r = record(&[Verdict::Pass]);
        r.snapshots.new = 90;
        assert_eq!(Gate::default().decide(&r).code, 0);
        r.snapshots.changed = 1;
        assert_eq!(Gate::default().decide(&r).code, 4);
    }
}
