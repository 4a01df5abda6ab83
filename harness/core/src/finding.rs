//! Findings: the failed and hazardous checks of a run grouped by the store behaviour behind
//! them, as a bug report reads. The causes are data (`suites/findings.toml`): each names the
//! rule it breaks and what a page sees, and says which failed checks it explains. A failed
//! check no cause claims still lands in a finding of its own kind (same check, same expected
//! and actual values), so nothing a run saw is left out of the list.

use crate::check::CheckResult;
use crate::result::ScenarioResult;
use crate::verdict::Verdict;
use crate::vocabulary::Level;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The id of the finding that gathers every verdict the same-answer notice explains.
pub const SAME_ANSWER: &str = "same-preflight-answer";

/// The prefix of a finding no cause of the catalog claims.
pub const UNSORTED: &str = "check/";

/// Which failed checks a cause explains: every field given must match (`*` matches any text).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// The scenario id.
    pub scenario: Option<String>,
    /// The step name.
    pub step: Option<String>,
    /// The check, as results name it (`header vary`, `browser CORS decision`).
    pub check: Option<String>,
    /// The expected value, in the result's words.
    pub expected: Option<String>,
    /// The observed value, in the result's words.
    pub actual: Option<String>,
    /// The check's level.
    pub level: Option<Level>,
    /// What the store answered the step's preflight (else its request), as
    /// [`Exchange::cors_answer`](crate::exchange::Exchange::cors_answer) words it.
    pub answer: Option<String>,
}

impl Matcher {
    /// True when every given field matches this failed check of `result`.
    pub fn matches(&self, result: &ScenarioResult, check: &CheckResult) -> bool {
        let field = |pattern: &Option<String>, value: &str| {
            pattern.as_deref().is_none_or(|p| glob(p, value))
        };
        field(&self.scenario, &result.id)
            && field(&self.step, &check.step)
            && field(&self.check, &check.check)
            && field(&self.expected, &check.expected)
            && field(&self.actual, &check.actual)
            && self.level.is_none_or(|l| l == check.level)
            && self
                .answer
                .as_deref()
                .is_none_or(|p| step_answer(result, &check.step).is_some_and(|a| glob(p, &a)))
    }

    fn is_empty(&self) -> bool {
        *self == Matcher::default()
    }
}

/// The answer to a step's preflight, or to its request when it sent none. A page step's
/// exchanges are labelled `<step> (from the page)`.
fn step_answer(result: &ScenarioResult, step: &str) -> Option<String> {
    let of_step: Vec<&crate::exchange::Exchange> = result
        .exchanges
        .iter()
        .filter(|e| {
            e.label == step
                || e.label
                    .strip_prefix(step)
                    .is_some_and(|r| r.starts_with(" ("))
        })
        .collect();
    of_step
        .iter()
        .find(|e| e.is_preflight())
        .or(of_step.first())
        .and_then(|e| e.cors_answer())
}

/// `*` matches any run of characters, `\*` a star itself, everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts: Vec<String> = vec![String::new()];
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'*') => {
                chars.next();
                parts.last_mut().expect("one part").push('*');
            }
            '*' => parts.push(String::new()),
            c => parts.last_mut().expect("one part").push(c),
        }
    }
    if parts.len() == 1 {
        return parts[0] == text;
    }
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    if !text.starts_with(first.as_str())
        || text.len() < first.len() + last.len()
        || !text.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part.as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// One store behaviour, the rule it breaks and what a page sees because of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Stable id, tracked across runs and named in expectations files.
    pub id: String,
    /// The behaviour, in one line.
    pub title: String,
    /// The sentence of the Fetch standard or the vendor's document it breaks, quoted.
    pub rule: String,
    /// Where that sentence is.
    pub link: String,
    /// What a page sees because of it.
    pub page: String,
    /// The failed checks it explains.
    pub when: Vec<Matcher>,
    /// Where it is written: `suites/findings.toml:<line>`.
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    cause: Vec<toml::Spanned<Cause>>,
}

