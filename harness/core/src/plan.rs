//! The bucket plan: which scenarios share a bucket. Scenarios that only read (OPTIONS, GET,
//! HEAD, GetBucketCors) and set up the same rules and objects cannot tell one bucket from
//! another, so they share one; a scenario that writes (an object, a form, the rules) keeps its
//! own. The plan is a function of the scenario data alone, so a dry run prints it.

use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// Scenarios served by one bucket, by their index in the run's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The scenarios, in list order; the first names the bucket and does its setup.
    pub members: Vec<usize>,
}

impl Unit {
    /// True when more than one scenario uses the bucket.
    pub fn shared(&self) -> bool {
        self.members.len() > 1
    }
}

/// True for a raw-probe scenario none of whose steps changes the bucket's objects or rules.
pub fn read_only(s: &Scenario) -> bool {
    !s.is_browser() && !s.steps.iter().any(|step| step.writes())
}

/// What a scenario's setup leaves in its bucket: the rules document and the objects.
fn setup(s: &Scenario) -> String {
    let rules = s.cors.as_ref().map(|c| c.to_xml()).unwrap_or_default();
    let objects: Vec<String> = s
        .objects
        .iter()
        .map(|o| format!("{}\u{0}{}\u{0}{}", o.key, o.content_type, o.body))
        .collect();
    format!("{rules}\u{1}{}", objects.join("\u{1}"))
}

/// The plan of a run: read-only scenarios grouped by setup, every other one alone; units in
/// the order of their first scenario.
pub fn plan(scenarios: &[Scenario]) -> Vec<Unit> {
    let mut shared: BTreeMap<String, usize> = BTreeMap::new();
    let mut units: Vec<Unit> = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        if read_only(s) {
            let key = setup(s);
            if let Some(&u) = shared.get(&key) {
                units[u].members.push(i);
                continue;
            }
            shared.insert(key, units.len());
        }
        units.push(Unit { members: vec![i] });
    }
    units
}

/// Every scenario alone in its bucket: how the suite ran before the plan, and the plan of a
/// run inside an existing or a probe-only bucket.
pub fn unplanned(n: usize) -> Vec<Unit> {
    (0..n).map(|i| Unit { members: vec![i] }).collect()
}

/// The plan in words: one line a bucket, with the scenarios it serves, and a summary line.
pub fn describe(scenarios: &[Scenario], units: &[Unit]) -> String {
    let mut out = String::new();
    for (n, u) in units.iter().enumerate() {
        let first = &scenarios[u.members[0]];
        let rules = first.cors_fixture.as_deref().unwrap_or("no rules");
        let ids: Vec<&str> = u
            .members
            .iter()
            .map(|&m| scenarios[m].id.as_str())
            .collect();
        let why = if u.shared() {
            format!(
                "{} readers share it ({rules}, {} object(s))",
                u.members.len(),
                first.objects.len()
            )
        } else if first.is_browser() {
            "a browser scenario: its own".to_string()
        } else if read_only(first) {
            format!("the only reader of its setup ({rules})")
        } else {
            "writes: its own".to_string()
        };
        out.push_str(&format!("bucket {:>3}: {why}: {}\n", n + 1, ids.join(", ")));
    }
    let shared: usize = units
        .iter()
        .filter(|u| u.shared())
        .map(|u| u.members.len())
        .sum();
    out.push_str(&format!(
        "bucket plan: {} bucket(s) for {} scenario(s); {shared} share {} bucket(s)\n",
        units.len(),
        scenarios.len(),
        units.iter().filter(|u| u.shared()).count()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn suite() -> Vec<Scenario> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap()
            .to_path_buf();
        crate::scenario::load_all(&root.join("suites"), &root.join("fixtures")).unwrap()
    }

    #[test]
    fn readers_of_one_setup_share_and_writers_keep_their_own() {
        let all = suite();
        let units = plan(&all);
        let mut seen = vec![0; all.len()];
        for u in &units {
            for &m in &u.members {
                seen[m] += 1;
            }
            if u.shared() {
                let first = setup(&all[u.members[0]]);
                for &m in &u.members {
                    assert!(read_only(&all[m]), "{} writes", all[m].id);
                    assert!(!all[m].is_browser());
                    assert_eq!(setup(&all[m]), first, "{}", all[m].id);
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "every scenario in one unit");
        let writer = all
            .iter()
            .position(|s| s.id == "config/put-replaces-all-rules")
            .unwrap();
        assert!(
            units.iter().any(|u| u.members == vec![writer]),
            "a writer is alone"
        );
        assert!(
            units.len() < all.len() / 2,
            "{} units for {}",
            units.len(),
            all.len()
        );
        assert_eq!(unplanned(3).len(), 3);
        let words = describe(&all, &units);
        assert!(words.contains("readers share it") && words.contains("writes: its own"));
        assert!(words.ends_with(&format!(
                "{} scenario(s); {} share {} bucket(s)\n",
                all.len(),
                units
                    .iter()
                    .filter(|u| u.shared())
                    .map(|u| u.members.len())
                    .sum::<usize>(),
                units.iter().filter(|u| u.shared()).count()
            )));
    }

    #[test]
    fn a_put_a_form_or_a_page_is_a_write() {
        let all = suite();
        let by_id = |id: &str| all.iter().find(|s| s.id == id).unwrap();
        assert!(read_only(by_id("preflight/origin/exact")));
        assert!(!read_only(by_id("actual/put-matching-origin")));
        assert!(!read_only(by_id("errors/form-forged-signature")));
        assert!(!read_only(by_id("browser/get-example")));
    }
}
