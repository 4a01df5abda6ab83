//! `corsprobe bench`: the probe suite run N times at each `--jobs`, with what each run cost:
//! wall time, checks, milliseconds a check, store exchanges by phase, buckets made, and the
//! floor (the step exchanges alone). The lines keep one format so commits compare.

use super::*;
use crate::model::exchange::Phase;
use crate::model::result::ScenarioResult;
use crate::run::engine::RunOptions;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub(super) struct BenchArgs {
    /// Only scenarios whose id starts with one of these (default: every probe scenario).
    filters: Vec<String>,
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
    /// Runs per configuration (1-50).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    runs: u16,
    /// The `--jobs` values to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    jobs: Vec<u16>,
}

/// What one run cost.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    wall_ms: f64,
    checks: usize,
    setup: usize,
    step: usize,
    teardown: usize,
    buckets: usize,
    floor_ms: f64,
}

impl Cost {
    fn of(results: &[ScenarioResult], wall_ms: f64) -> Cost {
        let mut c = Cost {
            wall_ms,
            checks: results.iter().map(|r| r.checks.len()).sum(),
            ..Cost::default()
        };
        for e in results.iter().flat_map(|r| &r.exchanges) {
            match e.phase {
                Phase::Setup => c.setup += 1,
                Phase::Step => {
                    c.step += 1;
                    c.floor_ms += e.duration_ms;
                }
                Phase::Teardown => c.teardown += 1,
            }
            if e.label == "CreateBucket" {
                c.buckets += 1;
            }
        }
        c
    }

    fn exchanges(&self) -> usize {
        self.setup + self.step + self.teardown
    }

    fn per_check(&self) -> f64 {
        self.wall_ms / self.checks.max(1) as f64
    }

    fn line(&self, jobs: u16, run: &str) -> String {
        format!(
            "{jobs}\t{run}\t{:.1}\t{}\t{:.2}\t{}\t{}\t{}\t{}\t{}\t{:.1}",
            self.wall_ms,
            self.checks,
            self.per_check(),
            self.exchanges(),
            self.setup,
            self.step,
            self.teardown,
            self.buckets,
            self.floor_ms
        )
    }
}

/// The median run by wall time.
fn median(costs: &[Cost]) -> Cost {
    let mut sorted = costs.to_vec();
    sorted.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
    sorted[sorted.len() / 2]
}

pub(super) fn bench(root: &Path, args: &BenchArgs) -> i32 {
    let all = match load_scenarios(root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Expectations and the findings catalog name scenarios of every mode.
    let ids = all.iter().map(|s| s.id.clone()).collect();
    let probes = match Mode::Probe.select_some(all, &args.filters) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let session = match open_session(
        root,
        args.targets.as_deref(),
        &args.target,
        Duration::from_secs(20),
        Some((None, &ids)),
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime().block_on(async {
        let (cancel, interruption, guard) = match super::watched_store(&session.client).await {
            Ok(w) => w,
            Err(code) => return code,
        };
        println!(
            "corsprobe bench: target {}, {} probe scenarios, {} run(s) per configuration",
            session.target.name,
            probes.len(),
            args.runs
        );
        println!("jobs\trun\twall_ms\tchecks\tms_per_check\texchanges\tsetup\tstep\tteardown\tbuckets\tfloor_ms");
        let mut medians = Vec::new();
        for &jobs in &args.jobs {
            let mut costs = Vec::new();
            for run in 1..=args.runs {
                let opts = RunOptions::for_target(&session.target, jobs.max(1) as usize);
                let start = Instant::now();
                let (results, _) = session
                    .run((&probes, &[]), (&[], root), &opts, &cancel, |_| {})
                    .await;
                let wall = start.elapsed().as_secs_f64() * 1000.0;
                if cancel.is_cancelled() {
                    break;
                }
                let cost = Cost::of(&results, wall);
                println!("{}", cost.line(jobs, &run.to_string()));
                costs.push(cost);
            }
            if costs.is_empty() {
                break;
            }
            let m = median(&costs);
            println!("{}", m.line(jobs, "median"));
            medians.push((jobs, m));
        }
        let _ = guard.stop();
        if let Some(exit) = interruption.exit_code() {
            return exit;
        }
        for (jobs, m) in &medians {
            println!(
                "jobs {jobs}: median {:.0} ms for {} checks, {:.2} ms a check; {} exchanges (setup {}, step {}, teardown {}); {} buckets; floor {:.0} ms",
                m.wall_ms, m.checks, m.per_check(), m.exchanges(), m.setup, m.step, m.teardown, m.buckets, m.floor_ms
            );
        }
        if let [(j1, a), .., (j2, b)] = medians.as_slice() {
            println!("jobs {j2} is {:.1}x as fast as jobs {j1}", a.wall_ms / b.wall_ms.max(0.001));
        }
        0
    })
}
