//! The browsers as the oracle of the Fetch model: the exchanges a page step caused are replayed
//! through the model, and its decision (let through or not, which headers readable) is set
//! beside what the page saw. Where they differ, the model is what needs fixing, since verdicts
//! must follow what users' browsers do.

use crate::check::browser_decision;
use crate::exchange::Exchange;
use crate::fetch_rules::{self, Rules};
use crate::page_view::{PageOutcome, PageView};
use crate::result::ScenarioResult;

/// One place where the model and the browser part ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    /// The page step.
    pub step: String,
    /// What differs: the model's decision and the page's.
    pub what: String,
}

/// Replays one page step: `exchanges` are those that reached the store for it.
fn replay(
    view: &PageView,
    exchanges: &[&Exchange],
    credentials: bool,
    rules: Rules,
) -> Vec<String> {
    // Only CORS-mode requests get a decision a page can see as loaded or failed.
    if !matches!(view.via.as_str(), "fetch" | "xhr")
        || !matches!(
            view.outcome,
            PageOutcome::Loaded | PageOutcome::NetworkError
        )
    {
        return vec![];
    }
    let loaded = view.outcome == PageOutcome::Loaded;
    let decide = |ex: &Exchange| {
        ex.response
            .as_ref()
            .map(|resp| browser_decision(&ex.request, resp, credentials, rules))
    };
    let mut out = Vec::new();
    let preflight = exchanges.iter().find(|e| e.is_preflight());
    let actual = exchanges.iter().rev().find(|e| !e.is_preflight());
    if let Some(Some(decision)) = preflight.map(|p| decide(p)) {
        match (&decision, actual) {
            (Err(why), Some(_)) => out.push(format!(
                "the model blocks the preflight ({why}), yet the browser sent the request"
            )),
            (Ok(()), None) if !loaded => out.push(
                "the model lets the preflight through, yet the browser did not send the request"
                    .to_string(),
            ),
            _ => {}
        }
    }
    // A request answered from the browser's cache left nothing to replay.
    let Some(actual) = actual else {
        return out;
    };
    let Some(decision) = decide(actual) else {
        return out;
    };
    match (&decision, loaded) {
        (Ok(()), false) => out.push(format!(
            "the model lets the response through, yet the page got a network error ({})",
            view.error.as_deref().unwrap_or("no detail")
        )),
        (Err(why), true) => out.push(format!(
            "the model blocks the response ({why}), yet the page loaded it"
        )),
        _ => {}
    }
    if let (Ok(()), true, Some(resp)) = (&decision, loaded, actual.response.as_ref()) {
        let origin = view.origin.as_str();
        for (name, _) in &resp.headers {
            let name = name.to_ascii_lowercase();
            // Set-Cookie never reaches a page; CORS headers themselves say nothing here.
            if name.starts_with("set-cookie") || name.starts_with("access-control-") {
                continue;
            }
            let model = fetch_rules::header_readable(resp, origin, &name, credentials).is_ok();
            if model != view.can_read(&name) {
                out.push(format!(
                    "the model says `{name}` is {}readable, the page {}",
                    if model { "" } else { "not " },
                    if view.can_read(&name) {
                        "read it"
                    } else {
                        "could not read it"
                    }
                ));
            }
        }
    }
    out
}

