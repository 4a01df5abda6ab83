//! `cargo test` runs the suite against the default local store through the same engine as the CLI.
//!
//! Trials: `probe::<target>::<scenario>` passes unless the verdict fails the gate (FAIL, ERROR,
//! XPASS); `snapshot::<target>::<scenario>` compares the CORS observation with the stored
//! snapshot through insta, which prints the difference; accept with `--accept-snapshots` (or
//! `INSTA_UPDATE=always`).

mod common;
use corsprobe::model::result::BrowserInfo;

use corsprobe::browser::stage::WEBKIT_HTTPS;
use corsprobe::model::exchange::Phase;
use corsprobe::model::expectations::Expectations;
use corsprobe::model::result::ScenarioResult;
use corsprobe::model::verdict::Verdict;
use corsprobe::model::vocabulary::BrowserKind;
use corsprobe::model::{scenario, snapshot};
use corsprobe::proxy::faults::Fault;
use corsprobe::report::{console, record::RunRecord};
use corsprobe::run::engine::{self, Cancel, RunOptions};
use corsprobe::run::mutation::{self, FaultOutcome};
use corsprobe::run::session::Session;
use corsprobe::store::client::Client;
use corsprobe::store::{local, target};
use libtest_mimic::{Arguments, Trial};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const TARGET: &str = "ceph";

use common::repo as root;

/// Everything the store-backed trials judge, gathered in one store session.
struct Evidence {
    results: Vec<ScenarioResult>,
    /// Per fault: the mutation outcome.
    faults: Result<Vec<FaultOutcome>, String>,
    /// Buckets with the run's prefix still listed after the run.
    leftovers: Vec<String>,
    /// Interrupted CLI runs: the signal, its delay, the exit code, and the buckets with the
    /// target's prefix and the browser processes still there afterwards.
    interrupted: Vec<Interrupted>,
    /// The README's CI recipe followed from a directory outside the clone.
    recipe: Result<Recipe, String>,
    /// Every output the run produced, unscrubbed: raw JSON, console text, snapshots.
    outputs: Vec<(String, String)>,
    /// Values that must appear in none of the outputs.
    secrets: Vec<String>,
    /// The run inside existing buckets.
    existing: Result<ExistingRun, String>,
    /// The run against a bucket configured beforehand, as a probe-only target.
    probe_only: Result<ProbeOnlyRun, String>,
    /// The same scenarios addressed virtual-host style (`bucket.s3.vendor.localhost`).
    virtual_host: Result<Vec<ScenarioResult>, String>,
    /// The probe and browser scenarios against the vendor-like endpoint.
    vendor_like: Result<VendorLike, String>,
    /// A signed browser-form upload: (status, body read back).
    post_upload: Result<(u16, Option<String>), String>,
    /// One scenario through the stale-rules fault, waiting 0, 1 and 10 s for rules changes.
    propagation: Result<Vec<(u64, ScenarioResult)>, String>,
    /// `corsprobe clean`: (exit code, prefixed buckets still there, foreign bucket still there).
    clean: Result<(i32, Vec<String>, bool), String>,
    /// `corsprobe bench` once: (exit code, what it printed, prefixed buckets left afterwards).
    bench: Result<(i32, String, Vec<String>), String>,
    /// `corsprobe diagnose` on broken set-ups of one bucket.
    diagnose: Result<Vec<Diagnosed>, String>,
    /// The browser scenarios in each browser.
    browsers: Vec<BrowserRun>,
    /// A browser run whose driver cannot start: (exit code, the JSON record's verdicts and reasons).
    dead_driver: Result<(i32, Vec<(String, String)>), String>,
    /// Browser, driver and display processes, and display lock files, left after the run.
    browser_processes_left: Vec<String>,
    /// Each finding of the probe run reproduced by its `corsprobe repro` script.
    repros: Result<Repros, String>,
    /// The probe scenarios once more, every one in a bucket of its own (the plan off).
    unplanned: Vec<ScenarioResult>,
}

/// The findings of the probe run and what their repro scripts printed against the store.
struct Repros {
    findings: Vec<corsprobe::model::finding::Finding>,
    /// Per finding with a raw-probe scenario: (finding id, script, its output and exit code).
    runs: Vec<(String, String, String, i32)>,
    /// Buckets named `<prefix>repro-` still listed after the scripts ran.
    leftovers: Vec<String>,
    /// The cache collision's repro page opened in headless Chromium: (exit code, output).
    page: (i32, String),
}

/// The suite against the store made to look like a remote vendor (TLS on
/// `s3.vendor.localhost` with a CA made at run time, buckets addressed virtual-host style):
/// the probe scenarios and each browser's browser scenarios.
#[derive(Clone)]
struct VendorLike {
    probes: Vec<ScenarioResult>,
    browsers: Vec<(BrowserKind, Vec<ScenarioResult>)>,
}

/// Pages' fetches of destinations off the proxy's routes, (URL, what the page saw), and the
/// refusals the proxy logged.
type Refusals = (Vec<(String, String)>, Vec<String>);

/// The browser scenarios in one browser: straight against the store, then through the fault
/// proxy clean and with each browser-relevant fault.
struct BrowserRun {
    kind: BrowserKind,
    /// Destinations off the proxy's routes fetched from a page: (URL, what the page saw), and
    /// the refusals the proxy logged.
    refusals: Result<Refusals, String>,
    direct: Result<(BrowserInfo, Vec<ScenarioResult>), String>,
    through_proxy: Result<(Vec<ScenarioResult>, Vec<FaultOutcome>), String>,
    /// Samples taken of the browser's sockets while it ran, and the peers off loopback seen.
    peers: (usize, Vec<common::sockets::OffLoopback>),
}

/// Faults that touch what a page sees; each browser scenario's verdict changes under one.
const BROWSER_FAULTS: [Fault; 9] = [
    Fault::AcaoDropped,
    Fault::PreflightAllowsDisallowed,
    Fault::VaryDropped,
    Fault::VaryDroppedWithoutOrigin,
    Fault::AcehDropped,
    Fault::ExposeAllHeaders,
    Fault::MaxAgeDropped,
    Fault::PreflightDeniesAllowed,
    Fault::ReflectWithCredentials,
];

/// Runs `corsprobe run --mode browser` with a driver that exits at once; reads its record.
fn run_with_dead_driver(root: &Path) -> Result<(i32, Vec<(String, String)>), String> {
    let report =
        std::env::temp_dir().join(format!("corsprobe-dead-driver-{}.json", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args([
            "--root",
            root.to_str().unwrap_or("."),
            "run",
            "--no-start",
            "--mode",
            "browser",
        ])
        .args([
            "--browser",
            "chromium",
            "browser/presigned-put",
            "--report-json",
        ])
        .arg(&report)
        .env("CORSPROBE_CHROMEDRIVER", "false")
        .output()
        .map_err(|e| e.to_string())?;
    let text =
        std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    let _ = std::fs::remove_file(&report);
    let record: RunRecord = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok((
        out.status.code().unwrap_or(-1),
        record
            .results
            .iter()
            .map(|r| (r.verdict.name().to_string(), r.reason.clone()))
            .collect(),
    ))
}

/// Every live process (zombies aside): pid, process group and command line, from /proc.
fn live_processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name (which may hold spaces): state ppid pgrp ...
        let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.first() == Some(&"Z") {
            continue;
        }
        let Some(pgrp) = fields.get(2).and_then(|f| f.parse::<u32>().ok()) else {
            continue;
        };
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        out.push((pid, pgrp, String::from_utf8_lossy(&cmd).replace('\0', " ")));
    }
    out
}

/// Processes whose process group is one of `groups`.
fn processes_in_groups(groups: &[u32]) -> Vec<u32> {
    live_processes()
        .into_iter()
        .filter(|(_, pgrp, _)| groups.contains(pgrp))
        .map(|(pid, _, _)| pid)
        .collect()
}

/// What a probe-only run saw and left.
#[derive(Clone)]
struct ProbeOnlyRun {
    results: Vec<ScenarioResult>,
    rules_unchanged: bool,
    keys_after: Vec<String>,
}

/// Configures a bucket by hand, then runs the whole suite against it as a probe-only target.
async fn run_probe_only(
    client: &Client,
    target: &target::Target,
    expectations: &Expectations,
    scenarios: &[scenario::Scenario],
    run_id: &str,
    root: &Path,
) -> Result<ProbeOnlyRun, String> {
    let bucket = format!("preconfigured-{run_id}");
    let rules_file = Path::new("fixtures/cors-rules/origin-exact.xml");
    let rules = corsprobe::model::cors_config::CorsConfiguration::load(&root.join(rules_file))?;
    for ex in [
        client.create_bucket(Phase::Setup, &bucket).await,
        client
            .put_object(
                Phase::Setup,
                &bucket,
                "test.txt",
                b"just for test",
                "text/plain",
            )
            .await,
        client.put_cors(Phase::Setup, &bucket, &rules).await,
    ] {
        if !ex.succeeded() {
            return Err(format!("{}: {}", ex.label, ex.outcome()));
        }
    }
    let before = engine::save_cors(client, &bucket).await?;
    let mut t = target.clone();
    t.probe_only = Some(target::ProbeOnly {
        bucket: bucket.clone(),
        rules,
        rules_file: rules_file.to_path_buf(),
        objects: vec![("test.txt".into(), Some("just for test".into()))],
    });
    let probe_client = Client::new(&t, Duration::from_secs(20))?;
    let opts = RunOptions::for_target(&t, 4);
    let results = engine::run_all(
        &probe_client,
        scenarios,
        expectations,
        &opts,
        &Cancel::default(),
        |_, _| {},
    )
    .await;
    let after = engine::save_cors(client, &bucket).await?;
    let (_, keys_after) = client.list_keys(Phase::Teardown, &bucket, None).await;
    for k in &keys_after {
        client.delete_object(Phase::Teardown, &bucket, k).await;
    }
    client.delete_bucket(Phase::Teardown, &bucket).await;
    Ok(ProbeOnlyRun {
        results,
        rules_unchanged: before.body == after.body && before.body.is_some(),
        keys_after,
    })
}

/// Fetches two destinations the proxy has no route to from a page, in `kind`: one over plain
/// HTTP to an address off loopback, one over HTTPS to a name that does not exist.
async fn refused_destinations(kind: BrowserKind, pages: &Path) -> Result<Refusals, String> {
    use corsprobe::proxy::forward::{ForwardProxy, Route};
    corsprobe::tls::install_provider();
    let server = corsprobe::browser::page_server::PageServer::start(pages).await?;
    let mut routes = Vec::new();
    for (_, origin) in server.variables() {
        routes.push(Route::page(
            &reqwest::Url::parse(&origin).map_err(|e| e.to_string())?,
        ));
    }
    let authority = std::sync::Arc::new(corsprobe::tls::authority::Authority::new("refusals")?);
    let spki_sha256 = authority.leaf_spki_sha256();
    corsprobe::tls::install_provider();
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| e.to_string())?;
    let proxy = ForwardProxy::start(routes, authority, client).await?;
    let via = corsprobe::browser::driver::ViaProxy {
        port: proxy.port(),
        spki_sha256,
    };
    let browser = corsprobe::browser::driver::Browser::start(kind, Some(&via)).await?;
    let page = server.page("a").ok_or("no page origin a")?;
    let mut seen = Vec::new();
    for url in [
        "http://198.51.100.7/corsprobe.txt",
        "https://corsprobe-elsewhere.example/corsprobe.txt",
    ] {
        let op = serde_json::json!({
            "via": "fetch", "method": "GET", "url": url, "headers": [], "body": null,
            "credentials": false, "cache": "no-store", "timeout_ms": 15000, "form": null,
        });
        let outcome = match browser.run(&page, op).await {
            Ok(r) => r.outcome,
            Err(e) => format!("error: {e}"),
        };
        seen.push((url.to_string(), outcome));
    }
    browser.close().await;
    Ok((
        seen,
        proxy.refusals().iter().map(ToString::to_string).collect(),
    ))
}