/// The causes, in the order a failed check is offered to them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The causes, first match wins.
    pub causes: Vec<Cause>,
}

impl Catalog {
    /// The catalog's place in a repository.
    pub fn path(root: &Path) -> std::path::PathBuf {
        root.join("suites/findings.toml")
    }

    /// Reads and checks a catalog; `scenario_ids` are the ids a `scenario` pattern may match.
    /// A repository without one (a server project's own suites) has no causes: every finding
    /// is then of its own kind.
    pub fn load(path: &Path, scenario_ids: &BTreeSet<String>) -> Result<Catalog, String> {
        if !path.exists() {
            return Ok(Catalog::default());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the findings catalog: {e}", path.display()))?;
        Catalog::parse(path, &text, scenario_ids)
    }

    /// Parses and checks a catalog's text, errors located at `file:line`.
    pub fn parse(
        path: &Path,
        text: &str,
        scenario_ids: &BTreeSet<String>,
    ) -> Result<Catalog, String> {
        let raw: RawCatalog =
            toml::from_str(text).map_err(|e| crate::located::toml_error(path, text, &e))?;
        let mut causes: Vec<Cause> = Vec::new();
        for spanned in raw.cause {
            let line = crate::located::line_of(text, spanned.span().start);
            let at = format!("{}:{line}", path.display());
            let mut c = spanned.into_inner();
            if c.id.is_empty()
                || !c
                    .id
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            {
                return Err(format!(
                    "{at}: `id = \"{}\"`: a cause id is lower-case letters, digits and `-`",
                    c.id
                ));
            }
            if causes.iter().any(|o| o.id == c.id) {
                return Err(format!("{at}: cause `{}` is listed twice", c.id));
            }
            for (field, value) in [("title", &c.title), ("rule", &c.rule), ("page", &c.page)] {
                if value.trim().is_empty() {
                    return Err(format!("{at}: cause `{}`: `{field}` is empty", c.id));
                }
            }
            if !c.link.starts_with("https://") {
                return Err(format!(
                    "{at}: cause `{}`: `link = \"{}\"` must be an https:// address of the rule",
                    c.id, c.link
                ));
            }
            if c.when.is_empty() || c.when.iter().any(Matcher::is_empty) {
                return Err(format!(
                    "{at}: cause `{}`: every `when` entry needs at least one field (scenario, step, check, expected, actual, level, answer)",
                    c.id
                ));
            }
            for m in &c.when {
                if let Some(p) = &m.scenario
                    && !scenario_ids.iter().any(|id| glob(p, id))
                {
                    return Err(format!(
                        "{at}: cause `{}`: `scenario = \"{p}\"` matches no scenario",
                        c.id
                    ));
                }
            }
            c.source = at;
            causes.push(c);
        }
        Ok(Catalog { causes })
    }

    /// The finding a failed check of `result` belongs to: the same-answer notice's when it
    /// explains the result, else the first cause that claims it, else one of its own kind.
    pub fn finding_of(&self, result: &ScenarioResult, check: &CheckResult) -> String {
        if crate::uniform::is_marked(&result.reason)
            || result.id == crate::uniform::SAME_PREFLIGHT_ANSWER
        {
            return SAME_ANSWER.to_string();
        }
        self.cause_of(result, check)
            .map(|c| c.id.clone())
            .unwrap_or_else(|| unsorted_id(group_of(&result.id), check))
    }

    /// The cause that claims a failed check, if one does.
    pub fn cause_of(&self, result: &ScenarioResult, check: &CheckResult) -> Option<&Cause> {
        self.causes
            .iter()
            .find(|c| c.when.iter().any(|m| m.matches(result, check)))
    }

    /// The ids an expectations file may list: every cause's and the same-answer notice's.
    pub fn ids(&self) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = self.causes.iter().map(|c| c.id.clone()).collect();
        ids.insert(SAME_ANSWER.to_string());
        ids
    }

