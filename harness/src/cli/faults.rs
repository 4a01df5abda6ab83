//! `corsprobe faults`: the suite run through the fault proxy, once per fault.

use super::*;
use crate::model::vocabulary::BrowserKind;
use crate::report::console;
use crate::run::session::Session;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub(super) struct FaultsArgs {
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
    /// A browser for the browser scenarios (repeat for several; default: chromium, firefox and webkit).
    #[arg(long = "browser", value_parser = parse_browser)]
    browsers: Vec<BrowserKind>,
    /// Scenarios in flight at once (1-64).
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Write the table as JSON here.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

pub(super) fn faults_cmd(root: &Path, args: &FaultsArgs) -> i32 {
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
        let (cancel, interruption, guard) = match super::watched_store(&client).await {
            Ok(w) => w,
            Err(code) => return code,
        };
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