/// Puts the store behind TLS on `s3.vendor.localhost` with a CA made now, and runs the probe
/// and browser scenarios against it as against any remote vendor.
async fn vendor_like(
    plain: &target::Target,
    scenarios: &[scenario::Scenario],
    in_browser: &[scenario::Scenario],
    expectations: &Expectations,
    pages: &Path,
) -> Result<VendorLike, String> {
    use corsprobe::model::vocabulary::Addressing;
    let authority = corsprobe::tls::authority::Authority::new("vendor-like")?;
    let store = plain
        .endpoint
        .socket_addrs(|| None)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("the store's endpoint has no address")?;
    let name = "s3.vendor.localhost";
    let front = corsprobe::proxy::tls_front::TlsFront::start(name, &authority, store).await?;
    let ca = std::env::temp_dir().join(format!("corsprobe-vendor-ca-{}.pem", std::process::id()));
    authority.write_pem(&ca)?;
    let mut t = plain.clone();
    t.name = "ceph-vendor-like".into();
    t.endpoint = reqwest::Url::parse(&format!("https://{name}:{}", front.port()))
        .map_err(|e| e.to_string())?;
    t.addressing = Addressing::Virtual;
    t.ca_file = Some(ca.clone());
    let run = suite_run(&t, scenarios, in_browser, expectations, pages).await;
    let _ = std::fs::remove_file(&ca);
    run
}

/// Runs the probe scenarios, then the browser scenarios in each browser, against `t`.
async fn suite_run(
    t: &target::Target,
    scenarios: &[scenario::Scenario],
    in_browser: &[scenario::Scenario],
    expectations: &Expectations,
    pages: &Path,
) -> Result<VendorLike, String> {
    let client = Client::new(t, Duration::from_secs(20))?;
    client.reach().await?;
    let opts = RunOptions::new(4);
    let probes = engine::run_all(
        &client,
        scenarios,
        expectations,
        &opts,
        &Cancel::default(),
        |_, _| {},
    )
    .await;
    let mut browsers = Vec::new();
    for kind in BrowserKind::ALL {
        let (_, results) = engine::run_in_browser(
            &client,
            in_browser,
            expectations,
            &opts,
            &Cancel::default(),
            (kind, pages),
            |_, _| {},
        )
        .await;
        browsers.push((kind, results));
    }
    Ok(VendorLike { probes, browsers })
}

/// Uploads through a SigV4 POST policy form, as a page would, and reads the object back.
/// The scenario the propagation trials run: one preflight its rules allow.
const STALE_SCENARIO: &str = "preflight/headers/listed";

/// Runs one scenario through the stale-rules fault, waiting 0, 1 and 10 s for rules to take
/// effect: what a vendor that applies changes late does to each.
async fn stale_rules(
    target: &target::Target,
    scenarios: &[scenario::Scenario],
    pages: &Path,
) -> Result<Vec<(u64, ScenarioResult)>, String> {
    let one: Vec<scenario::Scenario> = scenarios
        .iter()
        .filter(|s| s.id == STALE_SCENARIO)
        .cloned()
        .collect();
    let mut out = Vec::new();
    for wait in [0, 1, 10] {
        let mut t = target.clone();
        t.propagation_timeout_secs = wait;
        let (_, outcomes) = mutation::run(
            &t,
            &one,
            &[Fault::StaleRules],
            1,
            Duration::from_secs(20),
            (&[], pages),
            &Cancel::default(),
        )
        .await?;
        let result = outcomes
            .first()
            .and_then(|o| o.results.first())
            .cloned()
            .ok_or("the fault run gave no result")?;
        out.push((wait, result));
    }
    Ok(out)
}

async fn post_upload(
    client: &Client,
    target: &target::Target,
    run_id: &str,
) -> Result<(u16, Option<String>), String> {
    use corsprobe::store::post_policy::{Condition, multipart, signed_form};
    let bucket = format!("{}{run_id}-post", target.bucket_prefix);
    let created = client.create_bucket(Phase::Setup, &bucket).await;
    if !created.succeeded() {
        return Err(format!("CreateBucket: {}", created.outcome()));
    }
    let now = std::time::SystemTime::now();
    let key = "uploads/form.txt";
    let content = "uploaded through a signed form\n";
    let form = signed_form(
        target,
        &bucket,
        key,
        now,
        now + Duration::from_secs(600),
        &[Condition::ContentLengthRange(1, 1024)],
    );
    let (content_type, body) =
        multipart(&form.fields, "form.txt", "text/plain", content.as_bytes());
    let post = corsprobe::store::client::Request {
        method: "POST".into(),
        url: client.url(&bucket, None, None),
        headers: vec![("content-type".into(), content_type)],
        body,
    };
    let answer = client.send(Phase::Step, "PostObject", post).await;
    let mut get = corsprobe::store::client::Request {
        method: "GET".into(),
        url: client.url(&bucket, Some(key), None),
        headers: vec![],
        body: vec![],
    };
    client.sign(&mut get, corsprobe::model::vocabulary::Signing::Header)?;
    let read = client.send(Phase::Step, "GetObject", get).await;
    let (_, removed) = engine::remove_bucket(client, &bucket).await;
    removed?;
    let status = answer
        .response
        .as_ref()
        .map(|r| r.status)
        .ok_or_else(|| answer.outcome())?;
    Ok((
        status,
        read.response.filter(|r| r.status == 200).map(|r| r.body),
    ))
}

/// One `corsprobe diagnose` run on a broken set-up.
#[derive(Clone, Debug)]
struct Diagnosed {
    /// What is broken, and the words the diagnosis must end with.
    case: &'static str,
    expected: &'static str,
    code: i32,
    output: String,
    /// GetBucketCors before and after, and the keys left in the bucket after.
    rules_before: Option<String>,
    rules_after: Option<String>,
    keys_after: Vec<String>,
}

/// The broken set-ups `diagnose` must tell apart, each with its arguments and the cause its
/// last line must name (the bucket holds `test.txt` under origin-exact.xml: www.example.com may
/// GET, PUT and HEAD, no header is allowed, nothing is exposed).
const DIAGNOSE_CASES: [(&str, &[&str], &str); 6] = [
    (
        "origin-not-listed",
        &[
            "--origin",
            "http://app.example",
            "--key",
            "test.txt",
            "--presigned",
        ],
        "diagnosis: CORS rules: no rule lists the origin http://app.example",
    ),
    (
        "method-not-listed",
        &[
            "--origin",
            "http://www.example.com",
            "--method",
            "DELETE",
            "--key",
            "test.txt",
            "--presigned",
        ],
        "diagnosis: CORS rules: the rules for http://www.example.com do not allow DELETE",
    ),
    (
        "header-not-listed",
        &[
            "--origin",
            "http://www.example.com",
            "--method",
            "PUT",
            "--header",
            "x-amz-meta-color: red",
            "--key",
            "up.txt",
            "--presigned",
        ],
        "diagnosis: CORS rules: no rule for http://www.example.com PUT allows the header x-amz-meta-color",
    ),
    (
        "bad-signature",
        &[
            "--origin",
            "http://www.example.com",
            "--key",
            "test.txt",
            "--sign",
            "bad-presign",
        ],
        "diagnosis: not CORS: the store refused the request itself (403 SignatureDoesNotMatch: a bad signature)",
    ),
    (
        "etag-not-exposed",
        &[
            "--origin",
            "http://www.example.com",
            "--method",
            "PUT",
            "--key",
            "part.bin",
            "--presigned",
            "--expose",
            "ETag",
        ],
        "diagnosis: CORS rules: etag is not exposed",
    ),
    (
        "nothing-wrong",
        &[
            "--origin",
            "http://www.example.com",
            "--key",
            "test.txt",
            "--presigned",
        ],
        "diagnosis: no CORS problem",
    ),
];

/// Runs `corsprobe diagnose` on each broken set-up against one bucket, reading its rules and
/// keys before and after each run, then removes the bucket.
async fn diagnose_cases(
    root: &Path,
    client: &Client,
    prefix: &str,
    run_id: &str,
) -> Result<Vec<Diagnosed>, String> {
    let bucket = format!("{prefix}diagnose-{run_id}");
    let made = client.create_bucket(Phase::Setup, &bucket).await;
    if !made.succeeded() {
        return Err(format!("CreateBucket {bucket}: {}", made.outcome()));
    }
    let rules = corsprobe::model::cors_config::CorsConfiguration::load(
        &root.join("fixtures/cors-rules/origin-exact.xml"),
    )?;
    let setup = [
        client
            .put_object(
                Phase::Setup,
                &bucket,
                "test.txt",
                b"just for test",
                "text/plain",
            )
            .await,
        client.put_cors(Phase::Setup, &bucket, &rules).await,
    ];
    let mut out = Vec::new();
    let mut failed = setup
        .iter()
        .find(|e| !e.succeeded())
        .map(|e| format!("setup: {}", e.outcome()));
    if failed.is_none() {
        for (case, args, expected) in DIAGNOSE_CASES {
            let before = engine::save_cors(client, &bucket).await?.body;
            let bin = env!("CARGO_BIN_EXE_corsprobe");
            let mut all = vec![
                "--root".to_string(),
                root.display().to_string(),
                "diagnose".into(),
            ];
            all.extend([
                "--target".to_string(),
                TARGET.to_string(),
                "--bucket".into(),
                bucket.clone(),
            ]);
            all.extend(args.iter().map(|a| a.to_string()));
            let output = tokio::task::spawn_blocking(move || {
                std::process::Command::new(bin).args(&all).output()
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            let after = engine::save_cors(client, &bucket).await?.body;
            let (_, keys_after) = client.list_keys(Phase::Teardown, &bucket, None).await;
            out.push(Diagnosed {
                case,
                expected,
                code: output.status.code().unwrap_or(-1),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
                rules_before: before,
                rules_after: after,
                keys_after,
            });
        }
    }
    let (_, removed) = engine::remove_bucket(client, &bucket).await;
    if let Err(e) = removed {
        failed.get_or_insert(e);
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// What a diagnose run must show: the cause named last, the exit code, the rules as before
/// byte for byte, the bucket's objects untouched, and no signature printed.
fn judge_diagnosis(d: &Diagnosed) -> Result<(), String> {
    let last = d
        .output
        .lines()
        .rev()
        .find(|l| l.starts_with("diagnosis:"))
        .unwrap_or("");
    if !last.starts_with(d.expected) {
        return Err(format!(
            "expected `{}…`, got `{last}`:\n{}",
            d.expected, d.output
        ));
    }
    let want_code = if d.case == "nothing-wrong" { 0 } else { 4 };
    if d.code != want_code {
        return Err(format!(
            "exit {} (expected {want_code}):\n{}",
            d.code, d.output
        ));
    }
    if d.rules_before.is_none() || d.rules_after != d.rules_before {
        return Err(format!(
            "the rules were not restored byte for byte: before {:?}, after {:?}",
            d.rules_before, d.rules_after
        ));
    }
    if d.keys_after != ["test.txt"] {
        return Err(format!("the bucket's keys changed: {:?}", d.keys_after));
    }
    if d.output.contains("Signature=") || d.output.contains("X-Amz-Credential=") {
        return Err(format!("a signature was printed:\n{}", d.output));
    }
    Ok(())
}

/// Leaves a prefixed bucket (with an object) and a foreign one, runs `corsprobe clean`, lists.
/// The scenarios `bench_once` measures: a reader and a writer of objects of the same rules, so
/// one bucket serves both (the writer as a tenant).
const BENCH_SCENARIOS: [&str; 2] = ["preflight/origin/exact", "actual/put-matching-origin"];

/// Runs `corsprobe bench` once at widths 1 and 2 on two scenarios; gives its exit code, what it
/// printed and the buckets with the target's prefix listed afterwards.
async fn bench_once(
    root: &Path,
    client: &Client,
    prefix: &str,
) -> Result<(i32, String, Vec<String>), String> {
    let bin = env!("CARGO_BIN_EXE_corsprobe");
    let root_arg = root.to_str().unwrap_or(".").to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(["--root", &root_arg, "bench", "--target", TARGET])
            .args(["--runs", "1", "--jobs", "1,2"])
            .args(BENCH_SCENARIOS)
            .output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let (_, names) = client.list_buckets(Phase::Teardown).await;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        names
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect(),
    ))
}

/// What `bench_once` must show: the stable tab-separated lines (a run and a median per width,
/// exchanges adding up by phase, one bucket for the reader and its tenant), the store-alone
/// lines, and no bucket left behind.
fn judge_bench(code: i32, printed: &str, left: &[String]) -> Result<(), String> {
    if code != 0 {
        return Err(format!("corsprobe bench exited {code}:\n{printed}"));
    }
    if !left.is_empty() {
        return Err(format!("buckets left: {left:?}"));
    }
    let lines: Vec<&str> = printed.lines().collect();
    let header = "jobs\trun\twall_ms\tchecks\tms_per_check\texchanges\tsetup\tstep\tteardown\tbuckets\tfloor_ms";
    if !lines.contains(&header) {
        return Err(format!("no header line `{header}`:\n{printed}"));
    }
    for jobs in ["1", "2"] {
        for run in ["1", "median"] {
            let line = lines
                .iter()
                .find(|l| l.starts_with(&format!("{jobs}\t{run}\t")))
                .ok_or_else(|| format!("no line for jobs {jobs}, run {run}:\n{printed}"))?;
            let f: Vec<f64> = line
                .split('\t')
                .skip(2)
                .map(|v| v.parse::<f64>().map_err(|_| format!("`{v}` in `{line}`")))
                .collect::<Result<_, _>>()?;
            let [
                wall,
                checks,
                _,
                exchanges,
                setup,
                step,
                teardown,
                buckets,
                _,
            ] = f[..]
            else {
                return Err(format!("not 11 fields: `{line}`"));
            };
            if wall <= 0.0 || checks < 2.0 || exchanges != setup + step + teardown {
                return Err(format!("the figures do not add up: `{line}`"));
            }
            if buckets != 1.0 {
                return Err(format!(
                    "{buckets} buckets for a reader and its tenant: `{line}`"
                ));
            }
        }
    }
    for width in ["1", "2"] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("store\t{width}\t")))
            .ok_or_else(|| format!("no store-alone line for width {width}:\n{printed}"))?;
        if !line.ends_with("\t200") {
            return Err(format!("not 200 requests: `{line}`"));
        }
    }
    match lines.last() {
        Some(l) if l.starts_with("store alone (") && l.contains("x as fast") => Ok(()),
        other => Err(format!("the last line is {other:?}")),
    }
}