    /// The cause with this id.
    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.causes.iter().find(|c| c.id == id)
    }

    /// The ids of the findings behind a result's verdict (empty for a PASS).
    pub fn findings_of(&self, result: &ScenarioResult) -> BTreeSet<String> {
        self.sorted(result).into_iter().map(|(_, id)| id).collect()
    }

    /// A result's evidence, each check with its finding. On a page, what follows depends on
    /// what went before (a refused preflight leaves the page no status to read and the store
    /// no request; the verify GET reads what the page put): once a page check failed a must,
    /// the must failures after it are that finding's consequences, not findings of their own.
    fn sorted(&self, result: &ScenarioResult) -> Vec<(CheckResult, String)> {
        let mut out: Vec<(CheckResult, String)> = Vec::new();
        let mut first_must: Option<String> = None;
        for check in evidence(result) {
            let id = match &first_must {
                Some(id) if !result.browser.is_empty() && check.level == Level::Must => id.clone(),
                _ => self.finding_of(result, &check),
            };
            if first_must.is_none() && check.level == Level::Must {
                first_must = Some(id.clone());
            }
            out.push((check, id));
        }
        out
    }

    /// The findings of a run's results, most severe first, then the widest.
    pub fn findings(&self, results: &[ScenarioResult]) -> Vec<Finding> {
        let mut by_id: BTreeMap<String, Finding> = BTreeMap::new();
        for r in results {
            for (check, id) in self.sorted(r) {
                let finding = by_id
                    .entry(id.clone())
                    .or_insert_with(|| self.new_finding(&id, r, &check));
                finding.level = finding.level.max(check.level);
                let label = r.label();
                if !finding.scenarios.contains(&label) {
                    finding.scenarios.push(label);
                }
                if let Some(seen) = page_saw(r, &check.step)
                    && !finding.seen.contains(&seen)
                {
                    finding.seen.push(seen);
                }
                finding.instances.push(Instance {
                    scenario: r.id.clone(),
                    browser: r.browser.clone(),
                    verdict: r.verdict,
                    check,
                });
            }
        }
        let mut out: Vec<Finding> = by_id.into_values().collect();
        sort(&mut out);
        out
    }

    fn new_finding(&self, id: &str, r: &ScenarioResult, check: &CheckResult) -> Finding {
        let (title, rule, link, page) = if id == SAME_ANSWER {
            (
                "The store gives preflights one answer whatever its rules say".to_string(),
                "A CORS-preflight request is answered from the resource's rules: \"Let response be the result of running HTTP fetch given a CORS-preflight request\" and the response's headers decide (Fetch, CORS-preflight fetch)".to_string(),
                "https://fetch.spec.whatwg.org/#cors-preflight-fetch".to_string(),
                "Pages get the same answer whether the rules allow their origin or not: requests the rules allow fail, or requests they refuse succeed".to_string(),
            )
        } else if let Some(c) = self.cause(id) {
            (
                c.title.clone(),
                c.rule.clone(),
                c.link.clone(),
                c.page.clone(),
            )
        } else {
            (
                format!(
                    "`{}` ({} scenarios): expected {}, got {}",
                    check.check,
                    group_of(&r.id),
                    check.expected,
                    check.actual
                ),
                r.requirement.clone(),
                String::new(),
                model_page(check),
            )
        };
        Finding {
            id: id.to_string(),
            title,
            level: check.level,
            rule,
            link,
            page,
            seen: vec![],
            scenarios: vec![],
            instances: vec![],
            known: None,
        }
    }
}

/// Most severe first, then the widest, then by id.
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.scenarios.len().cmp(&a.scenarios.len()))
            .then(a.id.cmp(&b.id))
    });
}

/// The findings of several runs of one store (its probes, each browser) as one list: a
/// finding seen in two runs is one finding with both runs' scenarios.
pub fn merge(runs: impl IntoIterator<Item = Vec<Finding>>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for run in runs {
        for f in run {
            match out.iter_mut().find(|o| o.id == f.id) {
                Some(o) => {
                    o.level = o.level.max(f.level);
                    for s in f.scenarios {
                        if !o.scenarios.contains(&s) {
                            o.scenarios.push(s);
                        }
                    }
                    for s in f.seen {
                        if !o.seen.contains(&s) {
                            o.seen.push(s);
                        }
                    }
                    o.instances.extend(f.instances);
                    o.known = o.known.take().or(f.known);
                }
                None => out.push(f),
            }
        }
    }
    sort(&mut out);
    out
}

