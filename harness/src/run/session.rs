//! A run session: one target with its client and known failures, and the scenarios run on it,
//! raw probes first, then each browser in turn. `corsprobe run`, `faults` and `clean` and the
//! conformance tests all open their target through it, so they load, check and run alike.

use crate::model::expectations::Expectations;
use crate::model::finding::{Catalog, Finding};
use crate::model::result::{BrowserInfo, ScenarioResult};
use crate::model::scenario::Scenario;
use crate::model::vocabulary::BrowserKind;
use crate::run::engine::{self, Cancel, RunOptions};
use crate::store::client::Client;
use crate::store::target::{self, Target, TargetError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a session could not open: an input file is wrong, or the request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// A targets or expectations file does not parse or validate (file and line or field named).
    File(String),
    /// An unknown target, an unset credential variable, a client that cannot be built.
    Usage(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::File(e) | OpenError::Usage(e) => f.write_str(e),
        }
    }
}

impl From<OpenError> for String {
    fn from(e: OpenError) -> String {
        e.to_string()
    }
}

/// One target, ready to run against.
#[derive(Clone)]
pub struct Session {
    /// The target, credentials included.
    pub target: Target,
    /// Its client: addressing, signing, sending, redaction.
    pub client: Client,
    /// Its known failures (the given file, or the target's own, or none).
    pub expectations: Expectations,
    /// The causes findings are grouped by (empty until [`Session::expecting`] loads them).
    pub catalog: Catalog,
    /// The repository root it was opened from.
    pub root: PathBuf,
}

impl Session {
    /// The targets file a root uses when none is given.
    pub fn default_targets(root: &Path) -> PathBuf {
        root.join("fixtures/targets.toml")
    }

    /// Loads target `name` from `targets` (default: the root's) and makes its client with this
    /// request time limit; no known failures yet (see [`Session::expecting`]).
    pub fn open(
        root: &Path,
        targets: Option<&Path>,
        name: &str,
        timeout: Duration,
    ) -> Result<Session, OpenError> {
        let file = targets
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Self::default_targets(root));
        let target = target::load(&file, name).map_err(|e| match e {
            TargetError::File(e) => OpenError::File(e),
            TargetError::Usage(e) => OpenError::Usage(e),
        })?;
        let client = Client::new(&target, timeout).map_err(OpenError::Usage)?;
        Ok(Session {
            target,
            client,
            expectations: Expectations::default(),
            catalog: Catalog::default(),
            root: root.to_path_buf(),
        })
    }

    /// Loads the findings catalog and the known failures a run applies (`file`, else the
    /// target's own), checked against the scenario ids and the catalog's causes.
    pub fn expecting(
        self,
        file: Option<&Path>,
        ids: &BTreeSet<String>,
    ) -> Result<Session, OpenError> {
        let ids = judged_ids(ids);
        let catalog = Catalog::load(&Catalog::path(&self.root), &ids).map_err(OpenError::File)?;
        let expectations = match file.or(self.target.expectations.as_deref()) {
            Some(p) => Expectations::load_with(p, &ids, &catalog).map_err(OpenError::File)?,
            None => Expectations::default(),
        };
        Ok(Session {
            expectations,
            catalog,
            ..self
        })
    }

    /// The run's findings, the known ones with the expectations file's reason.
    pub fn findings(&self, results: &[ScenarioResult]) -> Vec<Finding> {
        let mut found = self.catalog.findings(results);
        for f in &mut found {
            f.known = self
                .expectations
                .findings
                .get(&f.id)
                .map(|k| k.reason.clone());
        }
        found
    }

    /// Runs the probes `opts.jobs` at a time, then the browser scenarios in each browser, one
    /// session per browser; `progress` sees each result as it comes.
    pub async fn run(
        &self,
        (probes, in_browser): (&[Scenario], &[Scenario]),
        (browsers, pages): (&[BrowserKind], &Path),
        opts: &RunOptions,
        cancel: &Cancel,
        progress: impl Fn(&ScenarioResult) + Clone + Send + Sync + 'static,
    ) -> (Vec<ScenarioResult>, Vec<BrowserInfo>) {
        let shown = progress.clone();
        let mut results = if probes.is_empty() {
            Vec::new()
        } else {
            engine::run_all(
                &self.client,
                probes,
                &self.expectations,
                opts,
                cancel,
                move |_, r| shown(r),
            )
            .await
        };
        let mut infos = Vec::new();
        if !in_browser.is_empty() {
            for kind in browsers {
                if cancel.is_cancelled() {
                    break;
                }
                let (info, rs) = engine::run_in_browser(
                    &self.client,
                    in_browser,
                    &self.expectations,
                    opts,
                    cancel,
                    (*kind, pages),
                    |_, r| progress(r),
                )
                .await;
                infos.push(info);
                results.extend(rs);
            }
        }
        // One notice for one answer to every preflight, ahead of the verdicts it explains.
        if let Some((notice, explained)) = crate::model::uniform::same_preflight_answer(&results) {
            for i in explained {
                let r = &mut results[i];
                r.reason = crate::model::uniform::marked(&r.reason);
                // Its finding is now the notice's: a known one makes it an XFAIL.
                let behind = self.catalog.findings_of(r);
                if let Some((verdict, reason)) = self
                    .expectations
                    .apply_findings(r.verdict, &r.reason, &behind)
                {
                    r.verdict = verdict;
                    r.reason = reason;
                }
            }
            results.insert(0, notice);
        }
        // One verdict for a store that cannot hold rules at all, ahead of the SKIPs it causes.
        if let Some(missing) = crate::model::capability::missing_bucket_cors(&results) {
            let (verdict, reason) = self.expectations.judge(&missing);
            results.insert(
                0,
                ScenarioResult {
                    verdict,
                    reason,
                    ..missing
                },
            );
        }
        (results, infos)
    }
}

/// The findings catalog of a repository, its scenario patterns checked against `scenarios`.
pub fn catalog_of(root: &Path, scenarios: &[Scenario]) -> Result<Catalog, String> {
    let ids = judged_ids(&scenarios.iter().map(|s| s.id.clone()).collect());
    Catalog::load(&Catalog::path(root), &ids)
}

/// Every id a verdict can carry: the scenarios', the capability verdicts' and the notice's.
pub fn judged_ids(scenario_ids: &BTreeSet<String>) -> BTreeSet<String> {
    let mut ids = scenario_ids.clone();
    ids.extend(crate::model::capability::IDS.map(String::from));
    ids.insert(crate::model::uniform::SAME_PREFLIGHT_ANSWER.to_string());
    ids
}
