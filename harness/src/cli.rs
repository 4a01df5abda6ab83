//! The command line: `run`, `list`, `validate`, `clean`. Exit codes are part of the contract.

use crate::model::expectations::Expectations;
use crate::model::result::{ScenarioResult, SnapshotStatus};
use crate::model::scenario::{self, Scenario};
use crate::model::snapshot;
use crate::model::snapshot::SnapshotDir;
use crate::model::verdict::Verdict;
use crate::model::vocabulary::BrowserKind;
use crate::report::{console, json, record::RunRecord};
use crate::run::engine::{self, Cancel, RunOptions};
use crate::run::session::{OpenError, Session};
use crate::store::client::Client;
use crate::store::{local, target};
use clap::{Parser, Subcommand};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Exit code: usage or configuration error.
pub const EXIT_USAGE: i32 = 1;
/// Exit code: a scenario or expectations file does not parse or validate.
pub const EXIT_PARSE: i32 = 2;
/// Exit code: at least one ERROR verdict (the suite could not judge).
pub const EXIT_ERROR: i32 = 3;
/// Exit code: at least one FAIL or XPASS verdict.
pub const EXIT_FAIL: i32 = 4;
/// Exit code: the run was interrupted (Ctrl-C); its verdicts are incomplete.
pub const EXIT_INTERRUPTED: i32 = 130;

