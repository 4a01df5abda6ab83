//! Verdicts: the one-word outcome of a scenario on a target, with a one-sentence reason.

use crate::check::CheckResult;

use crate::vocabulary::Level;
use serde::{Deserialize, Serialize};

/// The outcome of one scenario on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// Every check held.
    #[serde(rename = "PASS")]
    Pass,
    /// Every `must` check held, a `should` check failed: a hazard, not a breakage.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// Conformant, but it differs from the dialect's reference vendor.
    #[serde(rename = "INFO")]
    Info,
    /// A `must` check failed: browsers break.
    #[serde(rename = "FAIL")]
    Fail,
    /// The suite could not judge: connection refused, timeout, setup failed.
    #[serde(rename = "ERROR")]
    Error,
    /// Not run: the scenario does not apply to the target.
    #[serde(rename = "SKIP")]
    Skip,
    /// Failed as the target's expectations file says it does.
    #[serde(rename = "XFAIL")]
    Xfail,
    /// Listed as a known failure but did better: the list is stale.
    #[serde(rename = "XPASS")]
    Xpass,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 8] = [
        Verdict::Pass,
        Verdict::NonStrict,
        Verdict::Info,
        Verdict::Fail,
        Verdict::Error,
        Verdict::Skip,
        Verdict::Xfail,
        Verdict::Xpass,
    ];

    /// The name used everywhere, e.g. `NON-STRICT`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Info => "INFO",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
            Verdict::Skip => "SKIP",
            Verdict::Xfail => "XFAIL",
            Verdict::Xpass => "XPASS",
        }
    }

    /// Parses a verdict name as written in files.
    pub fn parse(name: &str) -> Option<Verdict> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }

    /// True for verdicts that fail the release gate.
    pub fn fails_gate(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Error | Verdict::Xpass)
    }

    /// The one ordering of outcomes, best first, that every comparison of runs uses: nothing
    /// failed, a reference check failed, a should check failed, a must check failed, could not
    /// judge. A known failure (XFAIL) stands where FAIL does, since it still fails; a stale
    /// entry (XPASS) stands with PASS, since it did better; SKIP judged nothing and has no place.
    pub fn rank(self) -> Option<u8> {
        match self {
            Verdict::Pass | Verdict::Xpass => Some(0),
            Verdict::Info => Some(1),
            Verdict::NonStrict => Some(2),
            Verdict::Fail | Verdict::Xfail => Some(3),
            Verdict::Error => Some(4),
            Verdict::Skip => None,
        }
    }

    /// True when both are ranked and this one stands below `other` in [`Verdict::rank`].
    pub fn worse_than(self, other: Verdict) -> bool {
        matches!((self.rank(), other.rank()), (Some(a), Some(b)) if a > b)
    }

    /// The closing-line bucket: passed, failed or skipped.
    pub fn tally(self) -> Tally {
        match self {
            Verdict::Pass | Verdict::NonStrict | Verdict::Info | Verdict::Xfail => Tally::Passed,
            Verdict::Fail | Verdict::Error | Verdict::Xpass => Tally::Failed,
            Verdict::Skip => Tally::Skipped,
        }
    }
}

/// The three counts of the closing line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// Counted as passed.
    Passed,
    /// Counted as failed.
    Failed,
    /// Counted as skipped.
    Skipped,
}

/// Judges a scenario from its check results.
pub fn judge(checks: &[CheckResult], reference_vendor: &str) -> (Verdict, String) {
    let failed = |level: Level| -> Vec<&CheckResult> {
        checks
            .iter()
            .filter(|c| !c.ok && c.level == level)
            .collect()
    };
    let more = |n: usize| {
        if n > 1 {
            format!(" (and {} more)", n - 1)
        } else {
            String::new()
        }
    };
    let must = failed(Level::Must);
    if let Some(first) = must.first() {
        return (
            Verdict::Fail,
            format!("{}{}", first.summary(), more(must.len())),
        );
    }
    let should = failed(Level::Should);
    if let Some(first) = should.first() {
        return (
            Verdict::NonStrict,
            format!("{}{}", first.summary(), more(should.len())),
        );
    }
    let reference = failed(Level::Reference);
    if let Some(first) = reference.first() {
        return (
            Verdict::Info,
            format!(
                "differs from {reference_vendor}: {}{}",
                first.summary(),
                more(reference.len())
            ),
        );
    }
    (Verdict::Pass, format!("all {} checks hold", checks.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(level: Level, ok: bool) -> CheckResult {
        CheckResult {
            step: "preflight".into(),
            check: "status".into(),
            level,
            expected: "200".into(),
            actual: if ok { "200" } else { "403" }.into(),
            ok,
            source: String::new(),
        }
    }

    #[test]
    fn the_most_severe_failed_level_decides() {
        assert_eq!(
            judge(&[c(Level::Must, true), c(Level::Reference, true)], "AWS S3").0,
            Verdict::Pass
        );
        assert_eq!(
            judge(
                &[c(Level::Must, true), c(Level::Reference, false)],
                "AWS S3"
            )
            .0,
            Verdict::Info
        );
        assert_eq!(
            judge(
                &[c(Level::Should, false), c(Level::Reference, false)],
                "AWS S3"
            )
            .0,
            Verdict::NonStrict
        );
        let (v, reason) = judge(
            &[
                c(Level::Should, false),
                c(Level::Must, false),
                c(Level::Must, false),
            ],
            "AWS S3",
        );
        assert_eq!(v, Verdict::Fail);
        assert_eq!(
            reason,
            "preflight: status: expected 200, got 403 (and 1 more)"
        );
    }

    #[test]
    fn reference_deviations_name_the_vendor() {
        let (_, reason) = judge(&[c(Level::Reference, false)], "AWS S3");
        assert!(reason.starts_with("differs from AWS S3: "), "{reason}");
    }

    #[test]
    fn one_ordering_ranks_every_judged_verdict() {
        use Verdict::*;
        let order = [Pass, Info, NonStrict, Fail, Error];
        for (i, a) in order.iter().enumerate() {
            for b in &order[i + 1..] {
                assert!(b.worse_than(*a) && !a.worse_than(*b), "{a:?} < {b:?}");
            }
        }
        assert_eq!(Xfail.rank(), Fail.rank(), "a known failure still fails");
        assert_eq!(Xpass.rank(), Pass.rank());
        assert!(
            !Skip.worse_than(Pass) && !Fail.worse_than(Skip),
            "SKIP judged nothing"
        );
    }

    #[test]
    fn gate_and_tally() {
        assert!(
            Verdict::Xpass.fails_gate()
                && Verdict::Error.fails_gate()
                && Verdict::Fail.fails_gate()
        );
        assert!(!Verdict::NonStrict.fails_gate() && !Verdict::Xfail.fails_gate());
        assert_eq!(Verdict::parse("non-strict"), Some(Verdict::NonStrict));
        assert_eq!(Verdict::Skip.tally(), Tally::Skipped);
    }
}
