//! Where a scenario runs (its own bucket, a read-only one, or a prefix inside an existing one)
//! and what a step addresses there, templates filled in.

use crate::scenario::{BucketRef, Step, expand};
use std::collections::BTreeMap;

/// Where a scenario runs: its own bucket, or a key prefix inside a bucket it must not delete.
#[derive(Debug, Clone)]
pub enum Place {
    /// A bucket created for the scenario and deleted afterwards.
    Fresh(String),
    /// A bucket that is only read; `name` is the run's name for the scenario.
    ReadOnly {
        /// The bucket's name.
        bucket: String,
        /// The scenario's run-unique name (for a never-created bucket).
        name: String,
    },
    /// An existing bucket; the scenario's objects live under `key_prefix` and only they are deleted.
    Existing {
        /// The bucket's name.
        bucket: String,
        /// Prefix of every key the scenario creates, ending in `/`.
        key_prefix: String,
    },
    /// A key prefix in a bucket the plan made for several scenarios of one rules document; the
    /// bucket's teardown removes the scenario's objects with the bucket.
    Tenant {
        /// The shared bucket's name.
        bucket: String,
        /// Prefix of every key the scenario creates, ending in `/`.
        key_prefix: String,
    },
}

impl Place {
    /// The bucket addressed.
    pub fn bucket(&self) -> &str {
        match self {
            Place::Fresh(b)
            | Place::Existing { bucket: b, .. }
            | Place::Tenant { bucket: b, .. }
            | Place::ReadOnly { bucket: b, .. } => b,
        }
    }

    /// A bucket name that was never created, for `bucket = "missing"` steps.
    pub fn missing_bucket(&self) -> String {
        match self {
            Place::Fresh(b) | Place::ReadOnly { name: b, .. } => format!("{b}-none"),
            Place::Existing { key_prefix, .. } | Place::Tenant { key_prefix, .. } => {
                format!("{}-none", key_prefix.trim_end_matches('/'))
            }
        }
    }

    /// The prefix of the scenario's keys inside a bucket it shares (empty in a bucket of its own).
    pub fn key_prefix(&self) -> &str {
        match self {
            Place::Existing { key_prefix, .. } | Place::Tenant { key_prefix, .. } => key_prefix,
            Place::Fresh(_) | Place::ReadOnly { .. } => "",
        }
    }

    /// A key as the store sees it.
    pub fn key(&self, key: &str) -> String {
        match self {
            Place::Fresh(_) | Place::ReadOnly { .. } => key.to_string(),
            Place::Existing { key_prefix, .. } | Place::Tenant { key_prefix, .. } => {
                format!("{key_prefix}{key}")
            }
        }
    }
}

/// What a step addresses and sends, templates filled in, before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The bucket: the scenario's own or the never-created one.
    pub bucket: String,
    /// The key as the store sees it (prefixed inside an existing bucket).
    pub key: Option<String>,
    /// Header lines, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body, if the step has one, sized to its `body_size`.
    pub body: Option<String>,
    /// The query string, templates filled in (an UploadId captured earlier).
    pub query: Option<String>,
}

impl Resolved {
    /// Resolves a step in its place with the scenario's template variables.
    pub fn of(step: &Step, place: &Place, vars: &BTreeMap<&str, String>) -> Resolved {
        Resolved {
            bucket: match step.bucket {
                BucketRef::Own => place.bucket().to_string(),
                BucketRef::Missing => place.missing_bucket(),
            },
            key: step.key.as_ref().map(|k| place.key(&expand(k, vars))),
            headers: step
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), expand(v, vars)))
                .collect(),
            body: step.sized_body().map(|b| expand(&b, vars)),
            query: step.query.as_ref().map(|q| expand(q, vars)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_keeps_its_keys_and_its_missing_bucket_under_its_prefix() {
        let tenant = Place::Tenant {
            bucket: "corsprobe-ab12-001".into(),
            key_prefix: "corsprobe-ab12-007/".into(),
        };
        assert_eq!(tenant.bucket(), "corsprobe-ab12-001");
        assert_eq!(tenant.key("upload.txt"), "corsprobe-ab12-007/upload.txt");
        assert_eq!(tenant.key_prefix(), "corsprobe-ab12-007/");
        // Two tenants of one bucket never name the same missing bucket or the same key.
        assert_eq!(tenant.missing_bucket(), "corsprobe-ab12-007-none");
        let host = Place::Fresh("corsprobe-ab12-001".into());
        assert_eq!(host.key("upload.txt"), "upload.txt");
        assert_eq!(host.key_prefix(), "");
        assert_ne!(host.key("upload.txt"), tenant.key("upload.txt"));
    }
}