/// corsprobe: a conformance suite for the CORS behaviour of object stores.
#[derive(Debug, Parser)]
#[command(name = "corsprobe", version, about)]
pub struct Cli {
    /// Repository root holding suites/ and fixtures/ (default: found from the current directory).
    #[arg(long, global = true, env = "CORSPROBE_ROOT")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios against a target and judge them.
    Run(Box<RunArgs>),
    /// List scenario ids, levels and titles.
    List {
        /// Only ids starting with one of these.
        filters: Vec<String>,
    },
    /// Check every scenario, the targets file and expectations without sending anything.
    Validate {
        /// Targets file to check as well.
        #[arg(long)]
        targets: Option<PathBuf>,
    },
    /// Mutation test: run the suite through a fault-injecting proxy, once per fault, and show
    /// which scenarios catch each fault.
    Faults(FaultsArgs),
    /// Merge JSON run records into a compatibility matrix and write it in any format.
    Matrix {
        /// JSON run records (`run --report-json`).
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        #[command(flatten)]
        reports: ReportArgs,
    },
    /// Known-failure lists.
    Expectations {
        #[command(subcommand)]
        command: ExpectationsCommand,
    },
    /// Remove buckets left by interrupted runs: only those named with the target's prefix.
    Clean {
        /// Target name in the targets file.
        #[arg(long, default_value = "ceph")]
        target: String,
        /// Targets file (default: fixtures/targets.toml).
        #[arg(long)]
        targets: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct FaultsArgs {
    /// Only scenarios whose id starts with one of these.
    filters: Vec<String>,
    /// Print every fault's name and what it does, and run nothing.
    #[arg(long)]
    list: bool,
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
    /// Only this fault (repeat for several; default: all; `--list` names them).
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// probe: raw HTTP probes; browser: the browser scenarios in real browsers; all: both.
    #[arg(long, value_enum, default_value = "probe")]
    mode: Mode,
    /// A browser for the browser scenarios (repeat for several; default: chromium and firefox).
    #[arg(long = "browser", value_parser = parse_browser)]
    browsers: Vec<BrowserKind>,
    /// Scenarios in flight at once (1-64).
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Write the table as JSON here.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ExpectationsCommand {
    /// Propose an expectations file from a run: every FAIL, NON-STRICT or ERROR listed with its
    /// reason. Printed (or written to --output) for review; nothing is edited in place.
    Update {
        /// A JSON run record.
        run: PathBuf,
        /// Write the proposal here instead of printing it.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Write the matrix as Markdown here.
    #[arg(long)]
    report_md: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    report_junit: Option<PathBuf>,
    /// Write TAP version 13 here.
    #[arg(long)]
    report_tap: Option<PathBuf>,
    /// Write the HTML report into this directory.
    #[arg(long)]
    report_html: Option<PathBuf>,
}

/// Which scenarios a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Raw HTTP probes only.
    Probe,
    /// Browser scenarios only, in real browsers.
    Browser,
    /// Both.
    All,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Probe => "probe",
            Mode::Browser => "browser",
            Mode::All => "all",
        }
    }

    /// Like [`Mode::select`], but none selected is a usage error, said on stderr.
    fn select_some(self, all: Vec<Scenario>, filters: &[String]) -> Result<Vec<Scenario>, i32> {
        let chosen = self.select(all, filters);
        if chosen.is_empty() {
            eprintln!(
                "corsprobe: no {} scenario id starts with {}",
                self.name(),
                filters.join(" or ")
            );
            return Err(EXIT_USAGE);
        }
        Ok(chosen)
    }

    /// The scenarios matching the filters that this mode runs.
    fn select(self, all: Vec<Scenario>, filters: &[String]) -> Vec<Scenario> {
        let mut chosen = scenario::select(all, filters);
        chosen.retain(|s| match self {
            Mode::Probe => !s.is_browser(),
            Mode::Browser => s.is_browser(),
            Mode::All => true,
        });
        chosen
    }
}

fn parse_browser(s: &str) -> Result<BrowserKind, String> {
    BrowserKind::parse(s).ok_or_else(|| format!("`{s}`: the browsers are chromium and firefox"))
}

/// The browsers asked for, each once, or all of them.
fn browsers_or_all(asked: &[BrowserKind]) -> Vec<BrowserKind> {
    if asked.is_empty() {
        return BrowserKind::ALL.to_vec();
    }
    let mut out: Vec<BrowserKind> = Vec::new();
    for b in asked {
        if !out.contains(b) {
            out.push(*b);
        }
    }
    out
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Only scenarios whose id starts with one of these (e.g. `preflight/origin`).
    filters: Vec<String>,
    /// probe: raw HTTP probes; browser: the browser scenarios in real browsers; all: both.
    #[arg(long, value_enum, default_value = "probe")]
    mode: Mode,
    /// A browser for the browser scenarios (repeat for several; default: chromium and firefox).
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

fn parse_run_id(s: &str) -> Result<String, String> {
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

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let root = match find_root(cli.root.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("corsprobe: {e}");
            return EXIT_USAGE;
        }
    };
    match cli.command {
        Command::List { filters } => list(&root, &filters),
        Command::Validate { targets } => validate(&root, targets.as_deref()),
        Command::Run(args) => run(&root, *args),
        Command::Clean { target, targets } => clean(&root, &target, targets.as_deref()),
        Command::Matrix { runs, reports } => matrix_cmd(&runs, &reports),
        Command::Expectations {
            command: ExpectationsCommand::Update { run, output },
        } => expectations_update(&run, output.as_deref()),
        Command::Faults(args) => faults_cmd(&root, &args),
    }
}

/// The repository root: given, or the first ancestor of the current directory with suites/ and fixtures/.
pub fn find_root(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(r) = given {
        return if r.join("suites").is_dir() {
            Ok(r.to_path_buf())
        } else {
            Err(format!("{}: no suites/ directory here", r.display()))
        };
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf);
    cwd.ancestors()
        .map(Path::to_path_buf)
        .chain(built)
        .find(|d| d.join("suites").is_dir() && d.join("fixtures").is_dir())
        .ok_or_else(|| {
            "no suites/ and fixtures/ found; run from the repository or pass --root".to_string()
        })
}

fn load_scenarios(root: &Path) -> Result<Vec<Scenario>, i32> {
    scenario::load_all(&root.join("suites"), &root.join("fixtures")).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("corsprobe: {} scenario file(s) invalid", errors.len());
        EXIT_PARSE
    })
}