/// One finding of one target: a cause and everywhere it showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: the cause's, or `check/<check>-<hash>` for one no cause claims.
    pub id: String,
    /// The behaviour, in one line.
    pub title: String,
    /// The worst level among its checks.
    pub level: Level,
    /// The rule it breaks, quoted (a scenario's requirement for an unsorted finding).
    pub rule: String,
    /// Where the rule is written (empty for an unsorted finding).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
    /// What a page sees because of it, in words.
    pub page: String,
    /// What pages saw in the browser runs: `chromium: network-error …`, once each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<String>,
    /// The scenarios it shows in, as reports label them (`id [browser]`).
    pub scenarios: Vec<String>,
    /// Each failed check it explains.
    pub instances: Vec<Instance>,
    /// The expectations file's reason, when the finding is a known one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

impl Finding {
    /// The verdict a finding of this level gives: XFAIL when it is known (listed as a
    /// finding, or every verdict it shows in was listed).
    pub fn verdict(&self) -> Verdict {
        if self.known.is_some()
            || (!self.instances.is_empty()
                && self.instances.iter().all(|i| i.verdict == Verdict::Xfail))
        {
            return Verdict::Xfail;
        }
        match self.level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::NonStrict,
            Level::Reference => Verdict::Info,
        }
    }

    /// The anchor reports link to: the id with `/` made safe.
    pub fn anchor(&self) -> String {
        format!("finding-{}", self.id.replace('/', "-"))
    }
}

/// One failed check a finding explains, with the scenario it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The scenario id.
    pub scenario: String,
    /// The browser, empty for a raw probe.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub browser: String,
    /// The scenario's verdict.
    pub verdict: Verdict,
    /// The check: step, expected, actual, source line.
    pub check: CheckResult,
}

/// The checks behind a result's verdict: its failed checks, or, for a verdict given without
/// one (a notice, a capability), the verdict itself as the check.
fn evidence(r: &ScenarioResult) -> Vec<CheckResult> {
    let judged = matches!(
        r.verdict,
        Verdict::Fail | Verdict::NonStrict | Verdict::Info | Verdict::Xfail
    );
    if !judged {
        return vec![];
    }
    let failed: Vec<CheckResult> = r.checks.iter().filter(|c| !c.ok).cloned().collect();
    if !failed.is_empty() {
        return failed;
    }
    vec![CheckResult {
        step: String::new(),
        check: "verdict".to_string(),
        level: r.level,
        expected: "PASS".to_string(),
        actual: r.reason.clone(),
        ok: false,
        source: format!("suites/{}.toml", r.id),
    }]
}

/// What the page of a browser result saw at this step.
fn page_saw(r: &ScenarioResult, step: &str) -> Option<String> {
    if r.browser.is_empty() {
        return None;
    }
    let view = r.pages.iter().find(|p| p.step == step)?;
    let error = view
        .error
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    Some(format!("{}: {}{error}", r.browser, view.summary()))
}

/// What the Fetch model says a page sees for an unsorted finding's check.
fn model_page(check: &CheckResult) -> String {
    if check.check.starts_with(crate::check::exchange::FETCH_CHECK) {
        match check.actual.strip_prefix("blocked: ") {
            Some(why) => format!(
                "A browser blocks the response ({why}): the page's fetch rejects with a TypeError"
            ),
            None => format!(
                "A browser decides `{}` where the rules say `{}`",
                check.actual, check.expected
            ),
        }
    } else {
        "No page-visible effect is modelled for this check; see the scenario's requirement"
            .to_string()
    }
}