async fn clean_leftovers(
    root: &Path,
    client: &Client,
    prefix: &str,
    run_id: &str,
) -> Result<(i32, Vec<String>, bool), String> {
    let leftover = format!("{prefix}leftover-{run_id}");
    let foreign = format!("not-ours-{run_id}");
    for b in [&leftover, &foreign] {
        let ex = client.create_bucket(Phase::Setup, b).await;
        if !ex.succeeded() {
            return Err(format!("CreateBucket {b}: {}", ex.outcome()));
        }
    }
    client
        .put_object(Phase::Setup, &leftover, "a/b.txt", b"x", "text/plain")
        .await;
    // An upload begun and never finished holds a bucket too: clean must abort it.
    let mut begin = corsprobe::store::client::Request {
        method: "POST".into(),
        url: client.url(&leftover, Some("a/big.bin"), Some("uploads")),
        headers: vec![],
        body: vec![],
    };
    client
        .sign(&mut begin, corsprobe::model::vocabulary::Signing::Header)
        .map_err(|e| e.to_string())?;
    let begun = client
        .send(Phase::Setup, "CreateMultipartUpload", begin)
        .await;
    if !begun.succeeded() {
        return Err(format!("CreateMultipartUpload: {}", begun.outcome()));
    }
    let bin = env!("CARGO_BIN_EXE_corsprobe");
    let root_arg = root.to_str().unwrap_or(".").to_string();
    let code = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(["--root", &root_arg, "clean"])
            .output()
            .ok()
            .and_then(|o| o.status.code())
            .unwrap_or(-1)
    })
    .await
    .unwrap_or(-1);
    let (_, names) = client.list_buckets(Phase::Teardown).await;
    let foreign_kept = names.contains(&foreign);
    client.delete_bucket(Phase::Teardown, &foreign).await;
    Ok((
        code,
        names
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect(),
        foreign_kept,
    ))
}

/// What a run inside buckets the suite did not create left behind.
#[derive(Clone)]
struct ExistingRun {
    results: Vec<ScenarioResult>,
    cors_before: Option<String>,
    cors_after: Option<String>,
    keys_after: Vec<String>,
    foreign_body_after: Option<String>,
    bare_after: Option<String>,
}

/// Runs every scenario inside a bucket that has its own rules and object, and a few inside a
/// bucket without rules; both must come out as they went in.
async fn run_in_existing_buckets(
    client: &Client,
    expectations: &Expectations,
    scenarios: &[scenario::Scenario],
    run_id: &str,
    root: &Path,
) -> Result<ExistingRun, String> {
    let theirs = format!("their-bucket-{run_id}");
    let bare = format!("their-bare-bucket-{run_id}");
    for b in [&theirs, &bare] {
        let ex = client.create_bucket(Phase::Setup, b).await;
        if !ex.succeeded() {
            return Err(format!("CreateBucket {b}: {}", ex.outcome()));
        }
    }
    let rules = corsprobe::model::cors_config::CorsConfiguration::load(
        &root.join("fixtures/cors-rules/round-trip.xml"),
    )?;
    client.put_cors(Phase::Setup, &theirs, &rules).await;
    client
        .put_object(
            Phase::Setup,
            &theirs,
            "keep-me.txt",
            b"not the suite's",
            "text/plain",
        )
        .await;
    let before = engine::save_cors(client, &theirs).await?;
    let run = |bucket: &str| RunOptions::new(4).in_bucket(Some(bucket.to_string()));
    let results = engine::run_all(
        client,
        scenarios,
        expectations,
        &run(&theirs),
        &Cancel::default(),
        |_, _| {},
    )
    .await;
    let restored = engine::restore_cors(client, &before).await;
    let bare_saved = engine::save_cors(client, &bare).await?;
    let few = scenario::select(
        scenarios.to_vec(),
        &[
            "preflight/origin".to_string(),
            "config/put-replaces-all-rules".to_string(),
        ],
    );
    engine::run_all(
        client,
        &few,
        &Expectations::default(),
        &run(&bare),
        &Cancel::default(),
        |_, _| {},
    )
    .await;
    let bare_restored = engine::restore_cors(client, &bare_saved).await;
    let after = engine::save_cors(client, &theirs).await?;
    let bare_after = engine::save_cors(client, &bare).await?;
    let (_, keys_after) = client.list_keys(Phase::Teardown, &theirs, None).await;
    let mut get = corsprobe::store::client::Request {
        method: "GET".into(),
        url: client.url(&theirs, Some("keep-me.txt"), None),
        headers: vec![],
        body: vec![],
    };
    client.sign(&mut get, corsprobe::model::vocabulary::Signing::Header)?;
    let foreign = client.send(Phase::Teardown, "GetObject", get).await;
    for b in [&theirs, &bare] {
        let (_, keys) = client.list_keys(Phase::Teardown, b, None).await;
        for k in keys {
            client.delete_object(Phase::Teardown, b, &k).await;
        }
        client.delete_bucket(Phase::Teardown, b).await;
    }
    restored?;
    bare_restored?;
    Ok(ExistingRun {
        results,
        cors_before: before.body,
        cors_after: after.body,
        keys_after,
        foreign_body_after: foreign.response.map(|r| r.body),
        bare_after: bare_after.body,
    })
}

/// What an unselected part of the store session says if asked.
const NOT_SELECTED: &str = "not run: no selected trial needs it";

/// Which costly parts of the store session the selected trials need; the probe run itself
/// is always made (it is cheap, and most parts compare against it).
#[derive(Clone, Copy, Debug)]
struct Parts {
    diagnose: bool,
    faults: bool,
    browsers: bool,
    interrupts: bool,
    recipe: bool,
    existing: bool,
    probe_only: bool,
    post: bool,
    propagation: bool,
    virtual_host: bool,
    vendor_like: bool,
    clean: bool,
    bench: bool,
}

impl Parts {
    fn for_trials(names: &[String]) -> Parts {
        let any = |prefixes: &[&str]| {
            names.iter().any(|n| {
                prefixes
                    .iter()
                    .any(|p| n.starts_with(&p.replace("{T}", TARGET)))
            })
        };
        Parts {
            diagnose: any(&["diagnose::"]),
            faults: any(&["fault::"]),
            // The secrets scan reads the page views; the leftover check needs drivers to have run.
            browsers: any(&[
                "browser::",
                "browser-verdict-can-change::",
                "oracle::",
                "secrets::",
                "cleanup::{T}::no-browser-or-driver-left",
                "network::{T}::",
                // Its browser verdicts are compared with those of the plain store.
                "vendor-like::",
            ]),
            interrupts: any(&["cleanup::{T}::sig"]),
            recipe: any(&["recipe::"]),
            existing: any(&["existing::"]),
            probe_only: any(&["probe-only::"]),
            post: any(&["post::"]),
            propagation: any(&["propagation::"]),
            virtual_host: any(&["addressing::"]),
            vendor_like: any(&["vendor-like::"]),
            clean: any(&["cleanup::{T}::clean-"]),
            bench: any(&["bench::"]),
        }
    }
}

/// Every trial's name, without running anything.
fn trial_names(scenarios: &[scenario::Scenario], in_browser: &[scenario::Scenario]) -> Vec<String> {
    let none: Result<Evidence, String> = Err("not run".into());
    let mut names: Vec<String> = store_trials(&none)
        .iter()
        .chain(browser_trials(&none, in_browser).iter())
        .map(|t| t.name().to_string())
        .collect();
    for s in scenarios {
        names.push(format!("probe::{TARGET}::{}", s.id));
        names.push(format!("snapshot::{TARGET}::{}", s.id));
    }
    names
}

/// The trial names libtest's filter, `--exact` and `--skip` select.
fn selected(args: &Arguments, names: Vec<String>) -> Vec<String> {
    let matches = |name: &str, pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    names
        .into_iter()
        .filter(|n| args.filter.as_deref().is_none_or(|f| matches(n, f)))
        .filter(|n| !args.skip.iter().any(|s| matches(n, s)))
        .collect()
}