fn list(root: &Path, filters: &[String]) -> i32 {
    let scenarios = match load_scenarios(root) {
        Ok(s) => scenario::select(s, filters),
        Err(code) => return code,
    };
    let mut groups = BTreeSet::new();
    let mut out = std::io::stdout().lock();
    for s in &scenarios {
        groups.insert(s.group().to_string());
        let _ = writeln!(out, "{:<58} {:<9} {}", s.id, s.level.name(), s.title);
    }
    let _ = writeln!(
        out,
        "{} scenarios in {} groups",
        scenarios.len(),
        groups.len()
    );
    0
}

fn validate(root: &Path, targets: Option<&Path>) -> i32 {
    let scenarios = match load_scenarios(root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ids: BTreeSet<String> = scenarios.iter().map(|s| s.id.clone()).collect();
    let mut errors = Vec::new();
    let exp_dir = root.join("fixtures/expectations");
    let mut expectation_files: BTreeSet<PathBuf> = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(&exp_dir) {
        expectation_files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml")),
        );
    }
    let targets_file = targets
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("fixtures/targets.toml"));
    // Everything `run` checks about a target, credentials aside: nothing is sent.
    let loaded = match target::load_all(&targets_file) {
        Ok(t) => t,
        Err(e) => {
            errors.extend(e);
            vec![]
        }
    };
    for t in &loaded {
        if let Some(p) = &t.expectations {
            expectation_files.insert(p.clone());
        }
    }
    for p in &expectation_files {
        if let Err(e) = Expectations::load(p, &ids) {
            errors.push(e);
        }
    }
    for e in &errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        return EXIT_PARSE;
    }
    println!(
        "ok: {} scenarios, {} expectations file(s), {} target(s) in {}",
        scenarios.len(),
        expectation_files.len(),
        loaded.len(),
        targets_file.display()
    );
    0
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime starts")
}

