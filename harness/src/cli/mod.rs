//! The command line: the arguments, the exit codes (part of the contract) and the dispatch to
//! one file per subcommand.

mod bench;
mod clean;
mod diagnose;
mod expectations;
mod faults;
mod list;
mod reports;
mod repro;
mod run;
mod sign;
mod validate;

use bench::{BenchArgs, bench};
use clean::clean;
use diagnose::{DiagnoseArgs, diagnose_cmd};
use expectations::{ExpectationsCommand, expectations_update};
use faults::{FaultsArgs, faults_cmd};
use list::list;
use reports::{ReportArgs, matrix_cmd};
use repro::{ReproArgs, repro};
use run::{RunArgs, run};
use sign::{SignArgs, sign_cmd};
use validate::validate;

use crate::model::scenario::{self, Scenario};
use crate::model::vocabulary::BrowserKind;
use crate::run::session::{OpenError, Session};
use clap::{Parser, Subcommand};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code: usage or configuration error.
pub const EXIT_USAGE: i32 = 1;
/// Exit code: a scenario or expectations file does not parse or validate.
pub const EXIT_PARSE: i32 = 2;
/// Exit code: at least one ERROR verdict (the suite could not judge).
pub const EXIT_ERROR: i32 = 3;
/// Exit code: at least one FAIL or XPASS verdict.
pub const EXIT_FAIL: i32 = 4;
// An interrupted run exits 128 + its signal: see run::signals::Interruption::exit_code.

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
        /// Print the bucket plan of the probe scenarios instead: which share a bucket.
        #[arg(long)]
        plan: bool,
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
        /// Normalise the records (no timings, dates, request ids or page ports), write each
        /// under its own file name in DIR, and render the matrix from these.
        #[arg(long, value_name = "DIR")]
        records: Option<PathBuf>,
        #[command(flatten)]
        reports: ReportArgs,
    },
    /// Known-failure lists.
    Expectations {
        #[command(subcommand)]
        command: ExpectationsCommand,
    },
    /// Run the probe suite N times at each --jobs and print what it cost: wall time, checks,
    /// milliseconds a check, exchanges by phase, buckets, and the floor of the step exchanges.
    Bench(BenchArgs),
    /// Print a bash script that reproduces a finding (or a scenario) on a target with curl:
    /// bucket, rules, the failing requests and what to look at; keys from the environment.
    Repro(ReproArgs),
    /// Make a signature for a repro script at its run time: a signed URL, or a form's fields.
    Sign(SignArgs),
    /// Tell a CORS failure from another one: the preflight and request a page sends, which rule
    /// matched or why none did, the status, caching, and whether the loosest rules pass.
    Diagnose(Box<DiagnoseArgs>),
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
    BrowserKind::parse(s).ok_or_else(|| format!("`{s}`: the browsers are chromium, firefox, webkit, chromium-standard and firefox-standard (the last two with the Fetch standard's rules they do not enforce yet switched on)"))
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
        Command::List { filters, plan } => list(&root, &filters, plan),
        Command::Validate { targets } => validate(&root, targets.as_deref()),
        Command::Run(args) => run(&root, *args),
        Command::Clean { target, targets } => clean(&root, &target, targets.as_deref()),
        Command::Matrix {
            runs,
            records,
            reports,
        } => matrix_cmd(&root, &runs, records.as_deref(), &reports),
        Command::Expectations {
            command: ExpectationsCommand::Update { run, output },
        } => expectations_update(&run, output.as_deref()),
        Command::Faults(args) => faults_cmd(&root, &args),
        Command::Repro(args) => repro(&root, &args),
        Command::Bench(args) => bench(&root, &args),
        Command::Sign(args) => sign_cmd(&root, &args),
        Command::Diagnose(args) => diagnose_cmd(&root, &args),
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

/// The findings catalog for these scenarios; an error is printed and exits 2, as `validate`'s.
fn load_catalog(
    root: &Path,
    scenarios: &[Scenario],
) -> Result<crate::model::finding::Catalog, i32> {
    crate::run::session::catalog_of(root, scenarios).map_err(|e| {
        eprintln!("corsprobe: {e}");
        EXIT_PARSE
    })
}

/// Installs the signal handlers (inside the runtime) for a run that must clean up when stopped.
fn watch_signals() -> Result<
    (
        crate::run::engine::Cancel,
        crate::run::signals::Interruption,
    ),
    i32,
> {
    let cancel = crate::run::engine::Cancel::default();
    match crate::run::signals::watch(cancel.clone()) {
        Ok(i) => Ok((cancel, i)),
        Err(e) => {
            eprintln!("corsprobe: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// Inside the runtime: the signal handlers, then the local store started if it is not running
/// (and stopped on a signal when this started it); errors printed, as an exit code.
async fn watched_store(
    client: &crate::store::client::Client,
) -> Result<
    (
        crate::run::engine::Cancel,
        crate::run::signals::Interruption,
        crate::store::local::StoreGuard,
    ),
    i32,
> {
    let (cancel, interruption) = watch_signals()?;
    let guard = crate::store::local::ensure_running(client)
        .await
        .map_err(|e| {
            eprintln!("corsprobe: {}", crate::report::console::safe(&e));
            EXIT_ERROR
        })?;
    if guard.started() {
        interruption.stop_store_on_quit(client.target().stop.clone());
    }
    Ok((cancel, interruption, guard))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime starts")
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