/// Runs every scenario once, then the mutation runs and the interruption checks.
fn run_suite(
    root: &Path,
    scenarios: &[scenario::Scenario],
    in_browser: &[scenario::Scenario],
    parts: Parts,
) -> Result<Evidence, String> {
    let ids: BTreeSet<String> = scenarios
        .iter()
        .chain(in_browser)
        .map(|s| s.id.clone())
        .collect();
    // The same session the CLI opens: targets file, client, known failures.
    let mut session =
        Session::open(root, None, TARGET, Duration::from_secs(20))?.expecting(None, &ids)?;
    let signatures = session.client.record_signatures();
    let Session {
        target,
        client,
        expectations,
        ..
    } = session.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let guard = local::ensure_running(&client).await?;
        let opts = RunOptions::new(4);
        let pages = root.join("fixtures/pages");
        let (results, _) = session
            .run(
                (scenarios, &[]),
                (&[], &pages),
                &opts,
                &Cancel::default(),
                |_| {},
            )
            .await;
        let repros = run_repros(root, &session, &results).await;
        let (unplanned, _) = session
            .run(
                (scenarios, &[]),
                (&[], &pages),
                &RunOptions::new(4).unplanned(),
                &Cancel::default(),
                |_| {},
            )
            .await;
        let run_prefix = format!("{}{}", target.bucket_prefix, opts.run_id);
        let (_, names) = client.list_buckets(Phase::Teardown).await;
        let leftovers = names
            .into_iter()
            .filter(|n| n.starts_with(&run_prefix))
            .collect();

        // Secrets: the raw record (before the JSON writer's final scrub), the console text and
        // every snapshot text must hold neither the keys nor any signature made with them.
        let mut outputs = Vec::new();
        for r in &results {
            outputs.push((format!("snapshot {}", r.id), snapshot::render(r)));
        }
        let record = RunRecord::new(
            &target,
            "now".into(),
            0.0,
            4,
            opts.run_id.clone(),
            results.clone(),
        );
        outputs.push((
            "json".into(),
            serde_json::to_string(&record).map_err(|e| e.to_string())?,
        ));
        outputs.push(("console".into(), console::render(&record, true)));
        {
            use corsprobe::report::{html, junit, markdown, matrix::Matrix, tap};
            let m = Matrix::new(vec![record.clone()]);
            outputs.push(("markdown".into(), markdown::render(&m)));
            outputs.push(("junit".into(), junit::render(&m)));
            outputs.push(("tap".into(), tap::render(&m)));
            outputs.push(("html index".into(), html::render_index(&m)));
            for r in &m.columns[0].record.results {
                outputs.push((format!("html {}", r.id), html::render_cell(&m, 0, r)));
            }
        }
        let mut secrets = vec![
            target.credentials.secret_key.clone(),
            target.credentials.access_key.clone(),
        ];
        secrets.extend(signatures.lock().expect("signature log").iter().cloned());

        let faults = if parts.faults {
            mutation::run(
                &target,
                scenarios,
                &Fault::ALL,
                4,
                Duration::from_secs(20),
                (&[], &pages),
                &Cancel::default(),
            )
            .await
            .map(|(_, outcomes)| outcomes)
        } else {
            Err(NOT_SELECTED.into())
        };
        let mut browsers = Vec::new();
        for kind in BrowserKind::ALL.into_iter().filter(|_| parts.browsers) {
            let before = corsprobe::browser::driver::driver_groups_seen();
            let watch = common::sockets::Watch::start(move || {
                let groups: Vec<u32> = corsprobe::browser::driver::driver_groups_seen()
                    .into_iter()
                    .filter(|g| !before.contains(g))
                    .collect();
                processes_in_groups(&groups)
            });
            let (info, results) = engine::run_in_browser(
                &client,
                in_browser,
                &expectations,
                &opts,
                &Cancel::default(),
                (kind, &pages),
                |_, _| {},
            )
            .await;
            let refusals = refused_destinations(kind, &pages).await;
            let direct = if info.version == "not started" {
                Err(results
                    .first()
                    .map(|r| r.reason.clone())
                    .unwrap_or_default())
            } else {
                Ok((info, results))
            };
            let through_proxy = mutation::run(
                &target,
                in_browser,
                &BROWSER_FAULTS,
                1,
                Duration::from_secs(20),
                (&[kind], &pages),
                &Cancel::default(),
            )
            .await;
            browsers.push(BrowserRun {
                kind,
                refusals,
                direct,
                through_proxy,
                peers: watch.stop(),
            });
        }
        // Page views and what reached the store hold presigned URLs: they must be redacted too.
        for b in &browsers {
            if let Ok((_, results)) = &b.direct {
                outputs.push((
                    format!("json {}", b.kind.name()),
                    serde_json::to_string(results).map_err(|e| e.to_string())?,
                ));
            }
        }
        secrets.extend(signatures.lock().expect("signature log").iter().cloned());
        let dead_driver = if parts.browsers {
            run_with_dead_driver(root)
        } else {
            Err(NOT_SELECTED.into())
        };
        let mut browser_processes_left: Vec<String> =
            processes_in_groups(&corsprobe::browser::driver::driver_groups_seen())
                .into_iter()
                .map(|pid| format!("process {pid}"))
                .collect();
        // An X server ended by force leaves its lock file; the driver removes it.
        for n in corsprobe::browser::driver::displays_seen() {
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                browser_processes_left.push(format!("display :{n}'s /tmp/.X{n}-lock"));
            }
        }
        let interrupted = if parts.interrupts {
            interrupt_cli(root, &client, &target.bucket_prefix).await
        } else {
            Vec::new()
        };
        let recipe = if parts.recipe {
            let root = root.to_path_buf();
            tokio::task::spawn_blocking(move || follow_the_ci_recipe(&root))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r)
        } else {
            Err(NOT_SELECTED.into())
        };
        let existing = if parts.existing {
            run_in_existing_buckets(&client, &expectations, scenarios, &opts.run_id, root).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let probe_only = if parts.probe_only {
            run_probe_only(
                &client,
                &target,
                &expectations,
                scenarios,
                &opts.run_id,
                root,
            )
            .await
        } else {
            Err(NOT_SELECTED.into())
        };
        let post_upload = if parts.post {
            post_upload(&client, &target, &opts.run_id).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let propagation = if parts.propagation {
            stale_rules(&target, scenarios, &pages).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let virtual_host = async {
            if !parts.virtual_host {
                return Err(NOT_SELECTED.into());
            }
            let vhost = target::load(&root.join("fixtures/targets.toml"), "ceph-vhost")?;
            let c = Client::new(&vhost, Duration::from_secs(20))?;
            let o = RunOptions::new(4);
            Ok::<_, String>(
                engine::run_all(
                    &c,
                    scenarios,
                    &expectations,
                    &o,
                    &Cancel::default(),
                    |_, _| {},
                )
                .await,
            )
        }
        .await;
        let vendor_like = if parts.vendor_like {
            vendor_like(&target, scenarios, in_browser, &expectations, &pages).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let bench = if parts.bench {
            bench_once(root, &client, &target.bucket_prefix).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let clean = if parts.clean {
            clean_leftovers(root, &client, &target.bucket_prefix, &opts.run_id).await
        } else {
            Err(NOT_SELECTED.into())
        };
        let diagnose = if parts.diagnose {
            diagnose_cases(root, &client, &target.bucket_prefix, &opts.run_id).await
        } else {
            Err(NOT_SELECTED.into())
        };
        guard.stop()?;
        Ok(Evidence {
            results,
            faults,
            leftovers,
            interrupted,
            recipe,
            outputs,
            secrets,
            existing,
            probe_only,
            virtual_host,
            vendor_like,
            post_upload,
            propagation,
            clean,
            bench,
            diagnose,
            browsers,
            dead_driver,
            browser_processes_left,
            repros,
            unplanned,
        })
    })
}

/// Prints every finding's repro script from a record of this run and runs it against the store.
async fn run_repros(
    root: &Path,
    session: &Session,
    results: &[ScenarioResult],
) -> Result<Repros, String> {
    let dir = std::env::temp_dir().join(format!("corsprobe-repro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut record = RunRecord::new(
        &session.target,
        "now".into(),
        0.0,
        1,
        "repro".into(),
        results.to_vec(),
    );
    record.findings = session.findings(results);
    let record_file = dir.join("record.json");
    std::fs::write(
        &record_file,
        serde_json::to_string(&record).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let bin = env!("CARGO_BIN_EXE_corsprobe");
    let mut runs = Vec::new();
    for f in record
        .findings
        .iter()
        .filter(|f| f.instances.iter().any(|i| i.browser.is_empty()))
    {
        let printed = tokio::process::Command::new(bin)
            .args([
                "--root",
                &root.display().to_string(),
                "repro",
                &f.id,
                "--target",
                TARGET,
                "--record",
            ])
            .arg(&record_file)
            .output()
            .await
            .map_err(|e| e.to_string())?;
        let script = String::from_utf8_lossy(&printed.stdout).into_owned();
        if !printed.status.success() {
            runs.push((
                f.id.clone(),
                script,
                String::from_utf8_lossy(&printed.stderr).into_owned(),
                -1,
            ));
            continue;
        }
        let ran = tokio::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("CORSPROBE", bin)
            .output()
            .await
            .map_err(|e| e.to_string())?;
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&ran.stdout),
            String::from_utf8_lossy(&ran.stderr)
        );
        runs.push((
            f.id.clone(),
            script,
            output,
            ran.status.code().unwrap_or(-1),
        ));
    }
    // A page repro, opened by Chromium as a reader would: it must see the collision.
    let printed = tokio::process::Command::new(bin)
        .args([
            "--root",
            &root.display().to_string(),
            "repro",
            "browser/cache-collision-img-first",
            "--target",
            TARGET,
        ])
        .output()
        .await
        .map_err(|e| e.to_string())?;
    let profile = dir.join("chromium-profile");
    let open = format!(
        "chromium --headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-extensions --host-resolver-rules=MAP_*_~NOTFOUND --user-data-dir={} --virtual-time-budget=10000 --dump-dom",
        profile.display()
    );
    let page = match tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("bash")
            .arg("-c")
            .arg(String::from_utf8_lossy(&printed.stdout).into_owned())
            .env("CORSPROBE", bin)
            .env(
                "REPRO_OPEN",
                open.replace("MAP_*_~NOTFOUND", "'MAP * ~NOTFOUND , EXCLUDE 127.*'"),
            )
            .env("REPRO_PORT", "18765")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    {
        Ok(Ok(o)) => (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Ok(Err(e)) => (-1, e.to_string()),
        Err(_) => (-1, "the page repro did not finish in 120 s".to_string()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let prefix = format!("{}repro-", session.target.bucket_prefix);
    let (_, names) = session.client.list_buckets(Phase::Teardown).await;
    Ok(Repros {
        findings: record.findings,
        runs,
        leftovers: names
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect(),
        page,
    })
}

/// The interrupted CLI runs, in order: the signal and the mode.
const INTERRUPTIONS: [(&str, &str); 8] = [
    ("INT", "probe"),
    ("INT", "probe"),
    ("INT", "probe"),
    ("INT", "browser"),
    ("TERM", "browser"),
    ("HUP", "probe"),
    ("INT", "webkit"),
    ("TERM", "webkit"),
];

/// The run's arguments for an interruption's mode: `webkit` is browser mode in WebKit alone,
/// whose virtual display must go too.
fn mode_args(mode: &str) -> Vec<&str> {
    match mode {
        "webkit" => vec!["--mode", "browser", "--browser", "webkit"],
        other => vec!["--mode", other],
    }
}

/// The X servers' lock files in /tmp: one outlives its run when the display is not ended.
fn x_locks() -> BTreeSet<String> {
    std::fs::read_dir("/tmp")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".X") && n.ends_with("-lock"))
        .collect()
}

/// One interrupted CLI run.
#[derive(Clone, Debug)]
struct Interrupted {
    signal: &'static str,
    mode: &'static str,
    delay_ms: u64,
    code: i32,
    left: Vec<String>,
}

/// Starts `corsprobe run` and interrupts it at a random moment while its scenarios run, six
/// times: SIGINT three times in
/// probe mode and once while a browser is up, SIGTERM (CI cancellation, `timeout`, container
/// stops) while a browser is up, and SIGHUP in probe mode. Lists what is left after each.
async fn interrupt_cli(root: &Path, client: &Client, prefix: &str) -> Vec<Interrupted> {
    use std::hash::{BuildHasher, Hasher};
    let mut out = Vec::new();
    let prefixed = async || -> BTreeSet<String> {
        let (_, names) = client.list_buckets(Phase::Teardown).await;
        names
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    for (signal, mode) in INTERRUPTIONS {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(0);
        // Only this run's buckets count: a bucket some earlier failure left is not its own.
        let before = prefixed().await;
        let locks_before = x_locks();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"))
            .args(["--root", root.to_str().unwrap_or("."), "run", "-j", "1"])
            .args(mode_args(mode))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = child else { continue };
        // The signal must find scenarios running (a bucket of the run exists, and in browser
        // mode a browser is up), then comes at a random moment within their run: a run that
        // ended first would prove nothing.
        let started = std::time::Instant::now();
        let mut ready = false;
        while !ready && started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            ready = !prefixed().await.is_subset(&before)
                && (mode == "probe" || !browser_processes().is_empty());
            if !ready {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let extra_ms = h.finish() % if mode == "probe" { 300 } else { 1000 };
        tokio::time::sleep(Duration::from_millis(extra_ms)).await;
        let delay_ms = started.elapsed().as_millis() as u64;
        let _ = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        let code = tokio::task::spawn_blocking(move || {
            use std::os::unix::process::ExitStatusExt;
            child
                .wait_with_output()
                .ok()
                .map(|o| {
                    o.status
                        .code()
                        .unwrap_or_else(|| -o.status.signal().unwrap_or(1))
                })
                .unwrap_or(-1)
        })
        .await
        .unwrap_or(-1);
        let mut left: Vec<String> = prefixed().await.difference(&before).cloned().collect();
        left.extend(
            browser_processes()
                .into_iter()
                .map(|p| format!("process {p}")),
        );
        left.extend(
            x_locks()
                .difference(&locks_before)
                .map(|l| format!("/tmp/{l}")),
        );
        eprintln!(
            "interrupted: SIG{signal} in {mode} mode after {delay_ms} ms: exit {code}, {} left",
            left.len()
        );
        out.push(Interrupted {
            signal,
            mode,
            delay_ms,
            code,
            left,
        });
    }
    out
}

/// What following the README's CI recipe showed, step by step.
#[derive(Clone, Debug)]
struct Recipe {
    /// Exit code of each run, in order: first run, accepted, clean rerun, drifted.
    codes: Vec<(String, i32)>,
    /// What the review command the first run printed showed.
    review: String,
    /// The first run's gate lines (stderr lines starting `gate:`).
    first_gate: Vec<String>,
    /// Pending and accepted snapshot files in the project's directory after the first run.
    first_files: (usize, usize),
    /// The same after accepting.
    accepted_files: (usize, usize),
    /// The drifted run's gate lines.
    drift_gate: Vec<String>,
    /// Files under the clone's suites/ that the recipe added or changed.
    clone_touched: Vec<String>,
}

/// Every file below `dir` with its size and modification time.
fn tree(dir: &Path) -> BTreeSet<(String, u64, std::time::SystemTime)> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else if let Ok(m) = p.metadata() {
            out.insert((
                p.display().to_string(),
                m.len(),
                m.modified().unwrap_or(std::time::UNIX_EPOCH),
            ));
        }
    }
    out
}

/// (pending `.snap.new`, accepted `.snap`) files in a directory.
fn snapshot_files(dir: &Path) -> (usize, usize) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    (
        names.iter().filter(|n| n.ends_with(".snap.new")).count(),
        names.iter().filter(|n| n.ends_with(".snap")).count(),
    )
}

/// A server project follows the README's CI example from its own directory: its targets file,
/// an empty known-failure list, its own snapshots. The first run must not fail on snapshots, the
/// accept command the run prints must work as printed, and the clone must stay untouched.
fn follow_the_ci_recipe(root: &Path) -> Result<Recipe, String> {
    let project = std::env::temp_dir().join(format!("corsprobe-recipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    let ci = project.join("ci");
    std::fs::create_dir_all(&ci).map_err(|e| e.to_string())?;
    std::fs::write(
        ci.join("targets.toml"),
        "[targets.my-server]\nvendor = \"my server (here: the local Ceph)\"\ndialect = \"s3\"\nendpoint = \"http://127.0.0.1:7480\"\nregion = \"us-east-1\"\naccess_key_env = \"MY_SERVER_ACCESS_KEY\"\nsecret_key_env = \"MY_SERVER_SECRET_KEY\"\nsnapshots = \"snapshots\"\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(ci.join("my-server-known-failures.toml"), "").map_err(|e| e.to_string())?;
    let keys = std::fs::read_to_string(root.join("scripts/stores/ceph/credentials.env"))
        .map_err(|e| e.to_string())?;
    let key = |name: &str| {
        keys.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_string()
    };
    let env = [
        ("MY_SERVER_ACCESS_KEY", key("CORSPROBE_CEPH_ACCESS_KEY")),
        ("MY_SERVER_SECRET_KEY", key("CORSPROBE_CEPH_SECRET_KEY")),
    ];
    let before = tree(&root.join("suites"));
    let readme_command = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"));
        c.current_dir(&project)
            .args(["run", "--root", root.to_str().unwrap_or(".")])
            .args(["--targets", "ci/targets.toml", "--target", "my-server"])
            .args([
                "--expectations",
                "ci/my-server-known-failures.toml",
                "--strict",
            ])
            .args([
                "--report-json",
                "cors.json",
                "--report-junit",
                "cors-junit.xml",
            ])
            .args(["--report-md", "cors.md", "preflight/origin"])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        c
    };
    let run = |mut c: std::process::Command| -> Result<(i32, String, String), String> {
        let o = c.output().map_err(|e| e.to_string())?;
        Ok((
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ))
    };
    let gate_lines = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.starts_with("gate:"))
            .map(String::from)
            .collect()
    };
    let mut codes = Vec::new();
    let (code, stdout, stderr) = run(readme_command(&[]))?;
    codes.push(("first run".to_string(), code));
    let first_gate = gate_lines(&stderr);
    let snapshots = ci.join("snapshots");
    let first_files = snapshot_files(&snapshots);
    // A new project lists what its store is known to fail, from the first run, for review.
    let (code, _, _) = run({
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"));
        c.current_dir(&project).args([
            "expectations",
            "update",
            "cors.json",
            "--output",
            "ci/my-server-known-failures.toml",
        ]);
        c
    })?;
    codes.push(("expectations update".to_string(), code));
    let printed = |intro: &str| {
        stdout
            .lines()
            .skip_while(|l| !l.contains(intro))
            .nth(1)
            .map(|l| l.trim().to_string())
            .ok_or_else(|| format!("the first run printed no line after `{intro}`:\n{stdout}"))
    };
    let (_, review, _) = run({
        let mut c = std::process::Command::new("sh");
        c.current_dir(&project)
            .args(["-c", &printed("review them with:")?]);
        c
    })?;
    let accept = stdout
        .lines()
        .skip_while(|l| !l.contains("accept them all with:"))
        .nth(1)
        .map(str::trim)
        .ok_or_else(|| format!("the first run printed no accept command:\n{stdout}"))?
        .to_string();
    let (code, _, _) = run({
        let mut c = std::process::Command::new("sh");
        c.current_dir(&project)
            .args(["-c", &accept])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        c
    })?;
    codes.push((format!("the printed accept command `{accept}`"), code));
    let accepted_files = snapshot_files(&snapshots);
    let (code, _, _) = run(readme_command(&[]))?;
    codes.push(("rerun".to_string(), code));
    let one = std::fs::read_dir(&snapshots)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "snap"))
        .ok_or("no accepted snapshot")?;
    let text = std::fs::read_to_string(&one).map_err(|e| e.to_string())?;
    std::fs::write(&one, text.replace("status: ", "status: 1")).map_err(|e| e.to_string())?;
    let (code, _, stderr) = run(readme_command(&[]))?;
    codes.push(("drifted".to_string(), code));
    let drift_gate = gate_lines(&stderr);
    let after = tree(&root.join("suites"));
    let clone_touched = after
        .difference(&before)
        .map(|(p, _, _)| p.clone())
        .collect();
    let _ = std::fs::remove_dir_all(&project);
    Ok(Recipe {
        codes,
        review,
        first_gate,
        first_files,
        accepted_files,
        drift_gate,
        clone_touched,
    })
}

