//! Ctrl-C, SIGTERM and SIGHUP: the first asks the run to finish its running scenarios and clean
//! up (buckets, browsers, the store it started); a second quits at once, still ending browsers,
//! drivers and the store.
//!
//! CI cancellation, `timeout` and container stops send SIGTERM, and a closed terminal sends
//! SIGHUP: each must leave nothing behind, as Ctrl-C does.

use crate::run::engine::Cancel;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// What a signal did to the run: which one arrived, and what to stop if a second one comes.
#[derive(Debug, Clone, Default)]
pub struct Interruption {
    signal: Arc<AtomicI32>,
    stop_script: Arc<Mutex<Option<PathBuf>>>,
}

impl Interruption {
    /// The exit code of an interrupted run, 128 + the first signal (130 for Ctrl-C, 143 for
    /// SIGTERM, 129 for SIGHUP), or None while no signal arrived.
    pub fn exit_code(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(128 + n),
        }
    }

    /// Stops the store with this script if a second signal makes the run quit at once.
    pub fn stop_store_on_quit(&self, script: Option<PathBuf>) {
        *self.stop_script.lock().expect("stop script lock") = script;
    }
}

/// The signals handled, by number, with the name users know them by.
const HANDLED: [(i32, &str); 3] = [(2, "Ctrl-C"), (15, "SIGTERM"), (1, "SIGHUP")];

fn name(signo: i32) -> &'static str {
    HANDLED
        .iter()
        .find(|(n, _)| *n == signo)
        .map_or("a signal", |(_, name)| name)
}

/// The three signal streams, read as one.
struct Streams {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Streams {
    fn open() -> Result<Self, String> {
        let open = |kind: SignalKind, signo: i32| {
            signal(kind).map_err(|e| format!("cannot handle {}: {e}", name(signo)))
        };
        Ok(Self {
            int: open(SignalKind::interrupt(), 2)?,
            term: open(SignalKind::terminate(), 15)?,
            hup: open(SignalKind::hangup(), 1)?,
        })
    }

    /// Waits for the next signal and gives its number.
    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.int.recv() => 2,
            _ = self.term.recv() => 15,
            _ = self.hup.recv() => 1,
        }
    }
}

/// Installs the handlers (inside a Tokio runtime); the first signal cancels `cancel`.
pub fn watch(cancel: Cancel) -> Result<Interruption, String> {
    let interruption = Interruption::default();
    let mut streams = Streams::open()?;
    let seen = interruption.clone();
    tokio::spawn(async move {
        let first = streams.next().await;
        seen.signal.store(first, Ordering::SeqCst);
        eprintln!(
            "\ncorsprobe: interrupted ({}); finishing running scenarios and removing their buckets (again to quit now)",
            name(first)
        );
        cancel.cancel();
        let second = streams.next().await;
        eprintln!(
            "corsprobe: quitting on {}; `corsprobe clean --target <name>` removes leftover buckets",
            name(second)
        );
        crate::browser::driver::kill_all_drivers();
        let stop = seen.stop_script.lock().ok().and_then(|s| s.clone());
        if let Some(stop) = stop {
            let _ = std::process::Command::new("bash").arg(stop).status();
        }
        std::process::exit(128 + first);
    });
    Ok(interruption)
}
