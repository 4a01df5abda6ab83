//! Checks of a page step: how the page's operation ended in a real browser, what it could
//! read, and how many requests reached the store.

use super::{CheckResult, PageCheck, StatusSpec, readability};
use crate::page_view::{PageOutcome, PageView};

/// What a check of a page step looks at: what the page saw, and what reached the store.
#[derive(Debug, Clone, PartialEq)]
pub enum PageSubject {
    /// How a page's operation ended in a real browser.
    Outcome(PageOutcome),
    /// The status a page could read.
    Status(StatusSpec),
    /// The body a page read.
    Body(String),
    /// Whether a page could read a response header, in a real browser.
    Readable {
        /// Lower-case header name.
        header: String,
        /// Readable (true) or not.
        readable: bool,
    },
    /// How many requests of a page step reached the store (preflights apart).
    StoreRequests(usize),
    /// How many preflights of a page step reached the store.
    StorePreflights(usize),
    /// The status the store answered a page step's request with (whatever the page saw).
    StoreStatus(StatusSpec),
    /// The `Origin` the browser sent to the store.
    SentOrigin(String),
    /// The store's `Access-Control-Allow-Origin` is not this value (`null`: an opaque origin
    /// the rules do not list must not be let in, or every sandboxed frame and file page reads).
    StoreAllowOriginNot(String),
}

