//! `corsprobe expectations update`: a known-failure list proposed from a run, for review.

use super::*;
use crate::report::json;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub(super) enum ExpectationsCommand {
    /// Propose an expectations file from a run: every FAIL, NON-STRICT or ERROR listed with its
    /// reason, and the known findings kept. Printed (or written to --output) for review; nothing is edited in place.
    Update {
        /// A JSON run record.
        run: PathBuf,
        /// Write the proposal here instead of printing it.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

pub(super) fn expectations_update(run: &Path, output: Option<&Path>) -> i32 {
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
            // Covered by a listed finding: that entry stays, proposed below.
            crate::model::verdict::Verdict::Xfail if r.reason.contains(" by finding ") => continue,
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
    for f in record.findings.iter().filter(|f| f.known.is_some()) {
        n += 1;
        text.push_str(&format!(
            "\n[[known]]\nfinding = {:?}\nreason = {:?}\n",
            f.id,
            f.known.as_deref().unwrap_or_default()
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