/// Browsers and drivers running now (zombies aside), as `pid command`.
fn browser_processes() -> Vec<String> {
    live_processes()
        .into_iter()
        .filter(|(_, _, cmd)| {
            let program = cmd.split_whitespace().next().unwrap_or("");
            let name = program.rsplit('/').next().unwrap_or("");
            [
                "chromedriver",
                "geckodriver",
                "chromium",
                "firefox",
                "MiniBrowser",
                // WebKitWebDriver, WebKitWebProcess, WebKitNetworkProcess, ...
                "WebKit",
                "Xvfb",
            ]
            .iter()
            .any(|b| name.starts_with(b))
        })
        .map(|(pid, _, cmd)| format!("{pid} {}", cmd.chars().take(80).collect::<String>()))
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let root = root();
    let suites = root.join("suites");
    let scenarios = match scenario::load_all(&suites, &root.join("fixtures")) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{}", errors.join("\n"));
            std::process::exit(101);
        }
    };
    let (in_browser, scenarios): (Vec<_>, Vec<_>) = scenarios
        .into_iter()
        .partition(scenario::Scenario::is_browser);
    // Listing trials must not start a store, and a filter runs only the store work its
    // trials need (`cargo test -- fault::` runs no browser).
    let evidence: Result<Evidence, String> = if args.list {
        Err("not run".to_string())
    } else {
        let names = trial_names(&scenarios, &in_browser);
        run_suite(
            &root,
            &scenarios,
            &in_browser,
            Parts::for_trials(&selected(&args, names)),
        )
    };
    let results: Vec<Result<ScenarioResult, String>> = match &evidence {
        Ok(e) => e.results.iter().cloned().map(Ok).collect(),
        Err(e) => scenarios.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut trials = store_trials(&evidence);
    trials.extend(browser_trials(&evidence, &in_browser));
    for (s, result) in scenarios.iter().zip(results) {
        let id = s.id.clone();
        let group = s.group().to_string();
        let probe_result = result.clone();
        trials.push(
            Trial::test(format!("probe::{TARGET}::{id}"), move || {
                let r = probe_result?;
                if r.verdict.fails_gate() {
                    let failed = r
                        .checks
                        .iter()
                        .filter(|c| !c.ok)
                        .map(|c| format!("  [{}] {}", c.level.name(), c.summary()));
                    return Err(gate_failure(&r, failed).into());
                }
                Ok(())
            })
            .with_ignored_flag(matches!(&result, Ok(r) if r.verdict == Verdict::Skip)),
        );
        let suites = suites.clone();
        let skipped = matches!(&result, Ok(r) if r.verdict == Verdict::Skip);
        trials.push(
            Trial::test(format!("snapshot::{TARGET}::{id}"), move || {
                let r = result?;
                if r.verdict == Verdict::Error {
                    return Err(format!(
                        "no observation to compare: {} ({})",
                        r.verdict.name(),
                        r.reason
                    )
                    .into());
                }
                let text = snapshot::render(&r);
                let mut settings = insta::Settings::clone_current();
                settings.set_snapshot_path(suites.join(&group).join("snapshots"));
                settings.set_prepend_module_to_snapshot(false);
                settings.set_snapshot_suffix(TARGET);
                settings.set_omit_expression(false);
                settings.bind(|| insta::assert_snapshot!(r.id.as_str(), text, "observation"));
                Ok(())
            })
            .with_ignored_flag(skipped),
        );
    }
    libtest_mimic::run(&args, trials).exit();
}

/// A verdict that fails the gate, with its reason and one detail line each.
fn gate_failure(r: &ScenarioResult, details: impl Iterator<Item = String>) -> String {
    let details: Vec<String> = details.collect();
    format!(
        "{} {}: {}\n{}",
        r.verdict.name(),
        r.id,
        r.reason,
        details.join("\n")
    )
}

/// An interrupted run exits 128 + its signal (the handler ran, not the default action) and
/// leaves no bucket, browser or driver.
fn judge_interruption(r: &Interrupted) -> Result<(), String> {
    let expected = 128
        + match r.signal {
            "INT" => 2,
            "TERM" => 15,
            _ => 1,
        };
    if r.code != expected {
        return Err(format!(
            "SIG{} after {} ms in {} mode: exit code {}, expected {expected}",
            r.signal, r.delay_ms, r.mode, r.code
        ));
    }
    if !r.left.is_empty() {
        return Err(format!(
            "SIG{} after {} ms in {} mode left: {}",
            r.signal,
            r.delay_ms,
            r.mode,
            r.left.join(", ")
        ));
    }
    Ok(())
}

/// The recipe's outcome: the first run does not fail on its new snapshots, the printed accept
/// command works, a rerun passes, a drifted snapshot fails, and the clone is untouched.
fn judge_recipe(r: &Recipe) -> Result<(), String> {
    let code = |step: &str| {
        r.codes
            .iter()
            .find(|(s, _)| s.starts_with(step))
            .map(|(_, c)| *c)
    };
    if r.first_gate.iter().any(|l| l.contains("snapshot")) {
        return Err(format!(
            "the first run's gate failed on snapshots: {:?}",
            r.first_gate
        ));
    }
    if !r.review.contains("+title: ") {
        return Err(format!(
            "the printed review command showed no pending observation: {}",
            r.review
        ));
    }
    if r.first_files.0 == 0 || r.first_files.1 != 0 {
        return Err(format!(
            "after the first run: {} pending, {} accepted snapshot files in the project (expected pending only)",
            r.first_files.0, r.first_files.1
        ));
    }
    for step in ["expectations update", "the printed accept command", "rerun"] {
        if code(step) != Some(0) {
            return Err(format!("{step}: exit {:?} ({:?})", code(step), r.codes));
        }
    }
    if r.accepted_files != (0, r.first_files.0) {
        return Err(format!(
            "after accepting: {:?} (pending, accepted), expected (0, {})",
            r.accepted_files, r.first_files.0
        ));
    }
    if code("drifted") != Some(4) || !r.drift_gate.iter().any(|l| l.contains("snapshot")) {
        return Err(format!(
            "a drifted snapshot: exit {:?}, gate {:?}",
            code("drifted"),
            r.drift_gate
        ));
    }
    if !r.clone_touched.is_empty() {
        return Err(format!(
            "the recipe wrote into the clone: {:?}",
            r.clone_touched
        ));
    }
    Ok(())
}

