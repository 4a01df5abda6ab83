//! `corsprobe run`: its arguments, the run itself, the console and report files it
//! publishes, the snapshot hint and the dry run.

use super::reports::write_reports;
use super::*;
use crate::model::expectations::Expectations;
use crate::model::result::{ScenarioResult, SnapshotStatus};
use crate::model::scenario::Scenario;
use crate::model::snapshot;
use crate::model::snapshot::SnapshotDir;
use crate::model::verdict::Verdict;
use crate::model::vocabulary::BrowserKind;
use crate::report::{console, json, record::RunRecord};
use crate::run::engine::{self, Cancel, RunOptions};
use crate::store::client::Client;
use crate::store::local;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, clap::Args)]
pub(super) struct RunArgs {
    /// Only scenarios whose id starts with one of these (e.g. `preflight/origin`).
    filters: Vec<String>,
    /// probe: raw HTTP probes; browser: the browser scenarios in real browsers; all: both.
    #[arg(long, value_enum, default_value = "probe")]
    mode: Mode,
    /// A browser for the browser scenarios (repeat for several; default: chromium, firefox and webkit).
    #[arg(long = "browser", value_parser = parse_browser)]
    browsers: Vec<BrowserKind>,
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph", help_heading = "Target")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long, help_heading = "Target")]
    targets: Option<PathBuf>,
    /// Expectations file of known failures (default: the target's `expectations`).
    #[arg(long, help_heading = "Target")]
    expectations: Option<PathBuf>,
    /// Run inside this existing bucket: its CORS configuration is saved and restored, and only
    /// objects under the run's key prefix are created and deleted. Scenarios run one at a time.
    #[arg(long, help_heading = "Target")]
    existing_bucket: Option<String>,
    /// Print the requests the run would send (secrets redacted) and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Use this run id in bucket names instead of a random one (a-z, 0-9, at most 12).
    #[arg(long, value_parser = parse_run_id)]
    run_id: Option<String>,
    /// Sign as if the clock read this Unix time (for reproducible dry runs).
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<u64>,
    /// Do not start the target's local store; fail if it is not answering.
    #[arg(long, help_heading = "Target")]
    no_start: bool,
    /// Scenarios in flight at once.
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Time limit of one request, in seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
    /// After each rules change, wait up to this many seconds until a preflight shows the new
    /// rules in effect (0: no wait; default: the target's `propagation_timeout_secs`).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=600))]
    propagation: Option<u64>,
    /// Write the JSON run record here.
    #[arg(long, help_heading = "Reports")]
    report_json: Option<PathBuf>,
    /// Store every observation as the accepted snapshot (and remove its pending file).
    #[arg(long, help_heading = "Reports")]
    accept_snapshots: bool,
    /// Keep this target's snapshots in this directory (a server project's own) instead of
    /// suites/ (default: the target's `snapshots`).
    #[arg(long, help_heading = "Reports", value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Write the results as a Markdown table here.
    #[arg(long, help_heading = "Reports")]
    report_md: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long, help_heading = "Reports")]
    report_junit: Option<PathBuf>,
    /// Write TAP version 13 here.
    #[arg(long, help_heading = "Reports")]
    report_tap: Option<PathBuf>,
    /// Write the HTML report (index and a page per scenario) into this directory.
    #[arg(long, help_heading = "Reports")]
    report_html: Option<PathBuf>,
    /// What a JUnit or TAP test case is: a scenario, or a finding (for CI that tracks tests).
    #[arg(long, value_enum, default_value = "scenario")]
    report_by: super::reports::ReportBy,
    /// NON-STRICT verdicts fail the gate too.
    #[arg(long, help_heading = "Gate")]
    strict: bool,
    /// Fail on any scenario that got worse than in this earlier JSON run record; list what got better.
    #[arg(long, help_heading = "Gate", value_name = "RUN.json")]
    baseline: Option<PathBuf>,
    /// Also list passing scenarios.
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub(super) fn parse_run_id(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 12
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(s.to_string())
    } else {
        Err("a run id is 1-12 characters of a-z and 0-9".to_string())
    }
}

