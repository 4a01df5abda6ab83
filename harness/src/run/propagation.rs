//! Waiting for new CORS rules to take effect. One gateway applies a PutBucketCors to the next
//! request; a hosted vendor may take seconds, and a preflight sent too early would blame the
//! store for rules it has not applied yet. After a rules change the engine sends a witness
//! preflight, which the new rules decide, until it is answered as they say.

use crate::model::cors_config::CorsConfiguration;
use crate::model::exchange::{Exchange, Phase};
use crate::store::client::{Client, Request};
use std::time::{Duration, Instant};

/// A preflight the rules decide: the first rule's first origin (a `*` in it filled in) and
/// first method, for one key of the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The Origin sent.
    pub origin: String,
    /// The Access-Control-Request-Method sent.
    pub method: String,
}

impl Witness {
    /// The witness of `rules`, or None when their first rule names no origin or no method (an
    /// invalid document, which the store should refuse anyway).
    pub fn of(rules: &CorsConfiguration) -> Option<Witness> {
        let rule = rules.rules.first()?;
        let origin = rule.allowed_origins.first()?;
        let method = rule.allowed_methods.first()?;
        let origin = match origin.as_str() {
            "*" => "http://corsprobe-witness.example".to_string(),
            o => o.replacen('*', "corsprobe-witness", 1),
        };
        Some(Witness {
            origin,
            method: method.clone(),
        })
    }

    /// True when `ex` is answered as a preflight the rules allow: 2xx, and the origin (or `*`)
    /// allowed.
    // Not the Fetch model's whole CORS check: the question is whether the rules are applied
    // yet, and a store that applies them with another defect (methods left out, a doubled
    // header) must reach its verdict, not wait out the limit.
    pub fn allowed(&self, ex: &Exchange) -> bool {
        ex.response.as_ref().is_some_and(|r| {
            let acao = r
                .header_values("access-control-allow-origin")
                .first()
                .map(|v| v.trim());
            (200..300).contains(&r.status) && (acao == Some("*") || acao == Some(&self.origin))
        })
    }
}

/// How a wait for rules ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// The witness was answered as the rules say after this many milliseconds.
    InEffect(f64),
    /// It was not within the limit: the verdict's reason.
    NotInEffect(String),
}

/// Sends the witness for `key` in `bucket` until it is answered allowed (`allow`) or refused,
/// at most `limit`; the exchanges sent are setup exchanges of the scenario.
pub async fn await_rules(
    client: &Client,
    bucket: &str,
    key: &str,
    (witness, allow): (&Witness, bool),
    limit: Duration,
) -> (Vec<Exchange>, Waited) {
    let started = Instant::now();
    let mut sent = Vec::new();
    let mut pause = Duration::from_millis(100);
    loop {
        let req = Request {
            method: "OPTIONS".into(),
            url: client.url(bucket, Some(key), None),
            headers: vec![
                ("Origin".into(), witness.origin.clone()),
                (
                    "Access-Control-Request-Method".into(),
                    witness.method.clone(),
                ),
            ],
            body: vec![],
        };
        let ex = client.send(Phase::Setup, "rules-in-effect", req).await;
        let answered = ex.response.is_some();
        let done = answered && witness.allowed(&ex) == allow;
        let outcome = ex.outcome();
        sent.push(ex);
        let elapsed = started.elapsed();
        if done {
            let ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
            return (sent, Waited::InEffect(ms));
        }
        if elapsed + pause > limit {
            let want = if allow { "allowed" } else { "refused" };
            let tries = sent.len();
            return (
                sent,
                Waited::NotInEffect(format!(
                    "rules not in effect after {} s: a preflight from {} for {} was still not {want} ({} tries, the last answered {outcome})",
                    limit.as_secs(),
                    witness.origin,
                    witness.method,
                    tries
                )),
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cors_config::CorsRule;

    fn rules(origins: &[&str], methods: &[&str]) -> CorsConfiguration {
        CorsConfiguration {
            rules: vec![CorsRule {
                allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
                allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
                ..CorsRule::default()
            }],
            response_vary: None,
        }
    }

    #[test]
    fn the_witness_is_an_origin_and_method_the_first_rule_allows() {
        let w = Witness::of(&rules(
            &["https://*.example.org", "http://a"],
            &["PUT", "GET"],
        ));
        assert_eq!(
            w,
            Some(Witness {
                origin: "https://corsprobe-witness.example.org".into(),
                method: "PUT".into()
            })
        );
        assert_eq!(
            Witness::of(&rules(&["*"], &["GET"])).unwrap().origin,
            "http://corsprobe-witness.example"
        );
        assert_eq!(Witness::of(&rules(&[], &["GET"])), None);
        assert_eq!(Witness::of(&rules(&["http://a"], &[])), None);
    }

    #[test]
    fn only_a_2xx_allowing_the_origin_counts_as_allowed() {
        use crate::model::exchange::{RecordedRequest, RecordedResponse};
        let w = Witness::of(&rules(&["http://a"], &["GET"])).unwrap();
        let answer = |status: u16, acao: Option<&str>| Exchange {
            phase: Phase::Setup,
            label: "w".into(),
            request: RecordedRequest {
                method: "OPTIONS".into(),
                url: "http://s/b/k".into(),
                headers: vec![],
                body_bytes: 0,
            },
            response: Some(RecordedResponse::new(
                status,
                &acao
                    .map(|v| vec![("access-control-allow-origin", v)])
                    .unwrap_or_default(),
                "",
            )),
            error: None,
            duration_ms: 0.0,
        };
        assert!(w.allowed(&answer(200, Some("http://a"))));
        assert!(w.allowed(&answer(204, Some("*"))));
        assert!(!w.allowed(&answer(403, Some("http://a"))));
        assert!(!w.allowed(&answer(200, Some("http://b"))));
        assert!(!w.allowed(&answer(200, None)));
    }
}
