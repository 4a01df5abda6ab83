//! `corsprobe list`: scenario ids, levels and titles.

use super::*;
use crate::model::scenario::{self};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

pub(super) fn list(root: &Path, filters: &[String], plan: bool) -> i32 {
    let scenarios = match load_scenarios(root) {
        Ok(s) => scenario::select(s, filters),
        Err(code) => return code,
    };
    if plan {
        let probes: Vec<_> = scenarios.into_iter().filter(|s| !s.is_browser()).collect();
        let units = crate::model::plan::plan(&probes, crate::model::plan::Turns::Allowed);
        print!("{}", crate::model::plan::describe(&probes, &units));
        return 0;
    }
    let mut groups = BTreeSet::new();
    let mut out = std::io::stdout().lock();
    for s in &scenarios {
        groups.insert(s.group().to_string());
        let _ = writeln!(out, "{:<58} {:<9} {}", s.id, s.level.name(), s.title);
    }
    let _ = writeln!(
        out,
        "{} scenarios in {} groups",
        scenarios.len(),
        groups.len()
    );
    0
}
