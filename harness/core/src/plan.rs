//! The bucket plan: which scenarios share a bucket. Scenarios that only read (OPTIONS, GET,
//! HEAD, GetBucketCors) and set up the same rules and objects cannot tell one bucket from
//! another, so they share one. A scenario that writes only objects, by key, keeps its objects
//! under a key prefix of its own in the bucket of its rules: CORS rules are bucket-wide and no
//! scenario lists the bucket, so it cannot tell that bucket from a bucket of its own either.
//! A scenario that changes the rules keeps its own bucket, except that scenarios touching only
//! the rules (no objects, rules set up) take turns in one bucket, each putting its own rules
//! first. The plan is a function of the scenario data (and of whether the target lets rules
//! change in place), so a dry run prints it.

use crate::scenario::{Action, BucketRef, Scenario};
use std::collections::BTreeMap;

/// How the scenarios of one bucket use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// One scenario: the bucket is made for it and removed after it.
    Alone,
    /// Scenarios of one rules document: the rules and the readers' objects are set up once,
    /// each tenant puts its own objects under its prefix, and their steps run side by side.
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
    /// The members that keep their objects under a key prefix of their own (object writers,
    /// and readers alone in their setup, that joined the bucket of their rules), in list order.
    pub tenants: Vec<usize>,
}

impl Unit {
    /// True when more than one scenario uses the bucket.
    pub fn shared(&self) -> bool {
        self.members.len() > 1
    }

    /// True when the `i`-th scenario of the run keeps its objects under a prefix of its own.
    pub fn is_tenant(&self, i: usize) -> bool {
        self.tenants.contains(&i)
    }