/// Trials about the suite itself: faults caught, secrets kept, nothing left behind.
fn store_trials(evidence: &Result<Evidence, String>) -> Vec<Trial> {
    let mut trials = Vec::new();
    let runs = evidence
        .as_ref()
        .map(|e| (e.results.clone(), e.unplanned.clone()))
        .map_err(Clone::clone);
    trials.push(Trial::test(
        format!("plan::{TARGET}::shared-buckets-change-no-verdict"),
        move || {
            let (planned, unplanned) = runs?;
            let buckets = |rs: &[ScenarioResult]| {
                rs.iter()
                    .map(|r| r.bucket.as_str())
                    .filter(|b| !b.is_empty())
                    .collect::<BTreeSet<_>>()
                    .len()
            };
            let differ = verdicts_differ(&planned, &unplanned);
            if !differ.is_empty() {
                return Err(
                    format!("the bucket plan changed verdicts:\n{}", differ.join("\n")).into(),
                );
            }
            // The comparison can fail: one verdict turned is caught.
            let mut turned = unplanned.clone();
            let first = turned.first_mut().ok_or("no unplanned result")?;
            first.verdict = if first.verdict == Verdict::Fail {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            if verdicts_differ(&planned, &turned).len() != 1 {
                return Err("a turned verdict was not caught".into());
            }
            let (b_planned, b_alone) = (buckets(&planned), buckets(&unplanned));
            if b_planned * 2 > b_alone {
                return Err(format!(
                    "the plan used {b_planned} buckets where one each uses {b_alone}"
                )
                .into());
            }
            Ok(())
        },
    ));
    let repros = match evidence {
        Ok(e) => e
            .repros
            .as_ref()
            .map(|r| {
                (
                    r.findings.clone(),
                    r.runs.clone(),
                    r.leftovers.clone(),
                    r.page.clone(),
                )
            })
            .map_err(Clone::clone),
        Err(e) => Err(e.clone()),
    };
    let secrets = match evidence {
        Ok(e) => e.secrets.iter().take(2).cloned().collect(),
        Err(_) => Vec::new(),
    };
    trials.push(Trial::test(
        format!("repro::{TARGET}::every-finding-reproduces-from-its-script"),
        move || {
            let (findings, runs, leftovers, (code, page)) = repros?;
            check_repros(&findings, &runs, &secrets)?;
            // The page repro shows what the browser run saw: the <img>'s cached answer, without
            // Vary: Origin, blocks the CORS fetch of the same URL in Chromium.
            if code != 0 || !page.contains("step with-cors: network-error") || !page.contains("done") {
                return Err(format!("the cache collision's page repro (exit {code}) did not show the page's network error:\n{page}").into());
            }
            if signed(&page) {
                return Err("the page repro printed a signature".into());
            }
            // The judge can fail: the same output with the symptom fixed is refused.
            let vary = runs
                .iter()
                .find(|r| r.0 == "no-vary-origin")
                .ok_or("Ceph's run has no `no-vary-origin` finding to prove the judge with")?;
            let fixed = vary
                .2
                .replace("HTTP/1.1 200 OK", "HTTP/1.1 200 OK\nVary: Origin");
            let mutated = vec![(vary.0.clone(), vary.1.clone(), fixed, 0)];
            let only: Vec<_> = findings
                .iter()
                .filter(|f| f.id == vary.0)
                .cloned()
                .collect();
            match check_repros(&only, &mutated, &secrets) {
                Err(e) if e.contains("passes") => {}
                other => {
                    return Err(
                        format!("an output with `Vary: Origin` was judged {other:?}").into(),
                    );
                }
            }
            let leaked = vec![(
                vary.0.clone(),
                format!("{}\n# {}", vary.1, secrets[0]),
                vary.2.clone(),
                0,
            )];
            if check_repros(&only, &leaked, &secrets).is_ok() {
                return Err("a script holding the secret was not refused".into());
            }
            if !leftovers.is_empty() {
                return Err(format!("repro scripts left buckets behind: {leftovers:?}").into());
            }
            Ok(())
        },
    ));
    for fault in Fault::ALL {
        let outcome = match evidence {
            Ok(e) => e.faults.clone().and_then(|faults| {
                faults
                    .into_iter()
                    .find(|o| o.fault == fault.name())
                    .ok_or("fault not run".to_string())
            }),
            Err(e) => Err(e.clone()),
        };
        trials.push(Trial::test(
            format!("fault::{TARGET}::{}", fault.name()),
            move || {
                let o = outcome?;
                if o.caught_by.is_empty() {
                    // The verdicts under the fault say whether the run itself went wrong.
                    let counts = corsprobe::report::record::count(&o.results);
                    let seen: Vec<String> = counts
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(v, n)| format!("{v} {n}"))
                        .collect();
                    return Err(format!(
                        "no scenario's verdict got worse under `{}` (its run: {})",
                        o.fault,
                        seen.join(", ")
                    )
                    .into());
                }
                Ok(())
            },
        ));
    }
    let e = || evidence.as_ref().map_err(Clone::clone);
    let secrets = e().map(|e| (e.outputs.clone(), e.secrets.clone()));
    trials.push(Trial::test(
        format!("secrets::{TARGET}::no-key-or-signature-in-any-output"),
        move || {
            let (outputs, secrets) = secrets?;
            if secrets.len() < 3 {
                return Err("the run made no signatures to look for".into());
            }
            for (name, text) in &outputs {
                for s in &secrets {
                    if text.contains(s.as_str()) {
                        return Err(format!(
                            "{name} contains a secret or signature ({} characters)",
                            s.len()
                        )
                        .into());
                    }
                }
            }
            Ok(())
        },
    ));
    let leftovers = e().map(|e| e.leftovers.clone());
    trials.push(Trial::test(
        format!("cleanup::{TARGET}::no-bucket-left-after-a-run"),
        move || {
            let left = leftovers?;
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("buckets left behind: {}", left.join(", ")).into())
            }
        },
    ));
    let interrupted = e().map(|e| e.interrupted.clone());
    for (n, (signal, mode)) in INTERRUPTIONS.into_iter().enumerate() {
        let run = interrupted.clone().and_then(|runs| {
            runs.get(n)
                .cloned()
                .ok_or_else(|| format!("only {} interrupted runs happened", runs.len()))
        });
        trials.push(Trial::test(
            format!(
                "cleanup::{TARGET}::sig{}-in-{mode}-mode-#{n}-leaves-nothing",
                signal.to_lowercase()
            ),
            move || judge_interruption(&run?).map_err(Into::into),
        ));
    }
    trials.push(Trial::test(
        format!("cleanup::{TARGET}::the-interruption-judge-can-fail"),
        || {
            let good = Interrupted {
                signal: "TERM",
                mode: "browser",
                delay_ms: 1,
                code: 143,
                left: vec![],
            };
            judge_interruption(&good)?;
            for bad in [
                Interrupted {
                    code: 0,
                    ..good.clone()
                },
                Interrupted {
                    code: -15,
                    ..good.clone()
                },
                Interrupted {
                    left: vec!["process 1 chromedriver".into()],
                    ..good.clone()
                },
            ] {
                if judge_interruption(&bad).is_ok() {
                    return Err(format!("{bad:?} passed").into());
                }
            }
            Ok(())
        },
    ));
    let recipe = e().and_then(|e| e.recipe.clone());
    trials.push(Trial::test(
        format!("recipe::{TARGET}::the-readme-ci-example-works-from-a-project-directory"),
        move || judge_recipe(&recipe?).map_err(Into::into),
    ));
    let probe = e().and_then(|e| e.probe_only.clone().map(|p| (e.results.clone(), p)));
    let probe_check =
        |name: &str, f: fn(&[ScenarioResult], &ProbeOnlyRun) -> Result<(), String>| {
            let probe = probe.clone();
            Trial::test(format!("probe-only::{TARGET}::{name}"), move || {
                let (managed, run) = probe?;
                f(&managed, &run).map_err(Into::into)
            })
        };
    trials.push(probe_check(
        "same-verdicts-as-the-managed-run",
        |managed, run| {
            let covered: Vec<(&ScenarioResult, &ScenarioResult)> = managed
                .iter()
                .zip(&run.results)
                .filter(|(_, p)| p.verdict != Verdict::Skip)
                .collect();
            if covered.len() < 10 {
                return Err(format!("only {} scenarios covered", covered.len()));
            }
            let differ: Vec<String> = covered
                .iter()
                .filter(|(m, p)| m.verdict != p.verdict)
                .map(|(m, p)| {
                    format!(
                        "{}: managed {}, probe-only {} ({})",
                        m.id,
                        m.verdict.name(),
                        p.verdict.name(),
                        p.reason
                    )
                })
                .collect();
            if differ.is_empty() {
                Ok(())
            } else {
                Err(differ.join("\n"))
            }
        },
    ));
    trials.push(probe_check("never-writes", |_, run| {
        if !run.rules_unchanged {
            return Err("the bucket's CORS rules changed".into());
        }
        if run.keys_after != ["test.txt"] {
            return Err(format!("objects after the run: {:?}", run.keys_after));
        }
        Ok(())
    }));
    trials.push(probe_check("says-why-it-skipped", |_, run| {
        let silent: Vec<&str> = run
            .results
            .iter()
            .filter(|r| {
                r.verdict == Verdict::Skip
                    && !(r.reason.contains("rules")
                        || r.reason.contains("writes")
                        || r.reason.contains("object")
                        || r.reason.contains("dialect"))
            })
            .map(|r| r.id.as_str())
            .collect();
        if silent.is_empty() {
            Ok(())
        } else {
            Err(format!("skipped without a reason: {}", silent.join(", ")))
        }
    }));
    let vhost = e().and_then(|e| e.virtual_host.clone().map(|v| (e.results.clone(), v)));
    trials.push(Trial::test(
        format!("addressing::{TARGET}::virtual-host-gives-the-same-verdicts"),
        move || {
            let (path, vhost) = vhost?;
            let differ: Vec<String> = path
                .iter()
                .zip(&vhost)
                .filter(|(p, v)| p.verdict != v.verdict)
                .map(|(p, v)| {
                    format!(
                        "{}: path-style {}, virtual-host {} ({})",
                        p.id,
                        p.verdict.name(),
                        v.verdict.name(),
                        v.reason
                    )
                })
                .collect();
            if differ.is_empty() {
                Ok(())
            } else {
                Err(differ.join("\n").into())
            }
        },
    ));
    for (wait, name, want) in [
        (0, "a-late-change-fails-without-the-wait", "FAIL"),
        (
            1,
            "a-late-change-is-an-error-when-the-wait-is-short",
            "ERROR",
        ),
        (10, "a-late-change-passes-after-the-wait", "PASS"),
    ] {
        let run = e().and_then(|e| e.propagation.clone());
        trials.push(Trial::test(
            format!("propagation::{TARGET}::{name}"),
            move || {
                let runs = run?;
                let (_, r) = runs.iter().find(|(w, _)| *w == wait).ok_or("not run")?;
                if r.verdict.name() != want {
                    return Err(format!(
                        "waiting {wait} s: {} ({}), expected {want}",
                        r.verdict.name(),
                        r.reason
                    )
                    .into());
                }
                match wait {
                    1 if !r.reason.contains("rules not in effect after 1 s") => {
                        Err(format!("the ERROR does not give the cause: {}", r.reason).into())
                    }
                    // The fault keeps the old rules 3 s after the put: the wait must show it.
                    10 if r.propagation_ms.first().is_none_or(|ms| *ms < 2000.0) => Err(format!(
                        "recorded waits {:?} ms, expected one of about 3000",
                        r.propagation_ms
                    )
                    .into()),
                    _ => Ok(()),
                }
            },
        ));
    }
    let post = e().and_then(|e| e.post_upload.clone());
    trials.push(Trial::test(
        format!("post::{TARGET}::signed-form-upload-arrives-intact"),
        move || {
            let (status, body) = post?;
            if !(200..300).contains(&status) {
                return Err(format!("the form upload answered {status}").into());
            }
            match body.as_deref() {
                Some("uploaded through a signed form\n") => Ok(()),
                other => Err(format!("the object reads back as {other:?}").into()),
            }
        },
    ));
    let diagnosed = e().and_then(|e| e.diagnose.clone());
    for (case, ..) in DIAGNOSE_CASES {
        let diagnosed = diagnosed.clone();
        trials.push(Trial::test(
            format!("diagnose::{TARGET}::{case}"),
            move || {
                let runs = diagnosed?;
                let d = runs.iter().find(|d| d.case == case).ok_or("not run")?;
                judge_diagnosis(d).map_err(Into::into)
            },
        ));
    }
    trials.push(Trial::test(
        format!("diagnose::{TARGET}::the-judge-can-fail"),
        || {
            let good = Diagnosed {
                case: "origin-not-listed",
                expected: "diagnosis: CORS rules: no rule lists",
                code: 4,
                output: "diagnosis: CORS rules: no rule lists the origin x\n".into(),
                rules_before: Some("<CORSConfiguration/>".into()),
                rules_after: Some("<CORSConfiguration/>".into()),
                keys_after: vec!["test.txt".into()],
            };
            judge_diagnosis(&good)?;
            let wrong_cause = Diagnosed {
                output: "diagnosis: not CORS: x\n".into(),
                ..good.clone()
            };
            let lost = Diagnosed {
                rules_after: Some("<CORSConfiguration></CORSConfiguration>".into()),
                ..good.clone()
            };
            let leaked = Diagnosed {
                output: format!("X-Amz-Credential=a\n{}", good.output),
                ..good.clone()
            };
            let written = Diagnosed {
                keys_after: vec!["test.txt".into(), "x".into()],
                ..good.clone()
            };
            for bad in [wrong_cause, lost, leaked, written] {
                if judge_diagnosis(&bad).is_ok() {
                    return Err(format!("not caught: {bad:?}").into());
                }
            }
            Ok(())
        },
    ));
    let bench = e().and_then(|e| e.bench.clone());
    trials.push(Trial::test(
        format!("bench::{TARGET}::prints-its-stable-lines-and-leaves-nothing"),
        move || {
            let (code, printed, left) = bench?;
            judge_bench(code, &printed, &left)?;
            // The judge can fail: a run in two buckets, a lost field and a leftover are refused.
            let two_buckets = printed
                .lines()
                .map(|l| match l.starts_with("1\t1\t") {
                    true => {
                        let mut f: Vec<&str> = l.split('\t').collect();
                        f[9] = "2";
                        f.join("\t")
                    }
                    false => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            let short = printed.replacen("\t200\n", "\n", 1);
            for (what, text, left) in [
                ("two buckets", two_buckets.as_str(), &left[..]),
                ("a lost field", short.as_str(), &left[..]),
                (
                    "a leftover",
                    printed.as_str(),
                    &["corsprobe-x-001".to_string()][..],
                ),
            ] {
                if judge_bench(0, text, left).is_ok() {
                    return Err(format!("{what} was not caught").into());
                }
            }
            Ok(())
        },
    ));
    let clean = e().and_then(|e| e.clean.clone());
    trials.push(Trial::test(
        format!("cleanup::{TARGET}::clean-removes-only-prefixed-buckets"),
        move || {
            let (code, left, foreign_kept) = clean?;
            if code != 0 {
                return Err(format!("corsprobe clean exited {code}").into());
            }
            if !left.is_empty() {
                return Err(format!("still there: {}", left.join(", ")).into());
            }
            if !foreign_kept {
                return Err("clean removed a bucket without the prefix".into());
            }
            Ok(())
        },
    ));
    let existing = e().and_then(|e| e.existing.clone().map(|x| (e.results.clone(), x)));
    let check = |name: &str, f: fn(&[ScenarioResult], &ExistingRun) -> Result<(), String>| {
        let existing = existing.clone();
        Trial::test(format!("existing::{TARGET}::{name}"), move || {
            let (fresh, run) = existing?;
            f(&fresh, &run).map_err(Into::into)
        })
    };
    trials.push(check("cors-restored-byte-identical", |_, r| {
        if r.cors_before.is_none() {
            return Err("the bucket had no rules to begin with".into());
        }
        if r.cors_after == r.cors_before {
            Ok(())
        } else {
            Err(format!(
                "before {:?}, after {:?}",
                r.cors_before, r.cors_after
            ))
        }
    }));
    trials.push(check("no-rules-restored-as-none", |_, r| {
        match &r.bare_after {
            None => Ok(()),
            Some(body) => Err(format!("a bucket without rules now has {body}")),
        }
    }));
    trials.push(check("foreign-objects-untouched", |_, r| {
        if r.keys_after != ["keep-me.txt"] {
            return Err(format!("keys after the run: {:?}", r.keys_after));
        }
        if r.foreign_body_after.as_deref() != Some("not the suite's") {
            return Err(format!("keep-me.txt now reads {:?}", r.foreign_body_after));
        }
        Ok(())
    }));
    trials.push(check("same-verdicts-as-fresh-buckets", |fresh, r| {
        let differ: Vec<String> = fresh
            .iter()
            .zip(&r.results)
            // Exact verdicts: a SKIP where the fresh bucket gave PASS is a difference too.
            .filter(|(a, b)| a.verdict != b.verdict)
            .map(|(a, b)| {
                format!(
                    "{}: {} in a fresh bucket, {} in an existing one ({})",
                    a.id,
                    a.verdict.name(),
                    b.verdict.name(),
                    b.reason
                )
            })
            .collect();
        if differ.is_empty() {
            Ok(())
        } else {
            Err(differ.join("\n"))
        }
    }));
    trials
}

/// What `pick` takes from one browser's run, or why there is none.
fn of_browser<T>(
    evidence: &Result<Evidence, String>,
    kind: BrowserKind,
    pick: impl Fn(&BrowserRun) -> T,
) -> Result<T, String> {
    let e = evidence.as_ref().map_err(Clone::clone)?;
    e.browsers
        .iter()
        .find(|b| b.kind == kind)
        .map(pick)
        .ok_or_else(|| "browser not run".to_string())
}

/// The verdicts of two runs of the same scenarios, scenario by scenario.
fn same_verdicts(
    plain: &[ScenarioResult],
    other: &[ScenarioResult],
) -> Result<(), libtest_mimic::Failed> {
    let mut differ = Vec::new();
    if plain.len() != other.len() {
        differ.push(format!(
            "{} results, against {} on the plain store",
            other.len(),
            plain.len()
        ));
    }
    for p in plain {
        match other.iter().find(|o| o.id == p.id) {
            Some(o) if o.verdict != p.verdict => differ.push(format!(
                "{}: plain {}, vendor-like {} ({})",
                p.id,
                p.verdict.name(),
                o.verdict.name(),
                o.reason
            )),
            Some(_) => {}
            None => differ.push(format!("{}: not run", p.id)),
        }
    }
    if differ.is_empty() {
        Ok(())
    } else {
        Err(differ.join("\n").into())
    }
}

/// Trials of the browser mode: each browser scenario in each browser, that its verdict can
/// change, and that no browser outlives the run.
fn browser_trials(
    evidence: &Result<Evidence, String>,
    in_browser: &[scenario::Scenario],
) -> Vec<Trial> {
    let mut trials = Vec::new();
    for kind in BrowserKind::ALL {
        let run = of_browser(evidence, kind, |b| {
            (b.direct.clone(), b.through_proxy.clone())
        });
        for (i, s) in in_browser.iter().enumerate() {
            let result = run
                .clone()
                .and_then(|(direct, _)| direct)
                .map(|(_, results)| results[i].clone());
            trials.push(Trial::test(
                format!("browser::{TARGET}::{}::{}", kind.name(), s.id),
                move || {
                    let r = result?;
                    if r.verdict.fails_gate() {
                        let pages = r
                            .pages
                            .iter()
                            .map(|p| format!("  {}: {}", p.step, p.summary()));
                        return Err(gate_failure(&r, pages).into());
                    }
                    if r.browser != kind.name() || r.pages.is_empty() {
                        return Err(format!(
                            "the result names browser `{}` and holds {} page view(s)",
                            r.browser,
                            r.pages.len()
                        )
                        .into());
                    }
                    Ok(())
                },
            ));
            let verdicts = run.clone().and_then(|(direct, proxied)| {
                let (_, direct) = direct?;
                let (baseline, outcomes) = proxied?;
                let mut all = vec![("straight to the store".to_string(), direct[i].verdict)];
                all.push(("through the proxy, clean".to_string(), baseline[i].verdict));
                for o in &outcomes {
                    all.push((o.fault.clone(), o.results[i].verdict));
                }
                Ok(all)
            });
            trials.push(Trial::test(
                format!(
                    "browser-verdict-can-change::{TARGET}::{}::{}",
                    kind.name(),
                    s.id
                ),
                move || {
                    let all = verdicts?;
                    let distinct: BTreeSet<&str> = all.iter().map(|(_, v)| v.name()).collect();
                    if distinct.len() < 2 {
                        return Err(format!(
                            "always {}: no store behaviour tried changes this verdict",
                            all[0].1.name()
                        )
                        .into());
                    }
                    Ok(())
                },
            ));
            // The browser is the oracle: the model replayed on every exchange the page caused,
            // straight and under every fault, must decide as the page saw.
            let replayed = run.clone().and_then(|(direct, proxied)| {
                let (_, direct) = direct?;
                let (baseline, outcomes) = proxied?;
                let mut all = vec![("straight to the store".to_string(), direct[i].clone())];
                all.push(("through the proxy, clean".to_string(), baseline[i].clone()));
                for o in &outcomes {
                    all.push((format!("fault {}", o.fault), o.results[i].clone()));
                }
                Ok(all)
            });
            let scenario = s.clone();
            trials.push(Trial::test(
                format!("oracle::{TARGET}::{}::{}", kind.name(), s.id),
                move || {
                    let rules = if kind.standard() {
                        corsprobe::model::fetch_rules::Rules::Standard
                    } else {
                        corsprobe::model::fetch_rules::Rules::Shipped
                    };
                    let credentials = |step: &str| {
                        scenario
                            .steps
                            .iter()
                            .find(|st| st.name == step)
                            .and_then(|st| st.page.as_ref())
                            .is_some_and(|p| p.credentials)
                    };
                    let mut unnamed = Vec::new();
                    let mut replayed_steps = 0;
                    for (how, r) in replayed? {
                        replayed_steps += r.pages.len();
                        for d in corsprobe::model::oracle::disagreements(&r, credentials, rules) {
                            let named = scenario.differs.iter().any(|k| {
                                k.step == d.step && k.browser.is_none_or(|b| b == kind)
                            });
                            if !named {
                                unnamed.push(format!("  {how}: step `{}`: {}", d.step, d.what));
                            }
                        }
                    }
                    if replayed_steps == 0 {
                        return Err("no page step was replayed".into());
                    }
                    if unnamed.is_empty() {
                        Ok(())
                    } else {
                        Err(format!(
                            "the Fetch model and {} disagree (name a known difference in `[[model_differs]]` with its reason):\n{}",
                            kind.name(),
                            unnamed.join("\n")
                        )
                        .into())
                    }
                },
            ));
        }
    }
    let dead = evidence
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|e| e.dead_driver.clone());
    trials.push(Trial::test(
        format!("browser::{TARGET}::a-dead-driver-is-an-error-with-its-message"),
        move || {
            let (code, verdicts) = dead?;
            if code != 3 {
                return Err(format!("exit code {code}, expected 3 (ERROR)").into());
            }
            match verdicts.as_slice() {
                [(v, reason)] if v == "ERROR" && reason.contains("exited before listening") => {
                    Ok(())
                }
                other => Err(format!("expected one ERROR naming the driver, got {other:?}").into()),
            }
        },
    ));
    let vendor = evidence
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|e| e.vendor_like.clone().map(|v| (e.results.clone(), v)));
    let probes = vendor.clone().map(|(plain, v)| (plain, v.probes));
    trials.push(Trial::test(
        format!("vendor-like::{TARGET}::probes-give-the-same-verdicts"),
        move || {
            let (plain, vendor) = probes?;
            same_verdicts(&plain, &vendor)
        },
    ));
    for kind in BrowserKind::ALL {
        let plain = of_browser(evidence, kind, |b| b.direct.clone()).and_then(|d| d);
        let theirs = vendor.clone().and_then(|(_, v)| {
            v.browsers
                .into_iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, r)| r)
                .ok_or_else(|| "browser not run".to_string())
        });
        trials.push(Trial::test(
            format!(
                "vendor-like::{TARGET}::{}::same-verdicts-and-store-counts",
                kind.name()
            ),
            move || {
                let ((_, plain), vendor) = (plain?, theirs?);
                if kind == BrowserKind::Webkit {
                    // It sits out an https target, every scenario an ERROR saying why.
                    let wrong: Vec<String> = vendor
                        .iter()
                        .filter(|r| r.verdict != Verdict::Error || !r.reason.contains(WEBKIT_HTTPS))
                        .map(|r| format!("{}: {} ({})", r.id, r.verdict.name(), r.reason))
                        .collect();
                    return if wrong.is_empty() && vendor.len() == plain.len() {
                        Ok(())
                    } else {
                        Err(format!("{} of {} results, not ERROR naming why: {wrong:?}", vendor.len(), plain.len()).into())
                    };
                }
                same_verdicts(&plain, &vendor)?;
                let mut differ = Vec::new();
                let mut reached = 0;
                for v in &vendor {
                    let p = plain.iter().find(|p| p.id == v.id).ok_or("scenario missing")?;
                    for (pv, vv) in p.pages.iter().zip(&v.pages) {
                        if !vv.url.starts_with("https://") || !vv.url.contains(".s3.vendor.localhost:") {
                            differ.push(format!("{} {}: the page fetched {}", v.id, vv.step, vv.url));
                        }
                        reached += vv.store_requests;
                        if (pv.outcome, pv.store_requests) != (vv.outcome, vv.store_requests) {
                            differ.push(format!(
                                "{} {}: plain {:?} with {} store request(s), vendor-like {:?} with {}",
                                v.id, vv.step, pv.outcome, pv.store_requests, vv.outcome, vv.store_requests
                            ));
                        }
                    }
                }
                if reached == 0 {
                    differ.push("no page step reached the store through the proxy".into());
                }
                if differ.is_empty() {
                    Ok(())
                } else {
                    Err(differ.join("\n").into())
                }
            },
        ));
        let refusals = of_browser(evidence, kind, |b| b.refusals.clone()).and_then(|r| r);
        trials.push(Trial::test(
            format!(
                "network::{TARGET}::{}::proxy-refuses-other-destinations",
                kind.name()
            ),
            move || {
                let (seen, refused) = refusals?;
                let mut wrong: Vec<String> = seen
                    .iter()
                    .filter(|(_, outcome)| outcome != "network-error")
                    .map(|(url, outcome)| {
                        format!("{url}: the page saw {outcome}, not a network error")
                    })
                    .collect();
                // WebKit sends no https load to the proxy (hence corsprobe::browser::stage::
                // WEBKIT_HTTPS): only its page's network error is asked of it there.
                for want in [
                    "GET 198.51.100.7:80",
                    "CONNECT corsprobe-elsewhere.example:443",
                ] {
                    if kind == BrowserKind::Webkit && want.starts_with("CONNECT") {
                        continue;
                    }
                    if !refused.iter().any(|r| r.contains(want)) {
                        wrong.push(format!("no refusal of {want} logged (logged: {refused:?})"));
                    }
                }
                if wrong.is_empty() {
                    Ok(())
                } else {
                    Err(wrong.join("\n").into())
                }
            },
        ));
    }
    for kind in BrowserKind::ALL {
        let peers = of_browser(evidence, kind, |b| b.peers.clone());
        trials.push(Trial::test(
            format!("network::{TARGET}::{}::reaches-only-loopback", kind.name()),
            move || {
                let (samples, seen) = peers?;
                // A watch that barely ran proves nothing about the run it should have covered.
                if samples < 20 {
                    return Err(format!("only {samples} socket samples were taken").into());
                }
                if seen.is_empty() {
                    Ok(())
                } else {
                    Err(format!("sockets with peers off loopback: {seen:?}").into())
                }
            },
        ));
    }
    trials.push(Trial::test(
        "network::self-check::the-watch-sees-a-peer-off-loopback",
        || {
            use common::sockets::off_loopback;
            // /proc/net's spelling: each 32-bit word in little-endian order.
            let cases = [
                ("0100007F:1F90", None),
                ("00000000:0000", None),
                ("010200C0:0035", Some("192.0.2.1:53")),
                ("00000000000000000000000001000000:0050", None),
                ("0000000000000000FFFF00000100007F:0050", None),
                (
                    "0000000000000000FFFF0000010200C0:0050",
                    Some("192.0.2.1:80"),
                ),
            ];
            for (hex, want) in cases {
                if off_loopback(hex).as_deref() != want {
                    return Err(format!("{hex}: {:?}, expected {want:?}", off_loopback(hex)).into());
                }
            }
            // A connected UDP socket sends nothing, yet shows its peer, as a DNS lookup's does.
            let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
            if socket.connect("198.51.100.7:9").is_err() {
                // No route off the machine: the parsing above is what can be checked.
                return Ok(());
            }
            let me = std::process::id();
            let watch = common::sockets::Watch::start(move || vec![me]);
            std::thread::sleep(Duration::from_millis(100));
            let (_, seen) = watch.stop();
            drop(socket);
            if seen.iter().any(|(_, peer)| peer == "udp 198.51.100.7:9") {
                Ok(())
            } else {
                Err(format!("the watch missed a connected UDP socket: {seen:?}").into())
            }
        },
    ));
    let left = evidence
        .as_ref()
        .map_err(Clone::clone)
        .map(|e| e.browser_processes_left.clone());
    trials.push(Trial::test(
        format!("cleanup::{TARGET}::no-browser-or-driver-left"),
        move || {
            let left = left?;
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("processes still running in the drivers' groups: {left:?}").into())
            }
        },
    ));
    trials
}

