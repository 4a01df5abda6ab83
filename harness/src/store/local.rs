//! Local stores: start a target's store when it is not answering, stop it when done.

use crate::store::client::Client;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Stops the store on drop if this run started it (also on error paths and Ctrl-C).
#[derive(Debug)]
pub struct StoreGuard {
    stop: Option<PathBuf>,
    started: bool,
}

impl StoreGuard {
    /// True when this run started the store (and so will stop it).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Stops the store now if this run started it.
    pub fn stop(mut self) -> Result<(), String> {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Result<(), String> {
        if !self.started {
            return Ok(());
        }
        self.started = false;
        match &self.stop {
            Some(script) => run_script(script, Duration::from_secs(60)),
            None => Ok(()),
        }
    }
}

impl Drop for StoreGuard {
    fn drop(&mut self) {
        if let Err(e) = self.stop_now() {
            eprintln!("corsprobe: could not stop the store: {e}");
        }
    }
}

/// Makes sure the target answers, starting its store with the target's `start` command if needed.
pub async fn ensure_running(client: &Client) -> Result<StoreGuard, String> {
    let target = client.target();
    let cause = match client.reach().await {
        Ok(()) => {
            return Ok(StoreGuard {
                stop: None,
                started: false,
            });
        }
        Err(cause) => cause,
    };
    let Some(start) = &target.start else {
        return Err(format!(
            "target `{}` at {} does not answer: {cause}",
            target.name, target.endpoint
        ));
    };
    // From here on, a failure still stops whatever the script managed to start.
    let guard = StoreGuard {
        stop: target.stop.clone(),
        started: true,
    };
    let timeout = Duration::from_secs(target.ready_timeout_secs);
    let script = start.clone();
    tokio::task::spawn_blocking(move || run_script(&script, timeout))
        .await
        .map_err(|e| format!("start script panicked: {e}"))??;
    let deadline = Instant::now() + timeout;
    let mut cause = cause;
    while Instant::now() < deadline {
        match client.reach().await {
            Ok(()) => return Ok(guard),
            Err(c) => cause = c,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!(
        "target `{}`: started with {} but {} did not answer within {} s: {cause}",
        target.name,
        start.display(),
        target.endpoint,
        target.ready_timeout_secs
    ))
}

/// Runs a script to completion within `timeout`; its output goes to a log file shown on failure.
///
/// Output goes to a file, not a pipe: daemons the script starts inherit its descriptors
/// and would hold a pipe open forever.
fn run_script(script: &Path, timeout: Duration) -> Result<(), String> {
    let stem = script
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = script
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // One log per run of a script: a later start (another process of the same test run, after
    // a failed one) must not truncate the log that says why the first one failed.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!(
        "corsprobe-{stem}-{name}-{}-{n}.log",
        std::process::id()
    ));
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new("bash")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                let _ = std::fs::remove_file(&log);
                return Ok(());
            }
            Ok(Some(status)) => {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                return Err(format!(
                    "{} exited with {status} (log {}):\n{tail}",
                    script.display(),
                    log.display()
                ));
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                return Err(format!(
                    "{} did not finish within {} s (log {})",
                    script.display(),
                    timeout.as_secs(),
                    log.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("{}: {e}", script.display())),
        }
    }
}