fn run(root: &Path, args: RunArgs) -> i32 {
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
    };
    if let Some(at) = args.at {
        session
            .client
            .pin_time(std::time::UNIX_EPOCH + Duration::from_secs(at));
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
        let cancel = Cancel::default();
        let interruption = match crate::run::signals::watch(cancel.clone()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
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
fn progress_bar(target: &str, total: usize) -> indicatif::ProgressBar {
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
fn publish(
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
fn snapshot_hint(dir: &SnapshotDir) -> String {
    let mut again: Vec<String> = std::env::args()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect();
    again.push("--accept-snapshots".into());
    let dir = match dir {
        SnapshotDir::Suites(suites) => suites,
        SnapshotDir::Own(d) => d,
    };
    let dir = dir.display();
    format!(
        "snapshots: each pending observation is a `.snap.new` beside its `.snap`; review them with:\n  find '{dir}' -name '*.snap.new' -exec sh -c 'diff -uN \"${{1%.new}}\" \"$1\"' _ {{}} \\;\nthen accept them all with:\n  {}",
        again.join(" ")
    )
}

/// Checks before the run that every report path can be written (its directory made).
fn writable(json: Option<&Path>, reports: &ReportArgs) -> Result<(), String> {
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

/// Opens a session on a target, with its known failures when a run applies them; errors are
/// printed: a targets or expectations file that does not parse or validate exits 2 (as in
/// `validate`), an unknown target or a missing credential 1.
fn open_session(
    root: &Path,
    targets: Option<&Path>,
    name: &str,
    timeout: Duration,
    expectations: Option<(Option<&Path>, &BTreeSet<String>)>,
) -> Result<Session, i32> {
    let session = Session::open(root, targets, name, timeout);
    let session = match expectations {
        Some((file, ids)) => session.and_then(|s| s.expecting(file, ids)),
        None => session,
    };
    session.map_err(|e| {
        eprintln!("corsprobe: {e}");
        match e {
            OpenError::File(_) => EXIT_PARSE,
            OpenError::Usage(_) => EXIT_USAGE,
        }
    })
}

fn clean(root: &Path, target_name: &str, targets: Option<&Path>) -> i32 {
    let Session { target, client, .. } =
        match open_session(root, targets, target_name, Duration::from_secs(20), None) {
            Ok(s) => s,
            Err(code) => return code,
        };
    runtime().block_on(async {
        let (listing, names) = client
            .list_buckets(crate::model::exchange::Phase::Teardown)
            .await;
        if !listing.succeeded() {
            eprintln!(
                "corsprobe: ListBuckets on {}: {}",
                target.endpoint_host(),
                listing.outcome()
            );
            return EXIT_ERROR;
        }
        let ours: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with(&target.bucket_prefix))
            .collect();
        let mut failed = 0;
        for name in &ours {
            match engine::remove_bucket(&client, name).await.1 {
                Ok(()) => println!("removed {name}"),
                Err(e) => {
                    failed += 1;
                    eprintln!("corsprobe: {e}");
                }
            }
        }
        println!(
            "corsprobe: removed {} of {} bucket(s) named `{}*`; {} other bucket(s) left alone",
            ours.len() - failed,
            ours.len(),
            target.bucket_prefix,
            names.len() - ours.len()
        );
        if failed > 0 { EXIT_ERROR } else { 0 }
    })
}

fn faults_cmd(root: &Path, args: &FaultsArgs) -> i32 {
    use crate::proxy::faults::Fault;
    if args.list {
        for f in Fault::ALL {
            println!("{:<28} {}", f.name(), f.description());
        }
        println!("{} faults", Fault::ALL.len());
        return 0;
    }
    let browsers = browsers_or_all(&args.browsers);
    let scenarios = match load_scenarios(root).and_then(|s| args.mode.select_some(s, &args.filters))
    {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut faults = Vec::new();
    for name in &args.faults {
        match Fault::parse(name) {
            Some(f) => faults.push(f),
            None => {
                eprintln!(
                    "corsprobe: unknown fault `{name}` (`corsprobe faults --list` names them)"
                );
                return EXIT_USAGE;
            }
        }
    }
    if faults.is_empty() {
        faults = Fault::ALL.to_vec();
    }
    let (target_name, targets, jobs, report_json) = (
        args.target.as_str(),
        args.targets.as_deref(),
        args.jobs as usize,
        args.report_json.as_deref(),
    );
    let Session { target, client, .. } =
        match open_session(root, targets, target_name, Duration::from_secs(20), None) {
            Ok(s) => s,
            Err(code) => return code,
        };
    runtime().block_on(async {
        let cancel = Cancel::default();
        let interruption = match crate::run::signals::watch(cancel.clone()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        };
        let guard = match local::ensure_running(&client).await {
            Ok(g) => g,
            Err(e) => {
                eprintln!("corsprobe: {}", console::safe(&e));
                return EXIT_ERROR;
            }
        };
        if guard.started() {
            interruption.stop_store_on_quit(target.stop.clone());
        }
        let start = Instant::now();
        let pages = root.join("fixtures/pages");
        let outcome = crate::run::mutation::run(
            &target,
            &scenarios,
            &faults,
            jobs,
            Duration::from_secs(20),
            (&browsers, &pages),
            &cancel,
        )
        .await;
        let _ = guard.stop();
        if let Some(exit) = interruption.exit_code() {
            eprintln!("corsprobe: interrupted: the fault table is incomplete");
            return exit;
        }
        let outcomes = match outcome {
            Ok((_, o)) => o,
            Err(e) => {
                eprintln!("corsprobe: {}", console::safe(&e));
                return EXIT_ERROR;
            }
        };
        if let Some(path) = report_json {
            let text = serde_json::to_string_pretty(&outcomes).expect("outcomes serialise");
            if let Err(e) = std::fs::write(path, client.redactor().text(&text)) {
                eprintln!("corsprobe: {}: {e}", path.display());
                return EXIT_USAGE;
            }
        }
        print!("{}", crate::run::mutation::render(&outcomes));
        println!(
            "{} scenarios x {} faults in {:.1} s",
            scenarios.len(),
            faults.len() + 1,
            start.elapsed().as_secs_f64()
        );
        if outcomes.iter().any(|o| o.caught_by.is_empty()) {
            EXIT_FAIL
        } else {
            0
        }
    })
}

/// Prints every request a run would send, in order, and sends nothing.
fn dry_run(
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

/// Writes every report format that was asked for, all rendered from the run records; a file
/// that cannot be written does not keep the others from being written. Gives the failures.
fn write_reports(args: &ReportArgs, records: Vec<RunRecord>) -> Vec<String> {
    use crate::report::{html, junit, markdown, matrix::Matrix, tap};
    if args.report_md.is_none()
        && args.report_junit.is_none()
        && args.report_tap.is_none()
        && args.report_html.is_none()
    {
        return Vec::new();
    }
    let m = Matrix::new(records);
    let write = |path: &Path, text: String| -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut failed = Vec::new();
    for (path, render) in [
        (&args.report_md, markdown::render as fn(&Matrix) -> String),
        (&args.report_junit, junit::render),
        (&args.report_tap, tap::render),
    ] {
        if let Some(p) = path
            && let Err(e) = write(p, render(&m))
        {
            failed.push(e);
        }
    }
    if let Some(dir) = &args.report_html
        && let Err(e) = html::write_report(dir, &m)
    {
        failed.push(e);
    }
    failed
}

fn matrix_cmd(runs: &[PathBuf], reports: &ReportArgs) -> i32 {
    let mut records = Vec::new();
    for p in runs {
        match json::read(p) {
            Ok(r) => records.push(r),
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let n = records.len();
    let failed = write_reports(reports, records);
    for e in &failed {
        eprintln!("corsprobe: {e}");
    }
    if !failed.is_empty() {
        return EXIT_USAGE;
    }
    println!("matrix of {n} run(s) written");
    0
}

fn expectations_update(run: &Path, output: Option<&Path>) -> i32 {
    let record = match json::read(run) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("corsprobe: {e}");
            return EXIT_USAGE;
        }
    };
    let mut text = format!(
        "# Proposed from {} ({} run at {}). Review every entry: each says why the target fails.\n",
        run.display(),
        record.target.name,
        record.started_at
    );
    let mut n = 0;
    for r in &record.results {
        let (verdict, reason) = match r.verdict {
            crate::model::verdict::Verdict::Fail
            | crate::model::verdict::Verdict::NonStrict
            | crate::model::verdict::Verdict::Error => (r.verdict, r.reason.clone()),
            // Already listed and still failing: keep the entry, its verdict and its reason.
            crate::model::verdict::Verdict::Xfail => {
                let listed = r.reason.trim_start_matches("known ");
                let (name, rest) = listed.split_once(": ").unwrap_or(("FAIL", listed));
                (
                    crate::model::verdict::Verdict::parse(name)
                        .unwrap_or(crate::model::verdict::Verdict::Fail),
                    rest.split_once(crate::model::expectations::SEEN)
                        .map(|(r, _)| r)
                        .unwrap_or(rest)
                        .to_string(),
                )
            }
            _ => continue,
        };
        n += 1;
        let browser = if r.browser.is_empty() {
            String::new()
        } else {
            format!("browser = {:?}\n", r.browser)
        };
        text.push_str(&format!(
            "\n[[known]]\nid = {:?}\n{browser}verdict = {:?}\nreason = {:?}\n",
            r.id,
            verdict.name(),
            reason
        ));
    }
    match output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &text) {
                eprintln!("corsprobe: {}: {e}", p.display());
                return EXIT_USAGE;
            }
            println!("{n} entr(ies) proposed in {}", p.display());
        }
        None => print!("{text}"),
    }
    0
}
