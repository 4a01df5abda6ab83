//! The findings catalog against the committed reference records: every cause explains
//! something a real store did, and the grouping gathers what one behaviour causes.

mod common;

use corsprobe::model::finding::{Catalog, Finding, UNSORTED};
use corsprobe::report::json;
use corsprobe::run::session::catalog_of;
use std::collections::BTreeSet;

fn catalog() -> Catalog {
    catalog_of(&common::repo(), &common::all_scenarios()).unwrap_or_else(|e| panic!("{e}"))
}

/// Each committed reference record with its findings by today's catalog.
fn reference_findings() -> Vec<(String, Vec<Finding>)> {
    let dir = common::repo().join("reports/compatibility/runs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let c = catalog();
    files
        .iter()
        .map(|p| {
            let r = json::read(p).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, c.findings(&r.results))
        })
        .collect()
}

#[test]
fn every_cause_explains_a_check_of_a_reference_record() {
    let seen: BTreeSet<String> = reference_findings()
        .into_iter()
        .flat_map(|(_, f)| f.into_iter().map(|f| f.id))
        .collect();
    for cause in &catalog().causes {
        assert!(
            seen.contains(&cause.id),
            "{}: cause `{}` explains nothing in reports/compatibility/runs: a dead entry",
            cause.source,
            cause.id
        );
    }
}

#[test]
fn one_behaviour_is_one_finding_across_its_scenarios() {
    let all = reference_findings();
    let ceph = &all.iter().find(|(n, _)| n == "ceph").unwrap().1;
    let vary = ceph
        .iter()
        .find(|f| f.id == "no-vary-origin")
        .expect("Ceph sends no Vary: Origin");
    assert!(
        vary.scenarios
            .iter()
            .any(|s| s.starts_with("actual/get-without-origin"))
            && vary
                .scenarios
                .iter()
                .any(|s| s.starts_with("browser/cache-collision")),
        "the probe and the page it breaks share the finding: {:?}",
        vary.scenarios
    );
    assert!(
        !vary.seen.is_empty(),
        "the browser runs say what the page saw"
    );
    let moto = &all.iter().find(|(n, _)| n == "moto").unwrap().1;
    let same = moto
        .iter()
        .find(|f| f.id == corsprobe::model::finding::SAME_ANSWER)
        .expect("moto answers every preflight the same");
    assert!(same.scenarios.len() > 20, "{}", same.scenarios.len());
    assert_eq!(
        moto[0].level,
        corsprobe::model::vocabulary::Level::Must,
        "most severe first"
    );
}

#[test]
fn print_the_findings_of_each_reference_store() {
    // The closing note's table comes from here: `cargo test --test findings -- --nocapture`.
    for (store, findings) in reference_findings() {
        let unsorted = findings
            .iter()
            .filter(|f| f.id.starts_with(UNSORTED))
            .count();
        println!(
            "== {store}: {} finding(s), {unsorted} unsorted",
            findings.len()
        );
        for f in &findings {
            println!(
                "  {:<10} {:<48} {:>3} scenario(s)  {}",
                f.verdict().name(),
                f.id,
                f.scenarios.len(),
                f.title
            );
        }
    }
}