    fn alone(i: usize) -> Unit {
        Unit {
            members: vec![i],
            sharing: Sharing::Alone,
            tenants: Vec::new(),
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

/// True for a raw-probe scenario that writes objects and nothing else, each by its key in its
/// own bucket (a PUT, a POST, a DELETE, a form upload, a multipart upload): under a key prefix
/// of its own it touches nothing another scenario reads.
pub fn object_writer(s: &Scenario) -> bool {
    !s.is_browser()
        && !read_only(s)
        && s.steps.iter().all(|step| match step.action {
            Action::GetCors => true,
            Action::PutCors | Action::DeleteCors | Action::Page => false,
            Action::Request => {
                !step.writes() || (step.key.is_some() && step.bucket == BucketRef::Own)
            }
        })
}

/// What a scenario's setup leaves in its bucket: the rules document and the objects.
fn setup(s: &Scenario) -> String {
    let rules = rules(s);
    let objects: Vec<String> = s
        .objects
        .iter()
        .map(|o| format!("{}\u{0}{}\u{0}{}", o.key, o.content_type, o.body))
        .collect();
    format!("{rules}\u{1}{}", objects.join("\u{1}"))
}

/// The rules document a scenario's setup puts, as the store is sent it (empty: no rules).
fn rules(s: &Scenario) -> String {
    s.cors.as_ref().map(|c| c.to_xml()).unwrap_or_default()
}

/// The plan of a run: rules-only scenarios taking turns in one bucket (when `turns` allows);
/// for each rules document, one bucket hosting its largest group of readers of one setup, the
/// other readers alone in their setup and the object writers as tenants (the first writer
/// hosts where no reader does); larger reader groups of other objects in buckets of their own;
/// every other scenario alone. Units come in the order of their first scenario.
pub fn plan(scenarios: &[Scenario], turns: Turns) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    let mut turn_unit: Option<usize> = None;
    // Per rules document: its readers by setup (in order of first appearance), its writers.
    let mut readers: BTreeMap<String, Vec<(String, Vec<usize>)>> = BTreeMap::new();
    let mut writers: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in scenarios.iter().enumerate() {
        if turns == Turns::Allowed && rules_only(s) {
            match turn_unit {
                Some(u) => units[u].members.push(i),
                None => {
                    turn_unit = Some(units.len());
                    units.push(Unit {
                        members: vec![i],
                        sharing: Sharing::Turns,
                        tenants: Vec::new(),
                    });
                }
            }
        } else if read_only(s) {
            let groups = readers.entry(rules(s)).or_default();
            let key = setup(s);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        } else if object_writer(s) {
            writers.entry(rules(s)).or_default().push(i);
        } else {
            units.push(Unit::alone(i));
        }
    }
    let documents: std::collections::BTreeSet<&String> =
        readers.keys().chain(writers.keys()).collect();
    for doc in documents {
        let mut groups: Vec<Vec<usize>> = readers
            .get(doc)
            .map(|g| g.iter().map(|(_, m)| m.clone()).collect())
            .unwrap_or_default();
        // The largest group hosts (the earliest among equals); a stable sort keeps the order.
        groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
        let mut tenants: Vec<usize> = writers.get(doc).cloned().unwrap_or_default();
        let mut host = match groups.is_empty() {
            true => vec![tenants.remove(0)],
            false => groups.remove(0),
        };
        for group in groups {
            match group.as_slice() {
                [one] => tenants.push(*one),
                _ => units.push(Unit {
                    members: group,
                    sharing: Sharing::Readers,
                    tenants: Vec::new(),
                }),
            }
        }
        tenants.sort_unstable();
        host.extend(&tenants);
        host.sort_unstable();
        units.push(Unit {
            sharing: if host.len() > 1 {
                Sharing::Readers
            } else {
                Sharing::Alone
            },
            members: host,
            tenants,
        });
    }
    units.sort_by_key(|u| u.members[0]);
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
        // The first member at the top of the bucket says what the bucket holds.
        let host = u.members.iter().find(|&&m| !u.is_tenant(m));
        let first = &scenarios[*host.unwrap_or(&u.members[0])];
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
            let first_ones = u.members.len() - u.tenants.len();
            let host = if first_ones > 1 {
                format!(
                    "{first_ones} readers share it ({rules}, {} object(s))",
                    first.objects.len()
                )
            } else if read_only(first) {
                format!("a reader of its setup ({rules})")
            } else {
                format!("a writer of objects ({rules})")
            };
            match u.tenants.len() {
                0 => host,
                1 => format!("{host}; 1 tenant, its objects under a key prefix of its own"),
                t => format!("{host}; {t} tenants, each with its objects under a key prefix"),
            }
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
            assert!(u.tenants.iter().all(|t| u.members.contains(t)));
            if u.sharing == Sharing::Turns {
                for &m in &u.members {
                    assert!(rules_only(&all[m]), "{} is not rules-only", all[m].id);
                }
            } else if u.shared() {
                // The members at the top of the bucket: readers of one setup, or one writer.
                let hosts: Vec<&Scenario> = u
                    .members
                    .iter()
                    .filter(|&&m| !u.is_tenant(m))
                    .map(|&m| &all[m])
                    .collect();
                assert!(
                    hosts.len() == 1 || hosts.iter().all(|s| read_only(s)),
                    "writers at the top of one bucket: {:?}",
                    hosts.iter().map(|s| &s.id).collect::<Vec<_>>()
                );
                for s in &hosts {
                    assert_eq!(setup(s), setup(hosts[0]), "{}", s.id);
                }
                for &m in &u.members {
                    assert!(!all[m].is_browser());
                    assert_eq!(rules(&all[m]), rules(hosts[0]), "{}", all[m].id);
                    assert!(
                        read_only(&all[m]) || object_writer(&all[m]),
                        "{}",
                        all[m].id
                    );
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "every scenario in one unit");
        let index = |id: &str| all.iter().position(|s| s.id == id).unwrap();
        let writer = index("actual/put-matching-origin");
        let readers = index("preflight/origin/exact");
        assert!(
            units
                .iter()
                .any(|u| u.is_tenant(writer) && u.members.contains(&readers)),
            "a writer of objects is a tenant beside the readers of its rules"
        );
        let lone_reader = index("preflight/request/bucket-without-cors");
        assert!(
            units.iter().any(|u| u.is_tenant(lone_reader)),
            "a reader alone in its setup is a tenant"
        );
        assert!(
            units
                .iter()
                .any(|u| u.members == vec![index("config/accepts-100-rules")]),
            "a writer of rules is alone"
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
        assert!(words.contains("tenants, each with its objects under a key prefix"));
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
        assert!(object_writer(by_id("multipart/upload")));
        assert!(object_writer(by_id("errors/form-forged-signature")));
        assert!(
            !object_writer(by_id("preflight/origin/exact")),
            "reads only"
        );
        assert!(
            !object_writer(by_id("config/put-replaces-all-rules")),
            "writes the rules"
        );
        assert!(!object_writer(by_id("browser/multipart-upload")));
        // A write without a key (to the bucket itself) is not an object's.
        let mut bucket_write = by_id("actual/put-matching-origin").clone();
        bucket_write.steps[0].key = None;
        assert!(!object_writer(&bucket_write));
    }
}
