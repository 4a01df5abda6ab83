//! The engine: runs scenarios against a target, one fresh bucket each, and judges them.
//!
//! The CLI and `cargo test` both call [`run_all`]; nothing else runs a scenario.

use crate::model::place::{Place, Resolved};
use crate::model::plan::{Sharing, Turns};
use crate::model::result::{ScenarioResult, base_result};

use crate::model::check::{CheckResult, StepChecks};
use crate::model::exchange::{Exchange, Phase};
use crate::model::expectations::Expectations;
use crate::model::page_view::{PageOutcome, PageView};
use crate::model::scenario::{Action, Capture, CaptureFrom, NOT_READ, Scenario, Step};
use crate::model::verdict::{Verdict, judge};
use crate::store::bucket_hook;
use crate::store::client::{Client, Request};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenarios in flight at once.
    pub jobs: usize,
    /// Unique part of this run's bucket names.
    pub run_id: String,
    /// Run inside this existing bucket instead of creating one per scenario.
    pub existing_bucket: Option<String>,
    /// Only read this bucket, whose rules and objects are declared.
    pub probe_only: Option<crate::store::target::ProbeOnly>,
    /// Read-only scenarios of one setup share a bucket (the bucket plan); false gives every
    /// scenario its own, as a check that the plan changes no verdict.
    pub plan: bool,
}

impl RunOptions {
    /// `jobs` at a time, each scenario in a fresh bucket, under a fresh run id.
    pub fn new(jobs: usize) -> Self {
        Self {
            jobs,
            run_id: new_run_id(),
            existing_bucket: None,
            probe_only: None,
            plan: true,
        }
    }

    /// As the target asks: inside its existing bucket, or read-only in its probe-only one.
    pub fn for_target(target: &crate::store::target::Target, jobs: usize) -> Self {
        Self {
            existing_bucket: target.existing_bucket.clone(),
            probe_only: target.probe_only.clone(),
            ..Self::new(jobs)
        }
    }

    /// With this run id in bucket names.
    pub fn with_run_id(self, run_id: impl Into<String>) -> Self {
        Self {
            run_id: run_id.into(),
            ..self
        }
    }

    /// Every scenario in a bucket of its own, the bucket plan off.
    pub fn unplanned(self) -> Self {
        Self {
            plan: false,
            ..self
        }
    }

    /// Inside this existing bucket (None: a fresh bucket per scenario).
    pub fn in_bucket(self, bucket: Option<String>) -> Self {
        Self {
            existing_bucket: bucket,
            ..self
        }
    }
}

/// A bucket's CORS configuration as it was before the run, to put back afterwards.
#[derive(Debug, Clone)]
pub struct SavedCors {
    /// The bucket.
    pub bucket: String,
    /// The GetBucketCors body, or None when the bucket had no configuration.
    pub body: Option<String>,
}

/// Saves an existing bucket's CORS configuration before the run touches it.
pub async fn save_cors(client: &Client, bucket: &str) -> Result<SavedCors, String> {
    let ex = client.get_cors(Phase::Setup, bucket).await;
    match &ex.response {
        Some(r) if ex.succeeded() => Ok(SavedCors {
            bucket: bucket.to_string(),
            body: Some(r.body.clone()),
        }),
        Some(r) if r.status == 404 && r.error_code().as_deref() != Some("NoSuchBucket") => {
            Ok(SavedCors {
                bucket: bucket.to_string(),
                body: None,
            })
        }
        _ => Err(format!(
            "cannot save the CORS configuration of {bucket}: GetBucketCors: {}",
            ex.outcome()
        )),
    }
}

/// Puts the saved configuration back and checks GetBucketCors returns the same bytes as before.
pub async fn restore_cors(client: &Client, saved: &SavedCors) -> Result<(), String> {
    let ex = match &saved.body {
        Some(body) => {
            client
                .put_cors_bytes(Phase::Teardown, &saved.bucket, body.clone().into_bytes())
                .await
        }
        None => client.delete_cors(Phase::Teardown, &saved.bucket).await,
    };
    if !ex.succeeded() {
        return Err(format!(
            "could not restore the CORS configuration of {}: {}",
            saved.bucket,
            ex.outcome()
        ));
    }
    let now = save_cors(client, &saved.bucket).await?;
    if now.body != saved.body {
        return Err(format!(
            "the CORS configuration of {} differs from the saved one after restoring it",
            saved.bucket
        ));
    }
    Ok(())
}

/// Set by Ctrl-C: scenarios not started are skipped, running ones stop after their step and clean up.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A fresh random run id: 8 lower-case hex characters.
pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// The bucket of the `index`-th scenario of a run: `<prefix><run id>-<nnn>`.
pub fn bucket_name(prefix: &str, run_id: &str, index: usize) -> String {
    format!("{prefix}{run_id}-{:03}", index + 1)
}

/// Removes what lies under `prefix` in a bucket that stays (objects and unfinished multipart
/// uploads); used by `corsprobe diagnose` for its scratch key.
pub async fn clear_prefix(client: &Client, bucket: &str, prefix: &str) -> Result<(), String> {
    let place = Place::Existing {
        bucket: bucket.to_string(),
        key_prefix: prefix.to_string(),
    };
    let mut exchanges = Vec::new();
    teardown(client, &place, (&[], true), &mut exchanges).await?;
    let (listing, left) = client
        .list_keys(Phase::Teardown, bucket, Some(prefix))
        .await;
    if listing.succeeded() && left.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "could not remove the scratch objects under {bucket}/{prefix}: {}",
            listing.outcome()
        ))
    }
}

/// Removes a bucket and everything in it; used by `corsprobe clean`.
pub async fn remove_bucket(client: &Client, bucket: &str) -> (Vec<Exchange>, Result<(), String>) {
    let mut exchanges = Vec::new();
    let result = teardown(
        client,
        &Place::Fresh(bucket.to_string()),
        (&[], true),
        &mut exchanges,
    )
    .await;
    (exchanges, result)
}

/// True when DeleteBucket was refused because objects are left (S3 and OSS: 409 BucketNotEmpty).
fn not_empty(ex: &Exchange) -> bool {
    ex.response
        .as_ref()
        .is_some_and(|r| r.status == 409 || r.error_code().as_deref() == Some("BucketNotEmpty"))
}

