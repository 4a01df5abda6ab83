//! The bucket plan: which scenarios share a bucket. Scenarios that only read (OPTIONS, GET,
//! HEAD, GetBucketCors) and set up the same rules and objects cannot tell one bucket from
//! another, so they share one; a scenario that writes (an object, a form, the rules) keeps its
//! own, except that scenarios touching only the rules (no objects, rules set up) take turns in
//! one bucket, each putting its own rules first. The plan is a function of the scenario data
//! (and of whether the target lets rules change in place), so a dry run prints it.

use crate::scenario::{Action, Scenario};
use std::collections::BTreeMap;

/// How the scenarios of one bucket use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// One scenario: the bucket is made for it and removed after it.
    Alone,
    /// Readers of one setup: it is done once, their steps run side by side.
    Readers,
    /// Rules-only scenarios one after another, each putting its own rules before its steps.
    Turns,
}

/// Scenarios served by one bucket, by their index in the run's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The scenarios, in list order; the first names the bucket and does its setup.
    pub members: Vec<usize>,
    /// How they share it.
    pub sharing: Sharing,
}

impl Unit {
    /// True when more than one scenario uses the bucket.
    pub fn shared(&self) -> bool {
        self.members.len() > 1
    }

    fn alone(i: usize) -> Unit {
        Unit {
            members: vec![i],
            sharing: Sharing::Alone,
        }
    }
}

/// Whether rules-only scenarios may take turns in one bucket. Not on a target whose rules take
/// time to apply: there the witness preflight after a put could be answered by the previous
/// scenario's rules, which a fresh bucket (no rules before) rules out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turns {
    /// Rules-only scenarios share one bucket.
    Allowed,
    /// Every writer keeps its own bucket.
    Refused,
}

/// True for a raw-probe scenario with rules and no objects whose steps change nothing but the
/// rules: since its setup puts the whole rules document, the previous turn leaves no trace.
pub fn rules_only(s: &Scenario) -> bool {
    !s.is_browser()
        && s.objects.is_empty()
        && s.cors.is_some()
        && s.steps.iter().all(|step| {
            matches!(
                step.action,
                Action::GetCors | Action::PutCors | Action::DeleteCors
            ) || !step.writes()
        })
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

/// The plan of a run: rules-only scenarios taking turns in one bucket (when `turns` allows),
/// other read-only scenarios grouped by setup, every other one alone; units in the order of
/// their first scenario.
pub fn plan(scenarios: &[Scenario], turns: Turns) -> Vec<Unit> {
    let mut shared: BTreeMap<String, usize> = BTreeMap::new();
    let mut turn_unit: Option<usize> = None;
    let mut units: Vec<Unit> = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        if turns == Turns::Allowed && rules_only(s) {
            match turn_unit {
                Some(u) => units[u].members.push(i),
                None => {
                    turn_unit = Some(units.len());
                    units.push(Unit {
                        members: vec![i],
                        sharing: Sharing::Turns,
                    });
                }
            }
            continue;
        }
        if read_only(s) {
            let key = setup(s);
            if let Some(&u) = shared.get(&key) {
                units[u].members.push(i);
                units[u].sharing = Sharing::Readers;
                continue;
            }
            shared.insert(key, units.len());
        }
        units.push(Unit::alone(i));
    }
    units
}

/// Every scenario alone in its bucket: how the suite ran before the plan, and the plan of a
/// run inside an existing or a probe-only bucket.
pub fn unplanned(n: usize) -> Vec<Unit> {
    (0..n).map(Unit::alone).collect()
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
        let why = if u.sharing == Sharing::Turns && !u.shared() {
            "touches only the rules: its own".to_string()
        } else if u.sharing == Sharing::Turns {
            format!(
                "{} rules-only scenarios take turns, each putting its rules",
                u.members.len()
            )
        } else if u.shared() {
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
        let units = plan(&all, Turns::Allowed);
        let mut seen = vec![0; all.len()];
        for u in &units {
            for &m in &u.members {
                seen[m] += 1;
            }
            if u.sharing == Sharing::Turns {
                for &m in &u.members {
                    assert!(rules_only(&all[m]), "{} is not rules-only", all[m].id);
                }
            } else if u.shared() {
                let first = setup(&all[u.members[0]]);
                for &m in &u.members {
                    assert!(read_only(&all[m]), "{} writes", all[m].id);
                    assert!(!all[m].is_browser());
                    assert_eq!(setup(&all[m]), first, "{}", all[m].id);
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "every scenario in one unit");
        let index = |id: &str| all.iter().position(|s| s.id == id).unwrap();
        let writer = index("actual/put-matching-origin");
        assert!(
            units.iter().any(|u| u.members == vec![writer]),
            "a writer of objects is alone"
        );
        let rules_writer = index("config/put-replaces-all-rules");
        let turns: Vec<&Unit> = units
            .iter()
            .filter(|u| u.sharing == Sharing::Turns)
            .collect();
        assert_eq!(turns.len(), 1, "one bucket for the turns");
        assert!(turns[0].members.contains(&rules_writer));
        assert!(turns[0].members.contains(&index("config/round-trip")));
        let refused = plan(&all, Turns::Refused);
        assert!(refused.iter().all(|u| u.sharing != Sharing::Turns));
        assert!(
            refused.iter().any(|u| u.members == vec![rules_writer]),
            "without turns a rules writer is alone"
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
        assert!(words.contains("rules-only scenarios take turns"));
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
        assert!(rules_only(by_id("config/invalid-empty")));
        assert!(
            !rules_only(by_id("config/get-without-config")),
            "no rules to put"
        );
        assert!(
            !rules_only(by_id("actual/put-matching-origin")),
            "writes an object"
        );
        assert!(
            !rules_only(by_id("preflight/origin/exact")),
            "has an object"
        );
        assert!(!rules_only(by_id("browser/get-example")));
    }
}