impl PageCheck {
    /// Judges the check against what a page saw.
    pub fn evaluate(&self, step: &str, view: &PageView) -> CheckResult {
        let count = |n: usize| n.to_string();
        let seen = || {
            let mut s = view.outcome.name().to_string();
            if let Some(e) = &view.error {
                s.push_str(&format!(" ({e})"));
            }
            if !view.cors_errors.is_empty() {
                s.push_str(&format!("; browser says {}", view.cors_errors.join(", ")));
            }
            s
        };
        let (check, expected, actual, ok) = match &self.subject {
            PageSubject::Outcome(outcome) => (
                "what the page saw".to_string(),
                outcome.name().to_string(),
                seen(),
                view.outcome == *outcome,
            ),
            PageSubject::Status(spec) => (
                "status the page read".to_string(),
                spec.text(),
                if view.outcome == PageOutcome::Loaded {
                    view.status.to_string()
                } else {
                    format!("none: {}", seen())
                },
                view.outcome == PageOutcome::Loaded && spec.matches(view.status),
            ),
            PageSubject::Body(body) => (
                "body the page read".to_string(),
                body.clone(),
                view.body
                    .clone()
                    .unwrap_or_else(|| format!("none: {}", seen())),
                view.body.as_deref() == Some(body.as_str()),
            ),
            PageSubject::Readable { header, readable } => {
                let can = view.can_read(header);
                let names: Vec<&str> = view.headers.iter().map(|(n, _)| n.as_str()).collect();
                (
                    format!("page reads `{header}`"),
                    readability(*readable),
                    if view.outcome != PageOutcome::Loaded {
                        format!("nothing readable: {}", seen())
                    } else if can {
                        "readable".to_string()
                    } else {
                        format!("not readable (readable: {})", names.join(", "))
                    },
                    can == *readable,
                )
            }
            PageSubject::StoreRequests(n) => (
                "requests that reached the store".to_string(),
                count(*n),
                count(view.store_requests),
                view.store_requests == *n,
            ),
            PageSubject::StorePreflights(n) => (
                "preflights that reached the store".to_string(),
                count(*n),
                count(view.store_preflights),
                view.store_preflights == *n,
            ),
            PageSubject::StoreStatus(spec) => (
                "status the store answered".to_string(),
                spec.text(),
                view.store_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "nothing reached the store".to_string()),
                view.store_status.is_some_and(|s| spec.matches(s)),
            ),
            PageSubject::SentOrigin(origin) => (
                "Origin the browser sent".to_string(),
                origin.clone(),
                view.sent_origin
                    .clone()
                    .unwrap_or_else(|| "none (no Origin, or nothing reached the store)".into()),
                view.sent_origin.as_deref() == Some(origin.as_str()),
            ),
            PageSubject::StoreAllowOriginNot(value) => (
                "Access-Control-Allow-Origin the store answered".to_string(),
                format!("not `{value}`"),
                view.store_allow_origin
                    .as_ref()
                    .map(|v| format!("`{v}`"))
                    .unwrap_or_else(|| "absent".to_string()),
                view.store_allow_origin.as_deref() != Some(value.as_str()),
            ),
        };
        self.judged(step, check, expected, actual, ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Check;
    use crate::vocabulary::{BrowserKind, Dialect};

    fn check(subject: PageSubject) -> PageCheck {
        Check::must(subject)
    }

    fn view(outcome: PageOutcome, status: u16, body: Option<&str>, headers: &[&str]) -> PageView {
        PageView {
            step: "read".into(),
            origin: "http://127.0.0.1:1".into(),
            via: "fetch".into(),
            method: "GET".into(),
            url: "http://127.0.0.1:2/b/k".into(),
            outcome,
            status,
            body: body.map(String::from),
            headers: headers
                .iter()
                .map(|h| (h.to_string(), "v".into()))
                .collect(),
            error: None,
            cors_errors: vec![],
            store_requests: 1,
            store_preflights: 1,
            store_status: Some(200),
            sent_origin: None,
            store_allow_origin: None,
            page_ms: 1.0,
            step_ms: 2.0,
            wait_ms: 0.0,
        }
    }

    #[rstest::rstest]
    #[case::outcome(PageSubject::Outcome(PageOutcome::Loaded))]
    #[case::status(PageSubject::Status(StatusSpec::Code(200)))]
    #[case::status_class(PageSubject::Status(StatusSpec::Class("2xx".into())))]
    #[case::body(PageSubject::Body("just for test".into()))]
    #[case::readable(PageSubject::Readable { header: "etag".into(), readable: true })]
    #[case::store_requests(PageSubject::StoreRequests(1))]
    #[case::store_preflights(PageSubject::StorePreflights(1))]
    #[case::store_status(PageSubject::StoreStatus(StatusSpec::Class("2xx".into())))]
    #[case::sent_origin(PageSubject::SentOrigin("null".into()))]
    #[case::store_allow_origin_not(PageSubject::StoreAllowOriginNot("null".into()))]
    fn page_checks_hold_and_fail(#[case] subject: PageSubject) {
        let c = check(subject);
        let mut good = view(PageOutcome::Loaded, 200, Some("just for test"), &["etag"]);
        good.sent_origin = Some("null".into());
        assert!(c.evaluate("read", &good).ok, "should hold on {good:?}");
        // A page that got a network error (a CORS failure) and a store the request never reached.
        let mut bad = view(PageOutcome::NetworkError, 0, None, &[]);
        bad.store_requests = 0;
        bad.store_preflights = 2;
        bad.store_status = Some(403);
        bad.sent_origin = Some("http://127.0.0.1:1".into());
        bad.store_allow_origin = Some("null".into());
        let judged = c.evaluate("read", &bad);
        assert!(!judged.ok, "should fail on {bad:?}");
        assert_ne!(
            judged.expected, judged.actual,
            "a failed check shows both values"
        );
    }

    #[test]
    fn an_unreadable_header_fails_when_the_page_can_read_it() {
        let c = check(PageSubject::Readable {
            header: "etag".into(),
            readable: false,
        });
        assert!(
            c.evaluate(
                "s",
                &view(PageOutcome::Loaded, 200, None, &["content-type"])
            )
            .ok
        );
        let read = c.evaluate("s", &view(PageOutcome::Loaded, 200, None, &["ETag"]));
        assert!(!read.ok);
        assert_eq!(read.actual, "readable");
    }

    #[test]
    fn a_check_applies_only_to_its_dialect_and_browser() {
        let mut c = check(PageSubject::StorePreflights(0));
        assert!(c.applies(Dialect::S3, Some(BrowserKind::Firefox)));
        c.browser = vec![BrowserKind::Chromium, BrowserKind::Webkit];
        assert!(c.applies(Dialect::S3, Some(BrowserKind::Chromium)));
        assert!(c.applies(Dialect::S3, Some(BrowserKind::Webkit)));
        assert!(!c.applies(Dialect::S3, Some(BrowserKind::Firefox)));
        assert!(
            !c.applies(Dialect::S3, None),
            "a browser-only check has no probe run"
        );
        c.dialect = Some(Dialect::Oss);
        assert!(!c.applies(Dialect::S3, Some(BrowserKind::Chromium)));
    }
}