/// Lists what is left (under `prefix`) and deletes it, for up to three rounds.
async fn empty(client: &Client, bucket: &str, prefix: Option<&str>, exchanges: &mut Vec<Exchange>) {
    for _round in 0..3 {
        let (listing, keys) = client.list_keys(Phase::Teardown, bucket, prefix).await;
        let listed = listing.succeeded();
        exchanges.push(listing);
        if !listed || keys.is_empty() {
            break;
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        delete_keys(client, bucket, &keys, exchanges).await;
    }
}

/// Deletes the keys: one DeleteObjects for two or more, a DeleteObject each where the store
/// refuses the batch (or there is one key). A key the batch could not delete is caught by
/// DeleteBucket's refusal, as anything else left is.
async fn delete_keys(client: &Client, bucket: &str, keys: &[&str], exchanges: &mut Vec<Exchange>) {
    if let [_, _, ..] = keys {
        let batch = client.delete_objects(Phase::Teardown, bucket, keys).await;
        let done = batch.succeeded();
        exchanges.push(batch);
        if done {
            return;
        }
    }
    for key in keys {
        exchanges.push(client.delete_object(Phase::Teardown, bucket, key).await);
    }
}

/// Aborts the multipart uploads under `prefix` that a step began and never finished: they
/// hold a bucket as objects do, and in an existing bucket they would be left to cost.
async fn abort_uploads(client: &Client, bucket: &str, prefix: &str, exchanges: &mut Vec<Exchange>) {
    let (listing, uploads) = client.list_uploads(Phase::Teardown, bucket).await;
    exchanges.push(listing);
    for (key, id) in uploads.iter().filter(|(k, _)| k.starts_with(prefix)) {
        exchanges.push(client.abort_upload(Phase::Teardown, bucket, key, id).await);
    }
}

/// True when the store says it does not implement the operation.
fn unsupported(ex: &Exchange) -> bool {
    ex.response
        .as_ref()
        .is_some_and(|r| r.status == 501 || r.error_code().as_deref() == Some("NotImplemented"))
}

/// Why a probe-only target cannot run a scenario, or None when it can: the declared rules must
/// be the scenario's, its objects must be there, and no step may write.
pub fn probe_only_skip(p: &crate::store::target::ProbeOnly, s: &Scenario) -> Option<String> {
    match &s.cors {
        None => return Some("needs a bucket without CORS rules; this bucket has rules".into()),
        Some(rules) if !rules.same_rules(&p.rules) => {
            return Some(format!(
                "needs the rules of {}; the bucket has those of {}",
                s.cors_fixture.as_deref().unwrap_or("its fixture"),
                p.rules_file.display()
            ));
        }
        Some(_) => {}
    }
    for o in &s.objects {
        let there = p
            .objects
            .iter()
            .any(|(k, b)| k == &o.key && b.as_ref().is_none_or(|b| b == &o.body));
        if !there {
            return Some(format!(
                "needs object `{}` with its body; the target does not declare it",
                o.key
            ));
        }
    }
    for step in &s.steps {
        if step.writes() {
            return Some(format!(
                "step `{}` writes to the bucket; a probe-only target is never written",
                step.name
            ));
        }
    }
    None
}

/// Where the `index`-th scenario runs, and why it is skipped on a probe-only target.
fn place_for(
    client: &Client,
    scenario: &Scenario,
    opts: &RunOptions,
    index: usize,
) -> (Place, Option<String>) {
    let name = bucket_name(&client.target().bucket_prefix, &opts.run_id, index);
    let skip_reason = opts
        .probe_only
        .as_ref()
        .and_then(|p| probe_only_skip(p, scenario));
    let place = match (&opts.probe_only, &opts.existing_bucket) {
        (Some(p), _) => Place::ReadOnly {
            bucket: p.bucket.clone(),
            name,
        },
        (None, Some(b)) => Place::Existing {
            bucket: b.clone(),
            key_prefix: format!("{name}/"),
        },
        (None, None) => Place::Fresh(name),
    };
    (place, skip_reason)
}

/// Why a scenario the run did not reach is SKIP.
const NOT_STARTED: &str = "the run was interrupted before this scenario started";

/// Runs one scenario of a run unless cancelled or skipped, and applies the expectations.
async fn run_one(
    client: &Client,
    scenario: &Scenario,
    expectations: &Expectations,
    (place, skip_reason): (Place, Option<String>),
    cancel: &Cancel,
    stage: Option<&crate::browser::stage::Stage>,
) -> ScenarioResult {
    let mut result = if cancel.is_cancelled() {
        skipped(scenario, NOT_STARTED)
    } else if let Some(reason) = &skip_reason {
        skipped(scenario, reason)
    } else {
        run_scenario(client, scenario, &place, cancel, stage).await
    };
    if let Some(stage) = stage {
        result.browser = stage.kind().name().to_string();
    }
    let (verdict, reason) = expectations.judge(&result);
    result.verdict = verdict;
    result.reason = reason;
    result
}

/// Runs every scenario, `jobs` at a time; results come back in input order.
///
/// `progress` is called as each scenario finishes.
pub async fn run_all(
    client: &Client,
    scenarios: &[Scenario],
    expectations: &Expectations,
    opts: &RunOptions,
    cancel: &Cancel,
    progress: impl Fn(usize, &ScenarioResult) + Send + Sync + 'static,
) -> Vec<ScenarioResult> {
    // A CORS configuration is bucket-wide: scenarios sharing an existing bucket take turns.
    let jobs = if opts.existing_bucket.is_some() {
        1
    } else {
        opts.jobs.max(1)
    };
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let progress = Arc::new(progress);
    let mut set = tokio::task::JoinSet::new();
    // Inside an existing or a probe-only bucket every scenario already shares the one bucket.
    let units = if opts.existing_bucket.is_some() || opts.probe_only.is_some() || !opts.plan {
        crate::model::plan::unplanned(scenarios.len())
    } else {
        crate::model::plan::plan(scenarios, turns_for(client.target()))
    };
    let (shared, alone): (Vec<_>, Vec<_>) = units.into_iter().partition(|u| u.shared());
    for unit in shared {
        let sharing = unit.sharing;
        let client = client.clone();
        let members: Vec<(usize, Scenario)> = unit
            .members
            .iter()
            .map(|&i| (i, scenarios[i].clone()))
            .collect();
        // A tenant's prefix is the name its own bucket would have had: unique in the run.
        let tenants: BTreeMap<usize, String> = unit
            .tenants
            .iter()
            .map(|&i| {
                let name = bucket_name(&client.target().bucket_prefix, &opts.run_id, i);
                (i, format!("{name}/"))
            })
            .collect();
        let bucket = bucket_name(
            &client.target().bucket_prefix,
            &opts.run_id,
            unit.members[0],
        );
        let (semaphore, cancel, progress) = (semaphore.clone(), cancel.clone(), progress.clone());
        let expectations = expectations.clone();
        set.spawn(async move {
            let shared = Shared {
                client: &client,
                expectations: &expectations,
                cancel: &cancel,
                semaphore: &semaphore,
            };
            let results = match sharing {
                Sharing::Turns => shared.take_turns(members, bucket).await,
                Sharing::Readers | Sharing::Alone => shared.run(members, &tenants, bucket).await,
            };
            for (i, r) in &results {
                progress(*i, r);
            }
            results
        });
    }
    for index in alone.into_iter().map(|u| u.members[0]) {
        let scenario = &scenarios[index];
        let client = client.clone();
        let scenario = scenario.clone();
        let semaphore = semaphore.clone();
        let cancel = cancel.clone();
        let progress = progress.clone();
        let expectations = expectations.clone();
        let place = place_for(&client, &scenario, opts, index);
        set.spawn(async move {
            let _permit = semaphore
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let result = run_one(&client, &scenario, &expectations, place, &cancel, None).await;
            progress(index, &result);
            vec![(index, result)]
        });
    }
    let mut results: Vec<(usize, ScenarioResult)> = Vec::with_capacity(scenarios.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => results.extend(r),
            Err(e) => panic!("a scenario task panicked: {e}"),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Whether rules-only scenarios may take turns in one bucket on this target: not where rules
/// take time to apply (see [`Turns`]).
pub fn turns_for(target: &crate::store::target::Target) -> Turns {
    if target.propagation_timeout_secs > 0 {
        Turns::Refused
    } else {
        Turns::Allowed
    }
}

/// A scenario's result with its index in the run's list.
type Judged = (usize, ScenarioResult);

/// What the scenarios of one shared bucket run with.
struct Shared<'a> {
    client: &'a Client,
    expectations: &'a Expectations,
    cancel: &'a Cancel,
    semaphore: &'a Arc<tokio::sync::Semaphore>,
}

impl Shared<'_> {
    /// The scenarios that do not run here (cancelled, or not for this dialect) as SKIP
    /// results, and the others to run.
    fn sort_out(&self, members: Vec<(usize, Scenario)>) -> (Vec<Judged>, Vec<(usize, Scenario)>) {
        let dialect = self.client.target().dialect;
        let mut out = Vec::new();
        let mut runnable = Vec::new();
        for (i, s) in members {
            let why = if self.cancel.is_cancelled() {
                Some(NOT_STARTED.to_string())
            } else {
                not_applicable(&s, dialect, false)
            };
            match why {
                Some(why) => {
                    let mut r = skipped(&s, &why);
                    (r.verdict, r.reason) = self.expectations.judge(&r);
                    out.push((i, r));
                }
                None => runnable.push((i, s)),
            }
        }
        (out, runnable)
    }

    /// One bucket made once; each scenario in turn puts its rules and runs its steps (one job
    /// slot for the whole lane), then one teardown. The bucket's creation is the first
    /// scenario's exchange, its removal the last one's.
    async fn take_turns(
        &self,
        members: Vec<(usize, Scenario)>,
        bucket: String,
    ) -> Vec<(usize, ScenarioResult)> {
        let client = self.client;
        let (mut out, runnable) = self.sort_out(members);
        let Some((_, first)) = runnable.first() else {
            return out;
        };
        let _permit = self
            .semaphore
            .acquire()
            .await
            .expect("semaphore is never closed");
        let place = Place::Fresh(bucket);
        let start = Instant::now();
        let mut made = Evidence::default();
        let exists = make_place(client, first, &place, &mut made).await;
        let mut carried = Some((made.exchanges, start.elapsed().as_secs_f64() * 1000.0));
        let mut done = Vec::new();
        for (i, s) in &runnable {
            if self.cancel.is_cancelled() {
                let mut r = skipped(s, NOT_STARTED);
                (r.verdict, r.reason) = self.expectations.judge(&r);
                out.push((*i, r));
                continue;
            }
            let started = Instant::now();
            let (exchanges, made_ms) = carried.take().unwrap_or_default();
            let mut ev = Evidence {
                exchanges,
                error: made.error.clone(),
                ..Evidence::default()
            };
            if !ev.stopped() {
                fill(client, s, &place, &[], &mut ev).await;
            }
            if !ev.stopped() {
                run_steps(client, s, &place, (&[], None), self.cancel, &mut ev).await;
            }
            done.push((
                *i,
                s,
                ev,
                made_ms + started.elapsed().as_secs_f64() * 1000.0,
            ));
        }
        if exists {
            let started = Instant::now();
            let known: Vec<String> = runnable
                .iter()
                .flat_map(|(_, s)| known_keys(client, s, &place))
                .collect();
            let mut torn = Vec::new();
            let failed = teardown(client, &place, (&known, false), &mut torn)
                .await
                .err();
            if let Some((_, _, ev, ms)) = done.last_mut() {
                ev.exchanges.append(&mut torn);
                if let Some(e) = failed {
                    ev.error.get_or_insert(e);
                }
                *ms += started.elapsed().as_secs_f64() * 1000.0;
            }
        }
        let vendor = client.target().dialect.reference_vendor();
        for (i, s, ev, ms) in done {
            let mut result = result_of(s, &place, ev, ms, vendor);
            (result.verdict, result.reason) = self.expectations.judge(&result);
            out.push((i, result));
        }
        out
    }

    /// One setup (the first scenario's, which all share), every scenario's steps, `jobs` at a
    /// time, then one teardown; the setup and teardown exchanges are the first scenario's. A
    /// tenant (by its index, with its prefix) puts its own objects under its prefix before
    /// its steps.
    async fn run(
        &self,
        members: Vec<(usize, Scenario)>,
        tenants: &BTreeMap<usize, String>,
        bucket: String,
    ) -> Vec<(usize, ScenarioResult)> {
        let client = self.client;
        let (mut out, runnable) = self.sort_out(members);
        let Some((_, first)) = runnable.first() else {
            return out;
        };
        // The host's objects are the bucket's own; every member has the same rules.
        let host = runnable
            .iter()
            .find(|(i, _)| !tenants.contains_key(i))
            .map(|(_, s)| s);
        let place = Place::Fresh(bucket);
        let place_of = |i: usize| match tenants.get(&i) {
            Some(prefix) => Place::Tenant {
                bucket: place.bucket().to_string(),
                key_prefix: prefix.clone(),
            },
            None => place.clone(),
        };
        let start = Instant::now();
        let mut base = Evidence::default();
        let exists = {
            let _permit = self
                .semaphore
                .acquire()
                .await
                .expect("semaphore is never closed");
            let exists = make_place(client, first, &place, &mut base).await;
            let objects = match host {
                Some(host) if base.error.is_none() => {
                    put_objects(client, host, &place, &mut base).await
                }
                _ => base.error.is_none(),
            };
            if objects {
                put_rules(client, first, &place, &[], &mut base).await;
            }
            exists
        };
        let setup_ms = start.elapsed().as_secs_f64() * 1000.0;
        // Each scenario's steps in a task of its own, `jobs` at a time across the run.
        let mut steps = tokio::task::JoinSet::new();
        for (n, (i, s)) in runnable.iter().enumerate() {
            let (client, s, place) = (client.clone(), s.clone(), place_of(*i));
            let (semaphore, cancel) = (self.semaphore.clone(), self.cancel.clone());
            // Every scenario of a shared bucket waited for its rules to take effect.
            let mut ev = Evidence {
                error: base.error.clone(),
                lacking: base.lacking.clone(),
                propagation: base.propagation.clone(),
                ..Evidence::default()
            };
            let i = *i;
            steps.spawn(async move {
                let _permit = semaphore
                    .acquire_owned()
                    .await
                    .expect("semaphore is never closed");
                let started = Instant::now();
                if matches!(place, Place::Tenant { .. }) && !ev.stopped() {
                    put_objects(&client, &s, &place, &mut ev).await;
                }
                if !ev.stopped() {
                    run_steps(&client, &s, &place, (&[], None), &cancel, &mut ev).await;
                }
                (n, i, ev, started.elapsed().as_secs_f64() * 1000.0)
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = steps.join_next().await {
            done.push(joined.unwrap_or_else(|e| panic!("a scenario task panicked: {e}")));
        }
        done.sort_by_key(|(n, ..)| *n);
        let mut torn = Vec::new();
        let failed = if exists {
            let _permit = self
                .semaphore
                .acquire()
                .await
                .expect("semaphore is never closed");
            let known: Vec<String> = runnable
                .iter()
                .flat_map(|(i, s)| known_keys(client, s, &place_of(*i)))
                .collect();
            let uploads = runnable.iter().any(|(_, s)| begins_uploads(s));
            teardown(client, &place, (&known, uploads), &mut torn)
                .await
                .err()
        } else {
            None
        };
        let vendor = client.target().dialect.reference_vendor();
        for (n, i, mut ev, ms) in done {
            let s = &runnable[n].1;
            let place = place_of(i);
            let mut ms = ms;
            if n == 0 {
                let mut exchanges = std::mem::take(&mut base.exchanges);
                exchanges.append(&mut ev.exchanges);
                exchanges.append(&mut torn);
                ev.exchanges = exchanges;
                if let Some(e) = failed.clone() {
                    ev.error.get_or_insert(e);
                }
                ms += setup_ms;
            }
            let mut result = result_of(s, &place, ev, ms, vendor);
            (result.verdict, result.reason) = self.expectations.judge(&result);
            out.push((i, result));
        }
        out
    }
}

/// The variables a step's templates may name.
pub fn step_vars(client: &Client, place: &Place) -> BTreeMap<&'static str, String> {
    let target = client.target();
    let mut vars = BTreeMap::new();
    vars.insert("bucket", place.bucket().to_string());
    vars.insert("region", target.region.clone());
    vars.insert("endpoint", target.endpoint.origin().ascii_serialization());
    vars
}

/// True when a step begins a multipart upload (`?uploads`), which teardown may have to abort.
fn begins_uploads(scenario: &Scenario) -> bool {
    scenario.steps.iter().any(|s| {
        s.query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|p| p == "uploads" || p == "uploads="))
    })
}

/// The keys a scenario leaves in its bucket: its setup objects and what its steps put or post.
fn known_keys(client: &Client, scenario: &Scenario, place: &Place) -> Vec<String> {
    let vars = step_vars(client, place);
    let mut keys: Vec<String> = scenario.objects.iter().map(|o| place.key(&o.key)).collect();
    for step in &scenario.steps {
        let writes = matches!(step.action, Action::Request | Action::Page)
            && (step.form.is_some() || matches!(step.method.as_str(), "PUT" | "POST"));
        if writes {
            let key = Resolved::of(step, place, &vars).key;
            keys.push(key.unwrap_or_else(|| place.key("upload.txt")));
        }
    }
    keys
}

/// Runs browser scenarios in one browser, one at a time (one session, one window).
///
/// A browser that does not start makes every scenario ERROR with its driver's message; the
/// browser and its driver are ended before this returns.
pub async fn run_in_browser(
    client: &Client,
    scenarios: &[Scenario],
    expectations: &Expectations,
    opts: &RunOptions,
    cancel: &Cancel,
    (kind, pages_dir): (crate::model::vocabulary::BrowserKind, &std::path::Path),
    progress: impl Fn(usize, &ScenarioResult),
) -> (crate::model::result::BrowserInfo, Vec<ScenarioResult>) {
    // A scenario that waits (a page step's `pause_ms`: Chromium keeps a preflight 5 s) runs
    // beside the others in the same session: it sleeps between its steps while they take
    // their turns, so the pass costs its work, not its sleeps. Page steps take the browser one
    // at a time (the stage's turn); buckets are made and removed meanwhile.
    let waits = |s: &Scenario| {
        s.steps
            .iter()
            .any(|st| st.page.as_ref().is_some_and(|p| p.pause_ms > 0))
    };
    let (waiting, rest): (Vec<Indexed>, Vec<Indexed>) =
        scenarios.iter().enumerate().partition(|(_, s)| waits(s));
    match crate::browser::stage::Stage::start(kind, client, pages_dir).await {
        Ok(stage) => {
            let beside = waiting.iter().map(|item| {
                run_indexed(
                    client,
                    std::slice::from_ref(item),
                    expectations,
                    opts,
                    cancel,
                    &stage,
                    &progress,
                )
            });
            // Far away, a bucket's setup and teardown wait on the network, and a second lane's
            // page steps fill those waits (a step holds the browser alone). On this machine the
            // store shares the cores with the browser, and a second lane only slows both:
            // measured on Ceph (2 cores), the same pass, and a median scenario of 43-96 ms with
            // one lane against 124-266 ms with two.
            let count = if client.target().on_loopback() { 1 } else { 2 };
            let lanes: Vec<Vec<Indexed>> = (0..count)
                .map(|lane| rest.iter().skip(lane).step_by(count).copied().collect())
                .collect();
            let (waited, judged) = tokio::join!(
                futures_util::future::join_all(beside),
                futures_util::future::join_all(lanes.iter().map(|lane| {
                    run_indexed(client, lane, expectations, opts, cancel, &stage, &progress)
                }))
            );
            let mut results: Vec<(usize, ScenarioResult)> = Vec::new();
            for (items, judged) in lanes.iter().zip(judged) {
                results.extend(items.iter().map(|(i, _)| *i).zip(judged));
            }
            results.extend(
                waiting
                    .iter()
                    .map(|(i, _)| *i)
                    .zip(waited.into_iter().flatten()),
            );
            results.sort_by_key(|(i, _)| *i);
            let info = stage.info();
            stage.close().await;
            (info, results.into_iter().map(|(_, r)| r).collect())
        }
        Err(e) => {
            let info = crate::model::result::BrowserInfo {
                name: kind.name().to_string(),
                version: "not started".to_string(),
                start_ms: 0.0,
            };
            let results = scenarios
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let why = format!("{} did not start: {e}", kind.name());
                    let mut r = ScenarioResult::unjudged(s, Verdict::Error, &why);
                    r.browser = kind.name().to_string();
                    progress(i, &r);
                    r
                })
                .collect();
            (info, results)
        }
    }
}