/// Each scenario whose verdict differs between two runs of the same scenarios, in words.
fn verdicts_differ(planned: &[ScenarioResult], unplanned: &[ScenarioResult]) -> Vec<String> {
    let mut differ = Vec::new();
    for p in planned {
        match unplanned.iter().find(|u| u.id == p.id) {
            Some(u) if u.verdict == p.verdict => {}
            Some(u) => differ.push(format!(
                "  {}: {} planned, {} alone ({})",
                p.id,
                p.verdict.name(),
                u.verdict.name(),
                u.reason
            )),
            None => differ.push(format!("  {}: not in the unplanned run", p.id)),
        }
    }
    differ
}

/// One step of a repro script's output: its name, the request it printed and the answer.
struct ReproStep {
    name: String,
    request: corsprobe::model::exchange::RecordedRequest,
    response: Option<corsprobe::model::exchange::RecordedResponse>,
}

/// Reads a repro script's output: `== step` sections, their `> ` request lines and the
/// `curl -i` answer (status line, headers, body).
fn repro_steps(output: &str) -> Vec<ReproStep> {
    use corsprobe::model::exchange::{RecordedRequest, RecordedResponse};
    use corsprobe::repro::script::STEP_MARK;
    let mut steps: Vec<ReproStep> = Vec::new();
    let mut in_headers = false;
    for line in output.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(name) = line.strip_prefix(STEP_MARK) {
            steps.push(ReproStep {
                name: name.to_string(),
                request: RecordedRequest {
                    method: String::new(),
                    url: String::new(),
                    headers: vec![],
                    body_bytes: 0,
                },
                response: None,
            });
            in_headers = false;
            continue;
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        if let Some(req) = line.strip_prefix("> ") {
            if step.request.method.is_empty() {
                let (m, u) = req.split_once(' ').unwrap_or((req, ""));
                step.request.method = m.to_string();
                step.request.url = u.to_string();
            } else if let Some((n, v)) = req.split_once(": ") {
                step.request.headers.push((n.to_string(), v.to_string()));
            }
        } else if line.starts_with("HTTP/1.") || line.starts_with("HTTP/2") {
            let status = line
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            step.response = Some(RecordedResponse::new(status, &[], ""));
            in_headers = true;
        } else if let Some(resp) = step.response.as_mut() {
            if in_headers {
                match line.split_once(": ") {
                    Some((n, v)) => resp.headers.push((n.to_string(), v.to_string())),
                    None => in_headers = false,
                }
            } else if !line.starts_with("look at (") {
                resp.body.push_str(line);
            }
        }
    }
    steps
}