pub(super) fn run(root: &Path, args: RunArgs) -> i32 {
    let all = match load_scenarios(root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ids: BTreeSet<String> = all.iter().map(|s| s.id.clone()).collect();
    let scenarios = match args.mode.select_some(all, &args.filters) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (in_browser, probes): (Vec<Scenario>, Vec<Scenario>) =
        scenarios.iter().cloned().partition(Scenario::is_browser);
    let browsers = browsers_or_all(&args.browsers);
    let mut session = match open_session(
        root,
        args.targets.as_deref(),
        &args.target,
        Duration::from_secs(args.timeout),
        Some((args.expectations.as_deref(), &ids)),
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Everything the end of the run needs is checked before the first request.
    let baseline = match &args.baseline {
        Some(p) => match json::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("corsprobe: --baseline {e}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let reports = ReportArgs {
        report_md: args.report_md.clone(),
        report_junit: args.report_junit.clone(),
        report_tap: args.report_tap.clone(),
        report_html: args.report_html.clone(),
        report_by: args.report_by,
    };
    if let Some(at) = args.at {
        session
            .client
            .pin_time(std::time::UNIX_EPOCH + Duration::from_secs(at));
    }
    if let Some(secs) = args.propagation {
        session.target.propagation_timeout_secs = secs;
        session.client.set_propagation_timeout(secs);
    }
    let (target, client) = (&session.target, &session.client);
    let run_id = args.run_id.clone().unwrap_or_else(engine::new_run_id);
    let existing_bucket = args
        .existing_bucket
        .clone()
        .or(target.existing_bucket.clone());
    if args.dry_run {
        if !in_browser.is_empty() {
            let ids: Vec<&str> = in_browser.iter().map(|s| s.id.as_str()).collect();
            println!(
                "dry run: {} browser scenario(s) left out (a page's requests are the browser's to make): {}",
                ids.len(),
                ids.join(", ")
            );
        }
        return dry_run(
            client.clone(),
            &probes,
            &session.expectations,
            run_id,
            existing_bucket,
        );
    }
    if let Err(e) = writable(args.report_json.as_deref(), &reports) {
        eprintln!("corsprobe: {e}");
        return EXIT_USAGE;
    }
    let snapshots = match args.snapshots.clone().or(target.snapshots.clone()) {
        Some(dir) => SnapshotDir::Own(dir),
        None => SnapshotDir::Suites(root.join("suites")),
    };
    let rt = runtime();
    rt.block_on(async {
        // The handlers go in first: a signal while the store starts must still clean up.
        let (cancel, interruption) = match super::watch_signals() {
            Ok(w) => w,
            Err(code) => return code,
        };
        let opts = RunOptions::for_target(target, args.jobs as usize)
            .with_run_id(run_id.clone())
            .in_bucket(existing_bucket);
        let started_at = crate::model::clock::rfc3339(SystemTime::now());
        let start = Instant::now();
        let reached = if args.no_start {
            client
                .reach()
                .await
                .map(|()| None)
                .map_err(|cause| format!("target `{}` at {} does not answer (--no-start): {cause}", target.name, target.endpoint))
        } else {
            local::ensure_running(client).await.map(Some)
        };
        let guard = match reached {
            Ok(g) => g,
            Err(e) => {
                // Every requested report still gets written, so a CI job's publish step has a file.
                eprintln!("corsprobe: {}", console::safe(&e));
                let why = format!("the target could not be reached: {e}");
                let mut results: Vec<ScenarioResult> =
                    probes.iter().map(|s| ScenarioResult::unjudged(s, Verdict::Error, &why)).collect();
                for kind in &browsers {
                    results.extend(in_browser.iter().map(|s| {
                        let mut r = ScenarioResult::unjudged(s, Verdict::Error, &why);
                        r.browser = kind.name().to_string();
                        r
                    }));
                }
                let mut record = RunRecord::new(target, started_at, 0.0, opts.jobs, run_id.clone(), results);
                record.mode = args.mode.name().to_string();
                record.findings = session.findings(&record.results);
                let _ = publish(&record, client, &args, &reports);
                return EXIT_ERROR;
            }
        };
        if guard.as_ref().is_some_and(|g| g.started()) {
            interruption.stop_store_on_quit(target.stop.clone());
        }
        let saved = match &opts.existing_bucket {
            Some(b) => match engine::save_cors(client, b).await {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("corsprobe: {}", console::safe(&e));
                    return EXIT_ERROR;
                }
            },
            None => None,
        };
        let total = probes.len() + in_browser.len() * browsers.len();
        let bar = progress_bar(&target.name, total);
        let shown = bar.clone();
        let progress = move |r: &ScenarioResult| {
            shown.set_message(format!("{} {}", r.verdict.name(), r.label()));
            shown.inc(1);
        };
        let pages = root.join("fixtures/pages");
        let (mut results, browser_infos) = session
            .run((&probes, &in_browser), (&browsers, &pages), &opts, &cancel, progress)
            .await;
        bar.finish_and_clear();
        let duration_ms = (start.elapsed().as_secs_f64() * 1000.0).round();
        // Restored whatever happened to the scenarios, interruptions included.
        let restored = match &saved {
            Some(s) => Some(engine::restore_cors(client, s).await),
            None => None,
        };
        for r in results.iter_mut() {
            // Snapshots hold what the store sends; a page's view differs by browser and cache.
            if matches!(r.verdict, Verdict::Skip | Verdict::Error) || !r.browser.is_empty() {
                continue;
            }
            let text = snapshot::render(r);
            let outcome = snapshot::compare(root, &snapshots, &r.id, &target.name, &text);
            let written = if args.accept_snapshots {
                snapshot::accept(&snapshots, &r.id, &target.name, &text)
            } else if outcome.status != SnapshotStatus::Match {
                snapshot::write_pending(&snapshots, &r.id, &target.name, &text)
            } else {
                Ok(PathBuf::new())
            };
            if let Err(e) = written {
                eprintln!("corsprobe: {e}");
            }
            r.snapshot = Some(outcome);
        }
        let mut record = RunRecord::new(target, started_at, duration_ms, opts.jobs, opts.run_id.clone(), results);
        record.mode = args.mode.name().to_string();
        record.browsers = browser_infos;
        record.findings = session.findings(&record.results);
        let seen: BTreeSet<String> = record.findings.iter().map(|f| f.id.clone()).collect();
        for stale in session.expectations.unseen_findings(&seen) {
            println!("NOTICE listed finding `{stale}` was not seen in this run: if the run covered its scenarios, remove its entry");
        }
        let published = publish(&record, client, &args, &reports);
        if record.snapshots.changed + record.snapshots.new > 0 && !args.accept_snapshots {
            println!("{}", snapshot_hint(&snapshots));
        }
        let mut code = 0;
        if let (Some(s), Some(r)) = (&saved, &restored) {
            match r {
                Ok(()) => println!("restored the CORS configuration of {} (GetBucketCors returns the same bytes as before)", s.bucket),
                Err(e) => {
                    eprintln!("corsprobe: {}", console::safe(e));
                    code = EXIT_ERROR;
                }
            }
        }
        if let Some(g) = guard
            && let Err(e) = g.stop()
        {
            eprintln!("corsprobe: {}", console::safe(&e));
        }
        if let Some(exit) = interruption.exit_code() {
            eprintln!("corsprobe: interrupted: {} scenario(s) not run", record.summary.get("SKIP").copied().unwrap_or(0));
            return exit;
        }
        let gate = crate::report::gate::Gate { strict: args.strict, baseline, snapshots_accepted: args.accept_snapshots };
        let decision = gate.decide(&record);
        for b in &decision.better {
            println!("better than the baseline: {b}");
        }
        for r in &decision.reasons {
            eprintln!("gate: {r}");
        }
        // A report that could not be written is said above; it never hides the gate's verdict.
        match (code, decision.code, published) {
            (0, 0, Err(())) => EXIT_USAGE,
            (0, gate, _) => gate,
            (restore, _, _) => restore,
        }
    })
}

/// The run's progress bar on stderr: the target, how many scenarios are done, and the last
/// verdict; drawn only on a terminal, so logs and CI output stay clean.
pub(super) fn progress_bar(target: &str, total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(target.to_string());
    bar
}

/// Prints the console report and writes every requested report file; a file that cannot be
/// written is named on stderr and the others are still written.
pub(super) fn publish(
    record: &RunRecord,
    client: &Client,
    args: &RunArgs,
    reports: &ReportArgs,
) -> Result<(), ()> {
    print!(
        "{}",
        console::safe(
            &client
                .redactor()
                .text(&console::render(record, args.verbose))
        )
    );
    let mut ok = true;
    if let Some(path) = &args.report_json {
        match json::write_report(path, record, client.redactor()) {
            Ok(()) => println!("report: {}", path.display()),
            Err(e) => {
                eprintln!("corsprobe: cannot write the report: {e}");
                ok = false;
            }
        }
    }
    for e in write_reports(reports, vec![record.clone()]) {
        eprintln!("corsprobe: cannot write the report: {e}");
        ok = false;
    }
    if ok { Ok(()) } else { Err(()) }
}

/// How to act on pending snapshots, as commands that work when pasted.
pub(super) fn snapshot_hint(dir: &SnapshotDir) -> String {
    let mut again: Vec<String> = std::env::args().map(|a| shell_word(&a)).collect();
    again.push("--accept-snapshots".into());
    let dir = match dir {
        SnapshotDir::Suites(suites) => suites,
        SnapshotDir::Own(d) => d,
    };
    let dir = shell_word(&dir.display().to_string());
    format!(
        "snapshots: each pending observation is a `.snap.new` beside its `.snap`; review them with:\n  find {dir} -name '*.snap.new' -exec sh -c 'diff -uN \"${{1%.new}}\" \"$1\"' _ {{}} \\;\nthen accept them all with:\n  {}",
        again.join(" ")
    )
}

/// One word for a POSIX shell: as it is when it is plain, else single-quoted with each `'`
/// written `'\''`, so a printed command runs as printed whatever the path holds.
fn shell_word(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Checks before the run that every report path can be written (its directory made).
pub(super) fn writable(json: Option<&Path>, reports: &ReportArgs) -> Result<(), String> {
    let files = [
        json,
        reports.report_md.as_deref(),
        reports.report_junit.as_deref(),
        reports.report_tap.as_deref(),
    ];
    for path in files.into_iter().flatten() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot write the report {}: {e}", path.display()))?;
        }
        if path.is_dir() {
            return Err(format!(
                "cannot write the report {}: it is a directory",
                path.display()
            ));
        }
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| format!("cannot write the report {}: {e}", path.display()))?;
    }
    if let Some(dir) = &reports.report_html {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot write the HTML report into {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Prints every request a run would send, in order, and sends nothing.
pub(super) fn dry_run(
    mut client: Client,
    scenarios: &[Scenario],
    expectations: &Expectations,
    run_id: String,
    existing_bucket: Option<String>,
) -> i32 {
    let log = client.dry_run();
    let opts = RunOptions::for_target(client.target(), 1)
        .with_run_id(run_id)
        .in_bucket(existing_bucket);
    if opts.existing_bucket.is_none() && opts.probe_only.is_none() {
        let units = crate::model::plan::plan(scenarios, engine::turns_for(client.target()));
        print!("{}", crate::model::plan::describe(scenarios, &units));
    }
    runtime().block_on(engine::run_all(
        &client,
        scenarios,
        expectations,
        &opts,
        &Cancel::default(),
        |_, _| {},
    ));
    let requests = log.lock().expect("dry-run log");
    let mut out = std::io::stdout().lock();
    for r in requests.iter() {
        let _ = writeln!(out, "{r}");
    }
    let _ = writeln!(
        out,
        "dry run: {} request(s) for {} scenario(s) to {}, nothing sent",
        requests.len(),
        scenarios.len(),
        client.target().endpoint_host()
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_review_command_runs_in_a_directory_named_with_a_quote() {
        let dir =
            std::env::temp_dir().join(format!("corsprobe it's $HOME `x` {}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.snap"), "old\n").unwrap();
        std::fs::write(dir.join("a.snap.new"), "new\n").unwrap();
        let hint = snapshot_hint(&SnapshotDir::Own(dir.clone()));
        let find = hint.lines().nth(1).unwrap().trim();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(find)
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains("-old") && shown.contains("+new"),
            "{find}\n{shown}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
