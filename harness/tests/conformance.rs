//! `cargo test` runs the suite against the default local store through the same engine as the CLI.
//!
//! Trials: `probe::<target>::<scenario>` passes unless the verdict fails the gate (FAIL, ERROR,
//! XPASS); `snapshot::<target>::<scenario>` compares the CORS observation with the stored
//! snapshot through insta, so drift is reviewed with `cargo insta review`.

use corsprobe::dialect::Client;
use corsprobe::engine::{self, Cancel, RunOptions, ScenarioResult};
use corsprobe::expectations::Expectations;
use corsprobe::verdict::Verdict;
use corsprobe::{local_store, scenario, snapshot, target};
use libtest_mimic::{Arguments, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TARGET: &str = "ceph";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Runs every scenario once; trials then report on the results.
fn run_suite(root: &Path, scenarios: &[scenario::Scenario]) -> Result<Vec<ScenarioResult>, String> {
    let target = target::load(&root.join("fixtures/targets.toml"), TARGET, root)?;
    let ids: BTreeSet<String> = scenarios.iter().map(|s| s.id.clone()).collect();
    let expectations = match &target.expectations {
        Some(p) => Expectations::load(p, &ids)?,
        None => Expectations::default(),
    };
    let client = Client::new(&target, Duration::from_secs(20))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let guard = local_store::ensure_running(&client).await?;
        let opts = RunOptions {
            jobs: 4,
            run_id: engine::new_run_id(),
        };
        let results = engine::run_all(
            &client,
            scenarios,
            &expectations,
            &opts,
            &Cancel::default(),
            |_, _| {},
        )
        .await;
        guard.stop()?;
        Ok(results)
    })
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
    // Listing trials must not start a store.
    let results: Vec<Result<ScenarioResult, String>> = if args.list {
        scenarios
            .iter()
            .map(|_| Err("not run".to_string()))
            .collect()
    } else {
        match run_suite(&root, &scenarios) {
            Ok(r) => r.into_iter().map(Ok).collect(),
            Err(e) => scenarios.iter().map(|_| Err(e.clone())).collect(),
        }
    };
    let mut trials = Vec::new();
    for (s, result) in scenarios.iter().zip(results) {
        let id = s.id.clone();
        let group = s.group().to_string();
        let probe_result = result.clone();
        trials.push(
            Trial::test(format!("probe::{TARGET}::{id}"), move || {
                let r = probe_result?;
                if r.verdict.fails_gate() {
                    let failed: Vec<String> = r
                        .checks
                        .iter()
                        .filter(|c| !c.ok)
                        .map(|c| format!("  [{}] {}", c.level.name(), c.summary()))
                        .collect();
                    return Err(format!(
                        "{} {}: {}\n{}",
                        r.verdict.name(),
                        r.id,
                        r.reason,
                        failed.join("\n")
                    )
                    .into());
                }
                Ok(())
            })
            .with_ignored_flag(matches!(&result, Ok(r) if r.verdict == Verdict::Skip)),
        );
        let suites = suites.clone();
        trials.push(Trial::test(
            format!("snapshot::{TARGET}::{id}"),
            move || {
                let r = result?;
                if matches!(r.verdict, Verdict::Skip | Verdict::Error) {
                    return Err(format!(
                        "no observation to compare: {} ({})",
                        r.verdict.name(),
                        r.reason
                    )
                    .into());
                }
                let missing = format!("{}-none", r.bucket);
                let text = snapshot::render(&r, &[missing.as_str(), r.bucket.as_str()]);
                let mut settings = insta::Settings::clone_current();
                settings.set_snapshot_path(suites.join(&group).join("snapshots"));
                settings.set_prepend_module_to_snapshot(false);
                settings.set_snapshot_suffix(TARGET);
                settings.set_omit_expression(false);
                settings.bind(|| insta::assert_snapshot!(r.id.as_str(), text, "observation"));
                Ok(())
            },
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}
