//! Per-target expectations: known failures with their reasons, turning FAIL into XFAIL.

use crate::verdict::Verdict;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    known: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    finding: Option<String>,
    #[serde(default = "default_verdict")]
    verdict: String,
    reason: String,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    browser: Option<crate::vocabulary::BrowserKind>,
}

fn default_verdict() -> String {
    "FAIL".to_string()
}

/// Separates an XFAIL's listed reason from what the run saw: `known FAIL: <listed> — seen: <why>`.
pub const SEEN: &str = " — seen: ";

/// One known failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    /// The verdict the target is known to give.
    pub verdict: Verdict,
    /// Why, in a sentence.
    pub reason: String,
    /// Bug tracker link, if any.
    pub link: Option<String>,
}

/// A target's expectations file.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// The file it came from.
    pub file: Option<PathBuf>,
    /// Known failures by scenario id, or `id@browser` for one browser only.
    pub known: BTreeMap<String, Known>,
    /// Known findings by id: every FAIL or NON-STRICT they alone cause is an XFAIL.
    pub findings: BTreeMap<String, Known>,
    /// The causes the findings are told by (empty when the file lists none).
    pub catalog: crate::finding::Catalog,
}

impl Expectations {
    /// Loads a file, checking every id against the known scenario ids (no finding entries).
    pub fn load(path: &Path, scenario_ids: &BTreeSet<String>) -> Result<Self, String> {
        Self::load_with(path, scenario_ids, &crate::finding::Catalog::default())
    }

    /// Loads a file whose entries name scenarios (`id`) or findings (`finding`: a cause of the
    /// catalog, or a `check/...` id a run reported).
    pub fn load_with(
        path: &Path,
        scenario_ids: &BTreeSet<String>,
        catalog: &crate::finding::Catalog,
    ) -> Result<Self, String> {
        let finding_ids = catalog.ids();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read expectations: {e}", path.display()))?;
        let raw: RawFile =
            toml::from_str(&text).map_err(|e| crate::located::toml_error(path, &text, &e))?;
        let mut known = BTreeMap::new();
        let mut findings = BTreeMap::new();
        for entry in raw.known {
            let line = text[..entry.span().start].matches('\n').count() + 1;
            let at = format!("{}:{line}", path.display());
            let e = entry.into_inner();
            let (id, is_finding) = match (&e.id, &e.finding) {
                (Some(id), None) => (id.clone(), false),
                (None, Some(f)) => (f.clone(), true),
                _ => {
                    return Err(format!(
                        "{at}: an entry names a scenario (`id = ...`) or a finding (`finding = ...`), one of the two"
                    ));
                }
            };
            if is_finding {
                if !finding_ids.contains(&id) && !id.starts_with(crate::finding::UNSORTED) {
                    return Err(format!(
                        "{at}: `finding = \"{id}\"` is not a cause of the findings catalog nor a `{}...` id",
                        crate::finding::UNSORTED
                    ));
                }
                if e.browser.is_some() || e.verdict != default_verdict() {
                    return Err(format!(
                        "{at}: a finding entry takes no `browser` or `verdict`: it covers the verdicts the finding causes"
                    ));
                }
                if e.reason.trim().is_empty() {
                    return Err(format!(
                        "{at}: `reason` must say why finding `{id}` is known"
                    ));
                }
                if findings.contains_key(&id) {
                    return Err(format!("{at}: finding `{id}` is listed twice"));
                }
                findings.insert(
                    id,
                    Known {
                        verdict: Verdict::Fail,
                        reason: e.reason,
                        link: e.link,
                    },
                );
                continue;
            }
            if !scenario_ids.contains(&id) {
                return Err(format!("{at}: `id = \"{id}\"` is not a scenario"));
            }
            let verdict = match Verdict::parse(&e.verdict) {
                Some(v @ (Verdict::Fail | Verdict::NonStrict | Verdict::Error)) => v,
                _ => {
                    return Err(format!(
                        "{at}: `verdict = \"{}\"`: a known failure is FAIL, NON-STRICT or ERROR",
                        e.verdict
                    ));
                }
            };
            if e.reason.trim().is_empty() {
                return Err(format!(
                    "{at}: `reason` must say why `{id}` is expected to fail"
                ));
            }
            let key = match e.browser {
                Some(b) => format!("{id}@{}", b.name()),
                None => id.clone(),
            };
            if known.contains_key(&key) {
                return Err(format!("{at}: `{key}` is listed twice"));
            }
            known.insert(
                key,
                Known {
                    verdict,
                    reason: e.reason,
                    link: e.link,
                },
            );
        }
        let catalog = if findings.is_empty() {
            crate::finding::Catalog::default()
        } else {
            catalog.clone()
        };
        Ok(Self {
            file: Some(path.to_path_buf()),
            known,
            findings,
            catalog,
        })
    }

