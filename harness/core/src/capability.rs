//! Capabilities a store must have before any scenario means anything: today, a bucket CORS API.
//! A store without one SKIPs every scenario that needs rules, and SKIP counts as passed, so
//! without this verdict a store no page can use cross-origin would pass the gate.

use crate::result::ScenarioResult;
use crate::verdict::Verdict;
use crate::vocabulary::Level;

/// The id of the capability verdict, as an expectations file lists it.
pub const BUCKET_CORS: &str = "capability/bucket-cors";

/// Every capability id, for checking an expectations file.
pub const IDS: [&str; 1] = [BUCKET_CORS];

/// The reason the engine gives a scenario it skips because PutBucketCors is not implemented.
pub const NO_CORS_API: &str = "unsupported: the store has no bucket CORS API";

/// One FAIL for a missing bucket CORS API, naming how many scenarios it kept from running, or
/// None when every scenario could install its rules.
pub fn missing_bucket_cors(results: &[ScenarioResult]) -> Option<ScenarioResult> {
    let lacking: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Skip && r.reason.starts_with(NO_CORS_API))
        .collect();
    let first = lacking.first()?;
    let mut r = ScenarioResult::named(
        BUCKET_CORS,
        "The store has a bucket CORS API (PutBucketCors)",
        "A store MUST let a bucket's CORS rules be set: without them no page of another origin can use the store",
        Level::Must,
    );
    r.verdict = Verdict::Fail;
    r.reason = format!(
        "{}; the {} scenario(s) that need rules were skipped ({})",
        first.reason.trim_start_matches("unsupported: "),
        lacking.len(),
        first.id
    );
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, verdict: Verdict, reason: &str) -> ScenarioResult {
        let mut r = ScenarioResult::named(id, "t", "r", Level::Must);
        r.verdict = verdict;
        r.reason = reason.to_string();
        r
    }

    #[test]
    fn a_store_without_the_api_gets_one_failure_and_one_with_it_none() {
        let skipped = format!("{NO_CORS_API} (PutBucketCors answered 501 NotImplemented)");
        let without = [
            result("a/b", Verdict::Skip, &skipped),
            result("a/c", Verdict::Skip, &skipped),
            result("a/d", Verdict::Pass, ""),
        ];
        let r = missing_bucket_cors(&without).expect("a capability verdict");
        assert_eq!((r.id.as_str(), r.verdict), (BUCKET_CORS, Verdict::Fail));
        assert!(
            r.reason.contains("501 NotImplemented") && r.reason.contains("2 scenario(s)"),
            "{}",
            r.reason
        );
        let other_skip = [result(
            "a/b",
            Verdict::Skip,
            "applies to the oss dialect only",
        )];
        assert!(missing_bucket_cors(&other_skip).is_none());
    }
}