/// Every disagreement in a browser scenario's result. `credentials` says whether a page step
/// sent credentials; `rules` are those of the browser the result came from.
pub fn disagreements(
    r: &ScenarioResult,
    credentials: impl Fn(&str) -> bool,
    rules: Rules,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for view in &r.pages {
        let label = format!("{} (from the page)", view.step);
        let exchanges: Vec<&Exchange> = r.exchanges.iter().filter(|e| e.label == label).collect();
        for what in replay(view, &exchanges, credentials(&view.step), rules) {
            out.push(Disagreement {
                step: view.step.clone(),
                what,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Phase, RecordedRequest, RecordedResponse};
    use crate::vocabulary::Level;

    const PAGE: &str = "http://127.0.0.1:9001";

    fn ex(method: &str, extra: &[(&str, &str)], status: u16, headers: &[(&str, &str)]) -> Exchange {
        let mut h = vec![("origin".to_string(), PAGE.to_string())];
        h.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        Exchange {
            phase: Phase::Step,
            label: "read (from the page)".into(),
            request: RecordedRequest {
                method: method.into(),
                url: "http://127.0.0.1:9000/b/k".into(),
                headers: h,
                body_bytes: 0,
            },
            response: Some(RecordedResponse::new(status, headers, "")),
            error: None,
            duration_ms: 1.0,
        }
    }

    fn result(outcome: PageOutcome, readable: &[&str], exchanges: Vec<Exchange>) -> ScenarioResult {
        let mut r = ScenarioResult::named("browser/x", "t", "r", Level::Must);
        r.pages.push(PageView {
            step: "read".into(),
            origin: PAGE.into(),
            via: "fetch".into(),
            method: "GET".into(),
            url: "http://127.0.0.1:9000/b/k".into(),
            outcome,
            status: 200,
            body: None,
            headers: readable
                .iter()
                .map(|h| (h.to_string(), "v".into()))
                .collect(),
            error: None,
            cors_errors: vec![],
            store_requests: 1,
            store_preflights: 0,
            store_status: Some(200),
            sent_origin: None,
            store_allow_origin: None,
            page_ms: 1.0,
            step_ms: 1.0,
            wait_ms: 0.0,
        });
        r.exchanges = exchanges;
        r
    }

    fn found(r: &ScenarioResult) -> Vec<String> {
        disagreements(r, |_| false, Rules::Shipped)
            .into_iter()
            .map(|d| d.what)
            .collect()
    }

    #[test]
    fn agreement_is_silent_and_each_kind_of_disagreement_is_named() {
        let granted = [
            ("access-control-allow-origin", PAGE),
            ("etag", "\"x\""),
            ("content-type", "text/plain"),
        ];
        let agreed = result(
            PageOutcome::Loaded,
            &["content-type"],
            vec![ex("GET", &[], 200, &granted)],
        );
        assert!(found(&agreed).is_empty(), "{:?}", found(&agreed));
        let loaded_without_acao = result(PageOutcome::Loaded, &[], vec![ex("GET", &[], 200, &[])]);
        assert!(found(&loaded_without_acao)[0].contains("the model blocks the response"));
        let failed_with_acao = result(
            PageOutcome::NetworkError,
            &[],
            vec![ex("GET", &[], 200, &granted)],
        );
        assert!(found(&failed_with_acao)[0].contains("yet the page got a network error"));
        let etag_read = result(
            PageOutcome::Loaded,
            &["content-type", "etag"],
            vec![ex("GET", &[], 200, &granted)],
        );
        assert!(found(&etag_read)[0].contains("`etag` is not readable, the page read it"));
        let preflight = ex(
            "OPTIONS",
            &[
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "authorization"),
            ],
            200,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-methods", "PUT"),
                ("access-control-allow-headers", "*"),
            ],
        );
        // Under the standard's rules the `*` answer blocks; a page that still sent the PUT disagrees.
        let sent = result(
            PageOutcome::Loaded,
            &["content-type"],
            vec![preflight.clone(), ex("PUT", &[], 200, &granted)],
        );
        assert!(
            found(&sent).is_empty(),
            "shipped rules let `*` cover Authorization"
        );
        let standard: Vec<String> = disagreements(&sent, |_| false, Rules::Standard)
            .into_iter()
            .map(|d| d.what)
            .collect();
        assert!(
            standard[0].contains("the model blocks the preflight"),
            "{standard:?}"
        );
        let held = result(PageOutcome::NetworkError, &[], vec![preflight]);
        assert!(found(&held)[0].contains("yet the browser did not send the request"));
    }
}