/// Runs browser scenarios on a started stage, one at a time.
pub async fn run_in_stage(
    client: &Client,
    scenarios: &[Scenario],
    expectations: &Expectations,
    opts: &RunOptions,
    cancel: &Cancel,
    stage: &crate::browser::stage::Stage,
    progress: impl Fn(usize, &ScenarioResult),
) -> Vec<ScenarioResult> {
    let items: Vec<(usize, &Scenario)> = scenarios.iter().enumerate().collect();
    run_indexed(client, &items, expectations, opts, cancel, stage, progress).await
}

/// A scenario with its index in the run's list (which names its bucket).
type Indexed<'a> = (usize, &'a Scenario);

/// Runs browser scenarios on a started stage, one at a time; each keeps the bucket of its
/// index in the run's list, wherever it runs.
async fn run_indexed(
    client: &Client,
    items: &[(usize, &Scenario)],
    expectations: &Expectations,
    opts: &RunOptions,
    cancel: &Cancel,
    stage: &crate::browser::stage::Stage,
    progress: impl Fn(usize, &ScenarioResult),
) -> Vec<ScenarioResult> {
    // Bucket names stay unique across the browsers and the probes of one run.
    let opts = RunOptions {
        run_id: format!("{}{}", opts.run_id, &stage.kind().name()[..1]),
        ..opts.clone()
    };
    let mut results = Vec::with_capacity(items.len());
    for &(index, scenario) in items {
        let place = place_for(client, scenario, &opts, index);
        let result = run_one(client, scenario, expectations, place, cancel, Some(stage)).await;
        progress(index, &result);
        results.push(result);
    }
    results
}