    /// A judged result's verdict and reason with the known failures applied: its own entry,
    /// else the listed findings that alone cause it.
    pub fn judge(&self, result: &crate::result::ScenarioResult) -> (Verdict, String) {
        let (verdict, reason) =
            self.apply(&result.id, &result.browser, result.verdict, &result.reason);
        if self.findings.is_empty() || verdict != result.verdict {
            return (verdict, reason);
        }
        self.apply_findings(verdict, &reason, &self.catalog.findings_of(result))
            .unwrap_or((verdict, reason))
    }

    /// A FAIL or NON-STRICT caused only by listed findings becomes an XFAIL naming them; None
    /// when the result is not one, or a finding behind it is not listed.
    pub fn apply_findings(
        &self,
        verdict: Verdict,
        reason: &str,
        behind: &BTreeSet<String>,
    ) -> Option<(Verdict, String)> {
        if !matches!(verdict, Verdict::Fail | Verdict::NonStrict)
            || behind.is_empty()
            || !behind.iter().all(|f| self.findings.contains_key(f))
        {
            return None;
        }
        let listed: Vec<String> = behind
            .iter()
            .map(|f| format!("{f} ({})", self.findings[f].reason))
            .collect();
        Some((
            Verdict::Xfail,
            format!(
                "known {} by finding {}{SEEN}{reason}",
                verdict.name(),
                listed.join(", ")
            ),
        ))
    }