/// A stable id for a failed check no cause claims: the scenario group (a status 200 where 400
/// was due means one thing for a configuration and another for a preflight), the check's words
/// and a hash of its expected and actual values, port numbers left out (they change every run).
fn unsorted_id(group: &str, check: &CheckResult) -> String {
    let slug: String = check
        .check
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let key = format!(
        "{group}\0{}\0{}\0{}",
        check.check,
        without_ports(&check.expected),
        without_ports(&check.actual)
    );
    // FNV-1a: short, stable across Rust versions and platforms (std's hasher is neither).
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{UNSORTED}{group}/{slug}-{h:08x}")
}

/// A scenario's group: the first part of its id.
fn group_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

fn without_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == ':' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push_str("[port]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> BTreeSet<String> {
        [
            "actual/get-without-origin",
            "actual/get-non-matching-origin",
            "errors/bad-signature-403",
        ]
        .map(String::from)
        .into()
    }

    fn failed(id: &str, check: &str, expected: &str, actual: &str, level: Level) -> ScenarioResult {
        let mut r = ScenarioResult::named(id, "t", "the requirement", level);
        r.verdict = match level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::NonStrict,
            Level::Reference => Verdict::Info,
        };
        r.checks.push(CheckResult {
            step: "get".into(),
            check: check.into(),
            level,
            expected: expected.into(),
            actual: actual.into(),
            ok: false,
            source: format!("suites/{id}.toml:9"),
        });
        r
    }

    fn bad_signature() -> ScenarioResult {
        failed(
            "errors/bad-signature-403",
            "status",
            "4xx",
            "200",
            Level::Must,
        )
    }

    const VARY: &str = r#"