fn skipped(s: &Scenario, reason: &str) -> ScenarioResult {
    ScenarioResult::unjudged(s, Verdict::Skip, reason)
}

/// What a scenario has gathered so far, phase by phase.
#[derive(Default)]
struct Evidence {
    exchanges: Vec<Exchange>,
    checks: Vec<CheckResult>,
    pages: Vec<PageView>,
    /// Why the suite could not judge (ERROR): the first cause.
    error: Option<String>,
    /// A capability the store lacks (501 NotImplemented): SKIP, not a wall of FAILs.
    lacking: Option<String>,
    /// Steps not asked because the store is in another case (`when`), each with why.
    notes: Vec<String>,
    /// What a control exchange found about a failure's cause, said in the verdict's reason.
    causes: Vec<String>,
    /// How long each rules change took to take effect, in milliseconds (when the target asks
    /// for the wait).
    propagation: Vec<f64>,
}

impl Evidence {
    /// True once an error or a missing capability ends the scenario's steps.
    fn stopped(&self) -> bool {
        self.error.is_some() || self.lacking.is_some()
    }
}

/// Why a scenario does not run here (SKIP), or None when it does.
fn not_applicable(
    scenario: &Scenario,
    dialect: crate::model::vocabulary::Dialect,
    in_browser: bool,
) -> Option<String> {
    if scenario.is_browser() && !in_browser {
        return Some("a browser scenario: run it with --mode browser or --mode all".into());
    }
    if !scenario.applies_to(dialect) {
        let dialects: Vec<&str> = scenario
            .dialects
            .iter()
            .flatten()
            .map(|d| d.name())
            .collect();
        return Some(format!(
            "only for the {} dialect(s); this target speaks {}",
            dialects.join(", "),
            dialect.name()
        ));
    }
    None
}

