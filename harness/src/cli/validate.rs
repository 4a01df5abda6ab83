//! `corsprobe validate`: every scenario, expectations file and target checked, nothing sent.

use super::*;
use crate::model::expectations::Expectations;
use crate::model::finding::Catalog;
use crate::store::target;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub(super) fn validate(root: &Path, targets: Option<&Path>) -> i32 {
    let scenarios = match load_scenarios(root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ids: BTreeSet<String> =
        crate::run::session::judged_ids(&scenarios.iter().map(|s| s.id.clone()).collect());
    let mut errors = Vec::new();
    let catalog = match Catalog::load(&Catalog::path(root), &ids) {
        Ok(c) => c,
        Err(e) => {
            errors.push(e);
            Catalog::default()
        }
    };
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
        if let Err(e) = Expectations::load_with(p, &ids, &catalog) {
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
        "ok: {} scenarios, {} causes of findings, {} expectations file(s), {} target(s) in {}",
        scenarios.len(),
        catalog.causes.len(),
        expectation_files.len(),
        loaded.len(),
        targets_file.display()
    );
    0
}
