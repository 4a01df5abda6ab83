//! `corsprobe bench`: the probe suite run N times at each `--jobs`, with what each run cost:
//! wall time, checks, milliseconds a check, store exchanges by phase, buckets made, and the
//! floor (the step exchanges alone); then the store's own gain from concurrency, without the
//! engine. The lines keep one format so commits compare.

use super::*;
use crate::model::exchange::Phase;
use crate::model::place::{Place, Resolved};
use crate::model::result::ScenarioResult;
use crate::run::engine::{self, RunOptions};
use crate::store::client::{Client, Request};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The scenario whose step measures the store alone: a preflight, the suite's commonest step.
const CEILING_SCENARIO: &str = "preflight/origin/exact";

/// How many times the store-alone measurement sends that step at each width.
const CEILING_REQUESTS: usize = 200;

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
    let all_scenarios = all.clone();
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
        let alone = match all_scenarios.iter().find(|s| s.id == CEILING_SCENARIO) {
            Some(s) if !cancel.is_cancelled() => Some(ceiling(&session.client, s, &args.jobs).await),
            _ => None,
        };
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
        match alone {
            Some(Ok(widths)) => {
                for (width, ms) in &widths {
                    println!("store\t{width}\t{ms:.1}\t{CEILING_REQUESTS}");
                }
                if let [(w1, a), .., (w2, b)] = widths.as_slice() {
                    println!(
                        "store alone ({CEILING_REQUESTS} times the step of {CEILING_SCENARIO}, no engine): {w1} at a time {a:.0} ms, {w2} at a time {b:.0} ms; {w2} at a time is {:.1}x as fast",
                        a / b.max(0.001)
                    );
                }
            }
            Some(Err(e)) => {
                eprintln!("corsprobe bench: the store-alone measurement failed: {e}");
                return 1;
            }
            None => {}
        }
        0
    })
}

/// The store's own gain from concurrency: the first step of `scenario` (set up in a bucket of
/// its own) sent [`CEILING_REQUESTS`] times at each width, without the engine, the plan or the
/// checks; the wall time in ms of each width. The bucket is removed afterwards.
async fn ceiling(
    client: &Client,
    scenario: &Scenario,
    widths: &[u16],
) -> Result<Vec<(u16, f64)>, String> {
    let bucket = engine::bucket_name(
        &client.target().bucket_prefix,
        &format!("{}b", engine::new_run_id()),
        0,
    );
    let made = client.create_bucket(Phase::Setup, &bucket).await;
    if !made.succeeded() {
        return Err(format!("CreateBucket {bucket}: {}", made.outcome()));
    }
    let measured = send_widths(client, scenario, &bucket, widths).await;
    let (_, removed) = engine::remove_bucket(client, &bucket).await;
    let measured = measured?;
    removed.map(|()| measured)
}

/// Sets up `scenario` in `bucket` and times its first step at each width.
async fn send_widths(
    client: &Client,
    scenario: &Scenario,
    bucket: &str,
    widths: &[u16],
) -> Result<Vec<(u16, f64)>, String> {
    for o in &scenario.objects {
        let ex = client
            .put_object(
                Phase::Setup,
                bucket,
                &o.key,
                o.body.as_bytes(),
                &o.content_type,
            )
            .await;
        if !ex.succeeded() {
            return Err(format!("PutObject {}: {}", o.key, ex.outcome()));
        }
    }
    if let Some(rules) = &scenario.cors {
        let ex = client.put_cors(Phase::Setup, bucket, rules).await;
        if !ex.succeeded() {
            return Err(format!("PutBucketCors: {}", ex.outcome()));
        }
    }
    let place = Place::Fresh(bucket.to_string());
    let step = scenario.steps.first().ok_or("the scenario has no step")?;
    let resolved = Resolved::of(step, &place, &engine::step_vars(client, &place));
    let request = Request {
        method: step.method.clone(),
        url: client.url(bucket, resolved.key.as_deref(), resolved.query.as_deref()),
        headers: resolved.headers,
        body: Vec::new(),
    };
    let mut out = Vec::new();
    for &width in widths {
        let slots = Arc::new(tokio::sync::Semaphore::new(width.max(1) as usize));
        let mut sent = tokio::task::JoinSet::new();
        let start = Instant::now();
        for _ in 0..CEILING_REQUESTS {
            let slot = slots.clone().acquire_owned().await.expect("never closed");
            let (client, request) = (client.clone(), request.clone());
            sent.spawn(async move {
                let ex = client.send(Phase::Step, "store-alone", request).await;
                drop(slot);
                match ex.response {
                    Some(_) => Ok(()),
                    None => Err(ex.outcome()),
                }
            });
        }
        while let Some(done) = sent.join_next().await {
            done.map_err(|e| format!("a request task failed: {e}"))?
                .map_err(|e| format!("the step was not answered: {e}"))?;
        }
        out.push((width, start.elapsed().as_secs_f64() * 1000.0));
    }
    Ok(out)
}
