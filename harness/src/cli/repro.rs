//! `corsprobe repro`: prints the script that reproduces a finding or a scenario on a target.

use super::*;
use crate::report::json;

#[derive(Debug, clap::Args)]
pub(super) struct ReproArgs {
    /// A finding id (from a run record's findings) or a scenario id.
    id: String,
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
    /// The run record the finding comes from (default: the reference report's record of the
    /// target, reports/compatibility/runs/<target>.json).
    #[arg(long)]
    record: Option<PathBuf>,
}

pub(super) fn repro(root: &Path, args: &ReproArgs) -> i32 {
    let all = match load_scenarios(root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let targets = args
        .targets
        .clone()
        .unwrap_or_else(|| Session::default_targets(root));
    let targets = std::fs::canonicalize(&targets).unwrap_or(targets);
    let session = match open_session(
        root,
        Some(&targets),
        &args.target,
        Duration::from_secs(20),
        None,
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let record_path = args
        .record
        .clone()
        .unwrap_or_else(|| root.join(format!("reports/compatibility/runs/{}.json", args.target)));
    let record = if record_path.exists() {
        match json::read(&record_path) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        None
    };
    let chosen = if let Some(s) = all.iter().find(|s| s.id == args.id) {
        crate::repro::for_scenario(s, record.as_ref())
    } else {
        let Some(mut record) = record else {
            eprintln!(
                "corsprobe: `{}` is no scenario, and no run record names findings: {} does not exist (pass --record, a run's --report-json)",
                args.id,
                record_path.display()
            );
            return EXIT_USAGE;
        };
        if record.findings.is_empty() {
            match load_catalog(root, &all) {
                Ok(c) => record.findings = c.findings(&record.results),
                Err(code) => return code,
            }
        }
        let Some(finding) = record.findings.iter().find(|f| f.id == args.id) else {
            let ids: Vec<&str> = record.findings.iter().map(|f| f.id.as_str()).collect();
            eprintln!(
                "corsprobe: `{}` is neither a scenario nor a finding of {} (its findings: {})",
                args.id,
                record_path.display(),
                ids.join(", ")
            );
            return EXIT_USAGE;
        };
        match crate::repro::for_finding(finding, &all) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("corsprobe: {e}");
                return EXIT_USAGE;
            }
        }
    };
    if let Some(why) = crate::repro::unscriptable(chosen.scenario) {
        eprintln!("corsprobe: {why}");
        return EXIT_USAGE;
    }
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    print!(
        "{}",
        crate::repro::script::render(
            &session.client,
            chosen.scenario,
            &chosen.heading,
            &root,
            &targets
        )
    );
    0
}