/// Runs one scenario in its place: setup, steps, teardown, verdict. The bucket it created is
/// always removed, whatever happened.
pub async fn run_scenario(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    cancel: &Cancel,
    stage: Option<&crate::browser::stage::Stage>,
) -> ScenarioResult {
    let target = client.target();
    if let Some(why) = not_applicable(scenario, target.dialect, stage.is_some()) {
        return skipped(scenario, &why);
    }
    // Rules may name the page origins; they are known once the pages are served.
    let origins = stage.map(|s| s.origins()).unwrap_or_default();
    let start = Instant::now();
    let mut ev = Evidence::default();
    let bucket_exists = set_up(client, scenario, place, &origins, &mut ev).await;
    if !ev.stopped() {
        run_steps(client, scenario, place, (&origins, stage), cancel, &mut ev).await;
    }
    let known = known_keys(client, scenario, place);
    let uploads = begins_uploads(scenario);
    if bucket_exists
        && let Err(e) = teardown(client, place, (&known, uploads), &mut ev.exchanges).await
    {
        ev.error.get_or_insert(e);
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    result_of(scenario, place, ev, ms, target.dialect.reference_vendor())
}

/// The judged result of a scenario that ran in `place`, taking `ms`.
fn result_of(
    scenario: &Scenario,
    place: &Place,
    ev: Evidence,
    ms: f64,
    reference_vendor: &str,
) -> ScenarioResult {
    let mut result = base_result(scenario);
    result.bucket = place.bucket().to_string();
    result.missing_bucket = place.missing_bucket();
    result.key_prefix = place.key_prefix().to_string();
    result.duration_ms = (ms * 1000.0).round() / 1000.0;
    judged(result, ev, reference_vendor)
}

/// Creates the bucket (or clears an existing one's rules), its objects and its rules.
/// Gives whether a bucket exists that teardown must empty.
async fn set_up(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    origins: &[(String, String)],
    ev: &mut Evidence,
) -> bool {
    let bucket_exists = make_place(client, scenario, place, ev).await;
    if ev.error.is_some() || matches!(place, Place::ReadOnly { .. }) {
        return bucket_exists;
    }
    fill(client, scenario, place, origins, ev).await;
    bucket_exists
}

/// Creates the bucket, or clears an existing one's rules for a scenario without rules.
/// Gives whether a bucket exists that teardown must empty.
async fn make_place(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    ev: &mut Evidence,
) -> bool {
    let bucket = place.bucket();
    match place {
        Place::Fresh(_) => {
            let created = client.create_bucket(Phase::Setup, bucket).await;
            let exists = created.succeeded() || created.response.is_none();
            if !created.succeeded() {
                ev.error = Some(format!("setup: CreateBucket: {}", created.outcome()));
            } else if let Some(hook) = &client.target().bucket_hook
                && let Err(e) = bucket_hook::run(hook, bucket_hook::Event::Created, bucket).await
            {
                ev.error = Some(format!("setup: {e}"));
            }
            ev.exchanges.push(created);
            exists
        }
        Place::ReadOnly { .. } => false,
        // The plan made the bucket, and its first scenario put the rules.
        Place::Tenant { .. } => true,
        Place::Existing { .. } => {
            // A scenario without rules needs a bucket without CORS; the saved rules come back at the end.
            if scenario.cors.is_none() {
                let ex = client.delete_cors(Phase::Setup, bucket).await;
                if !ex.succeeded() {
                    ev.error = Some(format!("setup: DeleteBucketCors: {}", ex.outcome()));
                }
                ev.exchanges.push(ex);
            }
            true
        }
    }
}

/// Puts the scenario's objects, then its rules, waiting for them where the target asks.
async fn fill(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    origins: &[(String, String)],
    ev: &mut Evidence,
) {
    if put_objects(client, scenario, place, ev).await {
        put_rules(client, scenario, place, origins, ev).await;
    }
}

/// Puts the scenario's rules, if it has any, waiting for them where the target asks.
async fn put_rules(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    origins: &[(String, String)],
    ev: &mut Evidence,
) {
    let bucket = place.bucket();
    if let Some(cors) = &scenario.cors {
        let rules = cors.with_origins(origins);
        let ex = client.put_cors(Phase::Setup, bucket, &rules).await;
        if unsupported(&ex) {
            ev.lacking = Some(format!(
                "{} (PutBucketCors answered {})",
                crate::model::capability::NO_CORS_API,
                ex.outcome()
            ));
        } else if !ex.succeeded() {
            ev.error = Some(format!(
                "setup: PutBucketCors with {}: {}",
                scenario.cors_fixture.as_deref().unwrap_or("the rules"),
                ex.outcome()
            ));
        }
        let put = ex.succeeded();
        ev.exchanges.push(ex);
        if put {
            wait_for_rules(client, place, &rules, true, ev).await;
        }
    }
}

/// Puts the scenario's objects in its place; false (the error noted) when one was refused.
async fn put_objects(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    ev: &mut Evidence,
) -> bool {
    for object in &scenario.objects {
        let ex = client
            .put_object(
                Phase::Setup,
                place.bucket(),
                &place.key(&object.key),
                object.body.as_bytes(),
                &object.content_type,
            )
            .await;
        let failed = !ex.succeeded();
        if failed {
            ev.error = Some(format!("setup: PutObject {}: {}", object.key, ex.outcome()));
        }
        ev.exchanges.push(ex);
        if failed {
            return false;
        }
    }
    true
}

/// Where the target asks for it, waits until the witness of `rules` is allowed (`allow`) or
/// refused: a change not in effect within the limit is an ERROR, not a verdict on the store.
async fn wait_for_rules(
    client: &Client,
    place: &Place,
    rules: &crate::model::cors_config::CorsConfiguration,
    allow: bool,
    ev: &mut Evidence,
) {
    let limit = client.target().propagation_timeout_secs;
    let Some(witness) = crate::run::propagation::Witness::of(rules) else {
        return;
    };
    if limit == 0 || client.is_dry_run() {
        return;
    }
    let (sent, waited) = crate::run::propagation::await_rules(
        client,
        place.bucket(),
        &place.key(WITNESS_KEY),
        (&witness, allow),
        std::time::Duration::from_secs(limit),
    )
    .await;
    ev.exchanges.extend(sent);
    match waited {
        crate::run::propagation::Waited::InEffect(ms) => ev.propagation.push(ms),
        crate::run::propagation::Waited::NotInEffect(why) => ev.error = Some(why),
    }
}

/// The key a witness preflight asks for: one that does not exist, so that no object ACL
/// stands between the preflight and the rules.
const WITNESS_KEY: &str = "corsprobe-witness-no-such-key.txt";

/// Runs the steps in order, judging each one's checks, until the last or the first that
/// cannot be judged.
async fn run_steps(
    client: &Client,
    scenario: &Scenario,
    place: &Place,
    (origins, stage): (&[(String, String)], Option<&crate::browser::stage::Stage>),
    cancel: &Cancel,
    ev: &mut Evidence,
) {
    let target = client.target();
    // The run's variables, then what earlier steps captured (an UploadId, a part's ETag).
    let mut vars: BTreeMap<&str, String> = step_vars(client, place);
    let mut urls = std::collections::HashMap::new();
    // What each raw step was answered, for the steps that are asked only in one case of it.
    let mut answered: std::collections::HashMap<&str, Option<u16>> =
        std::collections::HashMap::new();
    // The rules in force, for the wait after a DeleteBucketCors.
    let mut rules = scenario.cors.as_ref().map(|c| c.with_origins(origins));
    for (index, step) in scenario.steps.iter().enumerate() {
        if cancel.is_cancelled() {
            ev.error = Some("interrupted (Ctrl-C) before this step".to_string());
            return;
        }
        if let Some(when) = &step.when {
            let status = answered.get(when.step.as_str()).copied().flatten();
            if !when.holds(status) {
                ev.notes.push(when.unmet(&step.name, status));
                continue;
            }
        }
        if let (Action::Page, Some(stage)) = (step.action, stage) {
            match stage.run_step(step, place, &vars, &mut urls, index).await {
                Ok((view, reached)) => {
                    if matches!(view.outcome, PageOutcome::Timeout | PageOutcome::PageError) {
                        ev.error = Some(format!(
                            "step `{}`: the page did not settle: {}",
                            step.name,
                            view.summary()
                        ));
                    }
                    if let StepChecks::Page(checks) = &step.checks {
                        for check in checks {
                            if check.applies(target.dialect, Some(stage.kind())) {
                                ev.checks.push(check.evaluate(&step.name, &view));
                            }
                        }
                    }
                    if let Some(c) = &step.capture {
                        vars.insert(&c.name, captured_from_page(c, &view));
                    }
                    ev.exchanges.extend(reached);
                    ev.pages.push(view);
                }
                Err(e) => ev.error = Some(format!("step `{}`: {e}", step.name)),
            }
            if ev.error.is_some() {
                return;
            }
            continue;
        }
        let ex = run_step(client, step, place, &vars, origins).await;
        if step.action != Action::Request && unsupported(&ex) {
            ev.lacking = Some(format!(
                "unsupported: {} answered {}",
                ex.label,
                ex.outcome()
            ));
            ev.exchanges.push(ex);
            return;
        }
        let mut control = None;
        match &ex.response {
            Some(resp) => {
                let before = ev.checks.len();
                if let StepChecks::Exchange(checks) = &step.checks {
                    for check in checks {
                        if check.applies(target.dialect, None) {
                            ev.checks
                                .push(check.evaluate(&step.name, &ex.request, resp));
                        }
                    }
                }
                if refused_preflight(&ex, &ev.checks[before..]) {
                    control = Some(acl_control(client, step, place, &vars, origins).await);
                }
            }
            None => {
                ev.error = Some(format!(
                    "step `{}`: {} {} failed: {}",
                    step.name,
                    ex.request.method,
                    ex.request.url,
                    ex.error.as_deref().unwrap_or("no response")
                ));
            }
        }
        answered.insert(&step.name, ex.response.as_ref().map(|r| r.status));
        if let Some(c) = &step.capture {
            vars.insert(&c.name, captured_from_exchange(c, &ex));
        }
        let changed = ex.succeeded();
        ev.exchanges.push(ex);
        if let Some((control, cause)) = control {
            ev.exchanges.push(control);
            ev.causes.push(cause);
        }
        // The steps after a rules change must meet the new rules, not the old ones.
        match (step.action, changed) {
            (Action::PutCors, true) => {
                let put = step.cors.as_ref().expect("validated").with_origins(origins);
                wait_for_rules(client, place, &put, true, ev).await;
                rules = Some(put);
            }
            (Action::DeleteCors, true) => {
                if let Some(old) = rules.take() {
                    wait_for_rules(client, place, &old, false, ev).await;
                }
            }
            _ => {}
        }
        if ev.error.is_some() {
            return;
        }
    }
}

/// What a page step gives a later step: the element of the body the page read, or a header
/// it could read; `null` where the page could not, as a page's script would get.
fn captured_from_page(c: &Capture, view: &PageView) -> String {
    let found = match &c.from {
        CaptureFrom::Element(name) => view
            .body
            .as_deref()
            .and_then(|b| crate::model::xml::element_texts(b, name).into_iter().next()),
        CaptureFrom::Header(name) => view
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone()),
    };
    found.unwrap_or_else(|| NOT_READ.to_string())
}