    /// The listed findings a run did not see: stale entries, if the run covered their scenarios.
    pub fn unseen_findings<'a>(&'a self, seen: &BTreeSet<String>) -> Vec<&'a str> {
        self.findings
            .keys()
            .filter(|f| !seen.contains(*f))
            .map(String::as_str)
            .collect()
    }

    /// Applies the list to a judged verdict: XFAIL when it failed as listed, XPASS when it did better.
    ///
    /// `browser` is empty for raw probes; an entry for one browser wins over one for all.
    pub fn apply(
        &self,
        id: &str,
        browser: &str,
        verdict: Verdict,
        reason: &str,
    ) -> (Verdict, String) {
        let Some(k) = self
            .known
            .get(&format!("{id}@{browser}"))
            .or_else(|| self.known.get(id))
        else {
            return (verdict, reason.to_string());
        };
        // A scenario that did not run says nothing about whether the failure is fixed.
        if verdict == Verdict::Skip {
            return (verdict, reason.to_string());
        }
        let file = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        if verdict == k.verdict {
            (
                Verdict::Xfail,
                format!("known {}: {}{SEEN}{reason}", k.verdict.name(), k.reason),
            )
        } else if k.verdict.worse_than(verdict) {
            (
                Verdict::Xpass,
                format!(
                    "listed in {file} as {} ({}) but is now {}: remove the entry",
                    k.verdict.name(),
                    k.reason,
                    verdict.name()
                ),
            )
        } else {
            (
                verdict,
                format!(
                    "{reason} (listed in {file} as {}, got worse)",
                    k.verdict.name()
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> BTreeSet<String> {
        ["a/b".to_string(), "a/c".to_string()].into()
    }

    fn file(tag: &str, text: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("corsprobe-exp-{tag}-{}.toml", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn listed_failure_becomes_xfail_and_a_fixed_one_xpass() {
        let p = file("ok", "[[known]]\nid = \"a/b\"\nreason = \"bug 1\"\n");
        let e = Expectations::load(&p, &ids()).unwrap();
        assert_eq!(e.apply("a/b", "", Verdict::Fail, "r").0, Verdict::Xfail);
        assert_eq!(e.apply("a/b", "", Verdict::Pass, "r").0, Verdict::Xpass);
        assert_eq!(
            e.apply("a/b", "", Verdict::NonStrict, "r").0,
            Verdict::Xpass
        );
        assert_eq!(e.apply("a/b", "", Verdict::Error, "r").0, Verdict::Error);
        assert_eq!(
            e.apply("a/b", "", Verdict::Skip, "r").0,
            Verdict::Skip,
            "not run is not fixed"
        );
        assert_eq!(e.apply("a/c", "", Verdict::Fail, "r").0, Verdict::Fail);
    }

    #[test]
    fn a_listed_hazard_that_became_a_reference_difference_is_stale() {
        let p = file(
            "ns",
            "[[known]]\nid = \"a/b\"\nverdict = \"NON-STRICT\"\nreason = \"no Vary\"\n",
        );
        let e = Expectations::load(&p, &ids()).unwrap();
        let (v, why) = e.apply("a/b", "", Verdict::Info, "r");
        assert_eq!(v, Verdict::Xpass, "{why}");
        assert!(why.contains("remove the entry"), "{why}");
        let (v, why) = e.apply("a/b", "", Verdict::Fail, "r");
        assert_eq!(v, Verdict::Fail);
        assert!(why.contains("got worse"), "{why}");
    }

    #[test]
    fn an_entry_for_one_browser_leaves_the_other_browser_judged_as_is() {
        let p = file(
            "browser",
            "[[known]]\nid = \"a/b\"\nverdict = \"NON-STRICT\"\nbrowser = \"chromium\"\nreason = \"reuses the image's cache entry\"\n",
        );
        let e = Expectations::load(&p, &ids()).unwrap();
        assert_eq!(
            e.apply("a/b", "chromium", Verdict::NonStrict, "r").0,
            Verdict::Xfail
        );
        assert_eq!(
            e.apply("a/b", "firefox", Verdict::Pass, "r").0,
            Verdict::Pass
        );
        assert_eq!(e.apply("a/b", "", Verdict::Pass, "r").0, Verdict::Pass);
    }

    #[test]
    fn a_listed_finding_covers_the_verdicts_it_alone_causes() {
        let p = file(
            "finding",
            "[[known]]\nfinding = \"no-vary-origin\"\nreason = \"ceph#1\"\n",
        );
        let causes = crate::finding::Catalog {
            causes: vec![crate::finding::Cause {
                id: "no-vary-origin".into(),
                title: "t".into(),
                rule: "r".into(),
                link: "https://x".into(),
                page: "p".into(),
                when: vec![crate::finding::Matcher {
                    check: Some("header vary".into()),
                    ..Default::default()
                }],
                source: String::new(),
            }],
        };
        let e = Expectations::load_with(&p, &ids(), &causes).unwrap();
        let mut r =
            crate::result::ScenarioResult::named("a/b", "t", "r", crate::vocabulary::Level::Should);
        r.verdict = Verdict::NonStrict;
        r.checks.push(crate::check::CheckResult {
            step: "get".into(),
            check: "header vary".into(),
            level: crate::vocabulary::Level::Should,
            expected: "contains `Origin`".into(),
            actual: "(absent)".into(),
            ok: false,
            source: String::new(),
        });
        assert_eq!(
            e.judge(&r).0,
            Verdict::Xfail,
            "the one cause behind it is known"
        );
        let one: BTreeSet<String> = ["no-vary-origin".to_string()].into();
        let (v, why) = e.apply_findings(Verdict::NonStrict, "r", &one).unwrap();
        assert_eq!(v, Verdict::Xfail);
        assert!(why.contains("no-vary-origin (ceph#1)"), "{why}");
        let two: BTreeSet<String> = ["no-vary-origin".to_string(), "other".to_string()].into();
        assert!(
            e.apply_findings(Verdict::Fail, "r", &two).is_none(),
            "another cause is not known"
        );
        assert!(
            e.apply_findings(Verdict::Info, "r", &one).is_none(),
            "an INFO is no failure"
        );
        assert_eq!(e.unseen_findings(&BTreeSet::new()), ["no-vary-origin"]);
        assert!(e.unseen_findings(&one).is_empty());
        let err = Expectations::load(&p, &ids()).unwrap_err();
        assert!(err.contains(":1:") && err.contains("not a cause"), "{err}");
        let p = file(
            "both",
            "[[known]]\nid = \"a/b\"\nfinding = \"no-vary-origin\"\nreason = \"r\"\n",
        );
        assert!(
            Expectations::load_with(&p, &ids(), &causes)
                .unwrap_err()
                .contains("one of the two")
        );
    }

    #[test]
    fn bad_entries_are_located() {
        let p = file("unknown", "\n[[known]]\nid = \"a/x\"\nreason = \"r\"\n");
        let err = Expectations::load(&p, &ids()).unwrap_err();
        assert!(err.contains(":2:") && err.contains("a/x"), "{err}");
        let p = file(
            "verdict",
            "[[known]]\nid = \"a/b\"\nverdict = \"PASS\"\nreason = \"r\"\n",
        );
        assert!(
            Expectations::load(&p, &ids())
                .unwrap_err()
                .contains("FAIL, NON-STRICT or ERROR")
        );
        let p = file(
            "field",
            "[[known]]\nid = \"a/b\"\nreason = \"r\"\nticket = 1\n",
        );
        assert!(
            Expectations::load(&p, &ids())
                .unwrap_err()
                .contains("ticket")
        );
    }
}