/// True when a text holds a signature: `Signature=` (a query's or a header's) followed by at
/// least 16 hex digits, or an OSS header signature.
fn signed(text: &str) -> bool {
    text.match_indices("ignature=").any(|(at, m)| {
        text[at + m.len()..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count()
            >= 16
    })
}

/// Every repro ran, held no secret or signature, and showed each check of its scenario failing
/// as the finding says (the same check, judged again on what the script printed).
fn check_repros(
    findings: &[corsprobe::model::finding::Finding],
    runs: &[(String, String, String, i32)],
    secrets: &[String],
) -> Result<(), String> {
    let scenarios = common::all_scenarios();
    let mut problems = Vec::new();
    let with_probe = findings
        .iter()
        .filter(|f| f.instances.iter().any(|i| i.browser.is_empty()))
        .count();
    if runs.len() != with_probe || runs.is_empty() {
        problems.push(format!(
            "{} repro(s) ran for {with_probe} finding(s) with a raw probe",
            runs.len()
        ));
    }
    for (id, script, output, code) in runs {
        let mut fail = |why: String| problems.push(format!("finding `{id}`: {why}"));
        for text in [script, output] {
            if secrets
                .iter()
                .any(|k| !k.is_empty() && text.contains(k.as_str()))
                || signed(text)
            {
                fail("a secret or a signature is in the script or its output".to_string());
            }
        }
        if *code != 0 {
            fail(format!("the script exited {code}:\n{output}"));
            continue;
        }
        let Some(scenario_id) = script.lines().find_map(|l| {
            l.strip_prefix("# Scenario ")
                .and_then(|r| r.split_once(' '))
                .map(|(id, _)| id.to_string())
        }) else {
            fail("the script names no scenario".to_string());
            continue;
        };
        let scenario = scenarios
            .iter()
            .find(|s| s.id == scenario_id)
            .expect("a scenario of the suite");
        let steps = repro_steps(output);
        let finding = findings
            .iter()
            .find(|f| &f.id == id)
            .expect("the finding ran");
        let instances: Vec<_> = finding
            .instances
            .iter()
            .filter(|i| i.scenario == scenario_id && i.browser.is_empty())
            .collect();
        if instances.is_empty() {
            fail(format!("no check of {scenario_id} to look at"));
        }
        for i in instances {
            let c = &i.check;
            let judged = scenario
                .steps
                .iter()
                .find(|st| st.name == c.step)
                .and_then(|st| match &st.checks {
                    corsprobe::model::check::StepChecks::Exchange(checks) => {
                        checks.iter().find(|k| k.source == c.source)
                    }
                    _ => None,
                })
                .and_then(|check| {
                    let shown = steps.iter().find(|s| s.name == c.step)?;
                    Some(check.evaluate(&c.step, &shown.request, shown.response.as_ref()?))
                });
            match judged {
                None => fail(format!(
                    "{}: step `{}` shows no answer to judge {}",
                    scenario_id, c.step, c.source
                )),
                Some(again) if again.ok => fail(format!(
                    "{}: the script's answer passes `{}` ({}), which the run failed with {}",
                    scenario_id, c.check, c.source, c.actual
                )),
                Some(again) => {
                    let volatile =
                        c.actual.contains("<RequestId>") || c.actual.contains("corsprobe-");
                    if !volatile && again.actual != c.actual {
                        fail(format!(
                            "{}: `{}`: the run saw {}, the script {}",
                            scenario_id, c.check, c.actual, again.actual
                        ));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