/// What a raw step gives a later step: an element of the body or a header of the answer.
fn captured_from_exchange(c: &Capture, ex: &Exchange) -> String {
    let found = ex.response.as_ref().and_then(|r| match &c.from {
        CaptureFrom::Element(name) => crate::model::xml::element_texts(&r.body, name)
            .into_iter()
            .next(),
        CaptureFrom::Header(name) => r.header(name),
    });
    found.unwrap_or_else(|| NOT_READ.to_string())
}

/// True for a preflight the store refused with 403 where a check expected it to pass: the
/// refusal may come from the rules or from a gate ahead of them (moto checks the object's ACL
/// before it reads any rule), and only a control tells the two apart.
fn refused_preflight(ex: &Exchange, judged: &[crate::model::check::CheckResult]) -> bool {
    let preflight = ex.is_preflight();
    let forbidden = ex.response.as_ref().is_some_and(|r| r.status == 403);
    let expected_through = judged.iter().any(|c| {
        !c.ok
            && c.check
                .starts_with(crate::model::check::exchange::FETCH_CHECK)
            && c.expected == "allowed"
    });
    preflight && forbidden && expected_through
}

/// The key a control preflight asks for: one no scenario creates.
const CONTROL_KEY: &str = "corsprobe-control-no-such-key.txt";