[[cause]]
id = "no-vary-origin"
title = "No Vary: Origin"
rule = "the quoted rule"
link = "https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches"
page = "a cached response is reused for another origin"
when = [{ check = "header vary", expected = "contains `Origin`*" }]
"#;

    fn catalog(text: &str) -> Result<Catalog, String> {
        Catalog::parse(Path::new("suites/findings.toml"), text, &ids())
    }

    #[test]
    fn glob_matches_stars_and_only_them() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(glob("browser/cache-*", "browser/cache-collision-img-first"));
        assert!(!glob("browser/cache-*", "browser/credentials"));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("a*b*c", "a-c-b"));
        assert!(!glob("ab*ba", "aba"), "prefix and suffix may not overlap");
        assert!(!glob("exact", "exactly"));
        assert!(glob(r"\*", "*"));
        assert!(!glob(r"\*", "http://a"), "an escaped star is only a star");
        assert!(glob(r"a\**", "a*bc"));
    }

    #[test]
    fn one_cause_gathers_its_checks_across_scenarios_and_others_stay_apart() {
        let c = catalog(VARY).unwrap();
        let results = vec![
            failed(
                "actual/get-without-origin",
                "header vary",
                "contains `Origin` (or *)",
                "(absent)",
                Level::Should,
            ),
            failed(
                "actual/get-non-matching-origin",
                "header vary",
                "contains `Origin` (or *)",
                "(absent)",
                Level::Should,
            ),
            bad_signature(),
            ScenarioResult::named("actual/get-with-origin", "t", "r", Level::Must),
        ];
        let f = c.findings(&results);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].level, Level::Must, "the must finding comes first");
        assert!(f[0].id.starts_with("check/errors/status-"), "{}", f[0].id);
        assert_eq!(f[1].id, "no-vary-origin");
        assert_eq!(
            f[1].scenarios,
            [
                "actual/get-without-origin",
                "actual/get-non-matching-origin"
            ]
        );
        assert_eq!(f[1].instances.len(), 2);
        assert_eq!(
            f[1].instances[0].check.source,
            "suites/actual/get-without-origin.toml:9"
        );
        assert_eq!(f[1].verdict(), Verdict::NonStrict);
    }

    #[test]
    fn a_cause_claims_nothing_its_fields_do_not_match() {
        let c = catalog(VARY).unwrap();
        let r = failed(
            "actual/get-without-origin",
            "header vary",
            "exactly {Origin}",
            "(absent)",
            Level::Reference,
        );
        assert!(c.cause_of(&r, &r.checks[0]).is_none(), "expected differs");
        let m = Matcher {
            level: Some(Level::Must),
            ..Matcher::default()
        };
        assert!(!m.matches(&r, &r.checks[0]), "level differs");
    }

    #[test]
    fn an_unsorted_id_is_stable_across_ports_and_differs_by_value() {
        let a = failed(
            "errors/bad-signature-403",
            "header access-control-allow-origin",
            "(absent)",
            "http://localhost:43127",
            Level::Must,
        );
        let b = failed(
            "errors/bad-signature-403",
            "header access-control-allow-origin",
            "(absent)",
            "http://localhost:51000",
            Level::Must,
        );
        let c = failed(
            "errors/bad-signature-403",
            "header access-control-allow-origin",
            "(absent)",
            "*",
            Level::Must,
        );
        let cat = Catalog::default();
        let id = cat.finding_of(&a, &a.checks[0]);
        assert_eq!(id, cat.finding_of(&b, &b.checks[0]));
        assert_ne!(id, cat.finding_of(&c, &c.checks[0]));
        assert!(
            id.starts_with("check/errors/header-access-control-allow-origin-"),
            "{id}"
        );
        let mut other_group = a.clone();
        other_group.id = "preflight/x".into();
        assert_ne!(
            id,
            cat.finding_of(&other_group, &other_group.checks[0]),
            "the group is part of it"
        );
    }

    #[test]
    fn results_the_same_answer_notice_explains_share_its_finding() {
        let mut r = bad_signature();
        r.reason = crate::uniform::marked("x");
        assert_eq!(
            Catalog::default().findings_of(&r),
            [SAME_ANSWER.to_string()].into()
        );
    }

    #[test]
    fn runs_of_one_store_merge_into_one_list() {
        let c = catalog(VARY).unwrap();
        let probe = c.findings(&[failed(
            "actual/get-without-origin",
            "header vary",
            "contains `Origin` (or *)",
            "(absent)",
            Level::Should,
        )]);
        let mut page = failed(
            "actual/get-non-matching-origin",
            "header vary",
            "contains `Origin`",
            "(absent)",
            Level::Should,
        );
        page.browser = "chromium".into();
        let other = c.findings(&[page, bad_signature()]);
        let m = merge([probe, other]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].level, Level::Must);
        assert_eq!(
            m[1].scenarios,
            [
                "actual/get-without-origin",
                "actual/get-non-matching-origin [chromium]"
            ]
        );
        assert_eq!(m[1].instances.len(), 2);
    }

    #[test]
    fn a_verdict_without_a_failed_check_is_its_own_evidence() {
        let mut r = ScenarioResult::named("capability/bucket-cors", "t", "r", Level::Must);
        r.verdict = Verdict::Fail;
        r.reason = "no CORS API".into();
        let f = Catalog::default().findings(&[r]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].instances[0].check.actual, "no CORS API");
    }

    #[test]
    fn bad_catalogs_are_located() {
        let err = catalog(&VARY.replace("no-vary-origin", "No Vary")).unwrap_err();
        assert!(
            err.starts_with("suites/findings.toml:2:") && err.contains("lower-case"),
            "{err}"
        );
        let err = catalog(&format!("{VARY}{VARY}")).unwrap_err();
        assert!(err.contains(":10:") && err.contains("twice"), "{err}");
        let err = catalog(&VARY.replace("https://", "http://")).unwrap_err();
        assert!(err.contains("https://"), "{err}");
        let err = catalog(&VARY.replace(
            r#"{ check = "header vary", expected = "contains `Origin`*" }"#,
            "{}",
        ))
        .unwrap_err();
        assert!(err.contains("at least one field"), "{err}");
        let err = catalog(&VARY.replace(r#"check = "header vary""#, r#"scenario = "nothing/*""#))
            .unwrap_err();
        assert!(err.contains("matches no scenario"), "{err}");
        let err = catalog(&VARY.replace("page =", "pages =")).unwrap_err();
        assert!(err.contains("pages"), "{err}");
    }
}