/// Sends the same preflight to a key that does not exist and says what that shows.
async fn acl_control(
    client: &Client,
    step: &Step,
    place: &Place,
    vars: &BTreeMap<&str, String>,
    origins: &[(String, String)],
) -> (Exchange, String) {
    let mut absent = step.clone();
    absent.key = Some(CONTROL_KEY.to_string());
    let label = format!("{} control, to a key that does not exist", step.name);
    let ex = run_step(client, &absent, place, vars, origins)
        .await
        .relabel(&label);
    let allowed = ex.response.as_ref().is_some_and(|resp| {
        crate::model::check::browser_decision(
            &ex.request,
            resp,
            false,
            crate::model::fetch_rules::Rules::Shipped,
        )
        .is_ok()
    });
    let cause = if allowed {
        format!(
            "cause: a gate ahead of the rules (such as an object ACL check): step `{}` was refused on the existing object, while the same preflight to a key that does not exist is allowed",
            step.name
        )
    } else {
        format!(
            "cause: the rules themselves: step `{}` is refused on a key that does not exist too",
            step.name
        )
    };
    (ex, cause)
}

/// The verdict from what was gathered: SKIP for a missing capability, ERROR when the suite
/// could not judge, else the checks' verdict.
fn judged(mut result: ScenarioResult, ev: Evidence, reference_vendor: &str) -> ScenarioResult {
    result.exchanges = ev.exchanges;
    result.pages = ev.pages;
    result.notes = ev.notes;
    result.propagation_ms = ev.propagation;
    match (ev.error, ev.lacking) {
        (None, Some(why)) => {
            result.verdict = Verdict::Skip;
            result.reason = why;
        }
        (Some(e), _) => {
            result.verdict = Verdict::Error;
            result.reason = e;
            result.checks = ev.checks;
        }
        (None, None) => {
            let (verdict, reason) = judge(&ev.checks, reference_vendor);
            result.verdict = verdict;
            result.reason = if ev.causes.is_empty() {
                reason
            } else {
                format!("{reason}; {}", ev.causes.join("; "))
            };
            result.checks = ev.checks;
        }
    }
    result
}

async fn run_step(
    client: &Client,
    step: &Step,
    place: &Place,
    vars: &BTreeMap<&str, String>,
    origins: &[(String, String)],
) -> Exchange {
    let resolved = Resolved::of(step, place, vars);
    let target_bucket = resolved.bucket;
    match step.action {
        Action::PutCors => {
            let cfg = step.cors.as_ref().expect("validated: put-cors has rules");
            let cfg = cfg.with_origins(origins);
            let ex = if step.content_md5 {
                client.put_cors(Phase::Step, &target_bucket, &cfg).await
            } else {
                client
                    .put_cors_without_md5(Phase::Step, &target_bucket, &cfg)
                    .await
            };
            ex.relabel(&step.name)
        }
        Action::GetCors => client
            .get_cors(Phase::Step, &target_bucket)
            .await
            .relabel(&step.name),
        Action::DeleteCors => client
            .delete_cors(Phase::Step, &target_bucket)
            .await
            .relabel(&step.name),
        Action::Page => {
            unreachable!("page steps run on a browser stage; without one the scenario is skipped")
        }
        Action::Request if step.form.is_some() => {
            let key = resolved.key.as_deref().unwrap_or("upload.txt");
            let form = crate::store::post_policy::form_fields(
                client.target(),
                &target_bucket,
                key,
                client.now(),
                step.form.unwrap_or_default(),
                &[crate::store::post_policy::Condition::ContentLengthRange(
                    0,
                    1 << 20,
                )],
            );
            let file = resolved.body.unwrap_or_default();
            let file_name = key.rsplit('/').next().unwrap_or(key);
            let (content_type, body) = crate::store::post_policy::multipart(
                &form.fields,
                file_name,
                "text/plain",
                file.as_bytes(),
            );
            let mut headers = resolved.headers;
            headers.push(("content-type".to_string(), content_type));
            let req = Request {
                method: "POST".to_string(),
                url: client.url(&target_bucket, None, None),
                headers,
                body,
            };
            client.send(Phase::Step, &step.name, req).await
        }
        Action::Request => {
            let mut req = Request {
                method: step.method.clone(),
                url: client.url(
                    &target_bucket,
                    resolved.key.as_deref(),
                    resolved.query.as_deref(),
                ),
                headers: resolved.headers,
                body: resolved.body.map(String::into_bytes).unwrap_or_default(),
            };
            if let Err(e) = client.sign(&mut req, step.sign) {
                return Exchange {
                    phase: Phase::Step,
                    label: step.name.clone(),
                    request: crate::model::exchange::RecordedRequest {
                        method: req.method.clone(),
                        url: client.redactor().url(req.url.as_str()),
                        headers: vec![],
                        body_bytes: req.body.len(),
                    },
                    response: None,
                    error: Some(format!("cannot sign: {e}")),
                    duration_ms: 0.0,
                };
            }
            client.send(Phase::Step, &step.name, req).await
        }
    }
}

trait Relabel {
    fn relabel(self, label: &str) -> Self;
}

impl Relabel for Exchange {
    fn relabel(mut self, label: &str) -> Self {
        self.label = format!("{label} ({})", self.label);
        self
    }
}

/// Deletes every object the scenario created, then its bucket unless the bucket existed before.
/// The `known` keys (setup objects, what the steps put) go first. The safety net for anything
/// else a step or the store made is the store's own: DeleteBucket refuses a bucket that is not
/// empty (409 BucketNotEmpty), and only then is the bucket listed and emptied. Inside an
/// existing bucket, which is never deleted, one listing of the prefix is the net, and one of
/// the multipart uploads when a step began one (`uploads`).
async fn teardown(
    client: &Client,
    place: &Place,
    (known, uploads): (&[String], bool),
    exchanges: &mut Vec<Exchange>,
) -> Result<(), String> {
    let bucket = place.bucket();
    let prefix = match place {
        Place::Fresh(_) => None,
        Place::Existing { key_prefix, .. } | Place::Tenant { key_prefix, .. } => {
            Some(key_prefix.as_str())
        }
        Place::ReadOnly { .. } => return Ok(()),
    };
    let mut keys: Vec<&str> = Vec::new();
    for key in known {
        if !keys.contains(&key.as_str()) {
            keys.push(key);
        }
    }
    for chunk in keys.chunks(1000) {
        delete_keys(client, bucket, chunk, exchanges).await;
    }
    if let Some(prefix) = prefix {
        empty(client, bucket, Some(prefix), exchanges).await;
        if uploads {
            abort_uploads(client, bucket, prefix, exchanges).await;
        }
        return Ok(());
    }
    let mut removed = client.delete_bucket(Phase::Teardown, bucket).await;
    if not_empty(&removed) {
        exchanges.push(removed);
        empty(client, bucket, None, exchanges).await;
        abort_uploads(client, bucket, "", exchanges).await;
        removed = client.delete_bucket(Phase::Teardown, bucket).await;
    }
    let outcome = removed.outcome();
    let ok = removed.succeeded();
    exchanges.push(removed);
    if !ok {
        return Err(format!(
            "teardown: DeleteBucket {bucket}: {outcome}; remove it with `corsprobe clean`"
        ));
    }
    match &client.target().bucket_hook {
        Some(hook) => bucket_hook::run(hook, bucket_hook::Event::Deleted, bucket)
            .await
            .map_err(|e| format!("teardown: {e}; remove it with `corsprobe clean`")),
        None => Ok(()),
    }
}
