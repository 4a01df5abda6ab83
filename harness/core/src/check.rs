//! Checks: one expectation about one response, judged with its expected and actual values kept.

use crate::cors_config::CorsConfiguration;
use crate::exchange::{RecordedRequest, RecordedResponse};
use crate::fetch_rules;
use crate::page_view::{PageOutcome, PageView};
use crate::vocabulary::BrowserKind;
use crate::vocabulary::Dialect;
use crate::vocabulary::Level;
use serde::{Deserialize, Serialize};

/// An expected status: an exact code or a class such as `"2xx"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StatusSpec {
    /// Exactly this code.
    Code(u16),
    /// Any code of this class, written `"2xx"`.
    Class(String),
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StatusSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a status code such as 200 or a class such as \"2xx\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StatusSpec, E> {
                u16::try_from(v)
                    .map(StatusSpec::Code)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StatusSpec, E> {
                u16::try_from(v)
                    .map(StatusSpec::Code)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StatusSpec, E> {
                Ok(StatusSpec::Class(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl StatusSpec {
    /// Rejects classes other than `1xx`..`5xx`.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            StatusSpec::Code(c) if (100..600).contains(c) => Ok(()),
            StatusSpec::Code(c) => Err(format!("`status = {c}` is not an HTTP status")),
            StatusSpec::Class(s)
                if s.len() == 3
                    && s.ends_with("xx")
                    && ('1'..='5').contains(&s.chars().next().unwrap_or('0')) =>
            {
                Ok(())
            }
            StatusSpec::Class(s) => Err(format!(
                "`status = \"{s}\"`: write a code (200) or a class (\"2xx\")"
            )),
        }
    }

    fn matches(&self, status: u16) -> bool {
        match self {
            StatusSpec::Code(c) => *c == status,
            StatusSpec::Class(s) => s.starts_with(&(status / 100).to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            StatusSpec::Code(c) => c.to_string(),
            StatusSpec::Class(s) => s.clone(),
        }
    }
}

/// What a browser should decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FetchOutcome {
    /// The page sees the response (or the preflight lets the request go).
    Allowed,
    /// The page gets a network error.
    Blocked,
}

/// A predicate on one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderPredicate {
    /// The header is there (true) or not (false).
    Present(bool),
    /// Its value, all lines joined by ", ", equals this exactly.
    Equals(String),
    /// Its comma-separated items contain this token (case-insensitive).
    Token(String),
    /// Its items do not contain this token (absent header passes).
    NoToken(String),
    /// Its items are exactly this set (case-insensitive, any order).
    Tokens(Vec<String>),
    /// It appears on exactly this many header lines.
    Count(usize),
}

/// What a check looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// The status code.
    Status(StatusSpec),
    /// A header.
    Header {
        /// Lower-case header name.
        name: String,
        /// What must hold of it.
        predicate: HeaderPredicate,
    },
    /// The `<Code>` of the XML error body.
    ErrorCode(String),
    /// The `<Message>` of the XML error body contains this text.
    ErrorMessage(String),
    /// The whole body.
    Body(String),
    /// A browser's decision under the Fetch standard.
    Fetch {
        /// Allowed or blocked.
        outcome: FetchOutcome,
        /// With `credentials: "include"`.
        credentials: bool,
    },
    /// Whether a page could read a response header.
    Readable {
        /// Lower-case header name.
        header: String,
        /// Readable (true) or not.
        readable: bool,
        /// With `credentials: "include"`.
        credentials: bool,
    },
    /// A GetBucketCors body equals a fixture.
    CorsConfig {
        /// The fixture's file name.
        fixture: String,
        /// The fixture's rules.
        expected: CorsConfiguration,
    },
    /// How a page's operation ended in a real browser.
    Page(PageOutcome),
    /// The status a page could read.
    PageStatus(StatusSpec),
    /// The body a page read.
    PageBody(String),
    /// Whether a page could read a response header, in a real browser.
    PageReadable {
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
}

/// One expectation of a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// How bad its failure is.
    pub level: Level,
    /// Only judged on targets of this dialect.
    pub dialect: Option<Dialect>,
    /// Only judged in this browser (where another browser's behaviour is unreliable).
    pub browser: Option<BrowserKind>,
    /// What it looks at and what must hold.
    pub subject: Subject,
    /// Where it is written: `suites/<id>.toml:<line>` (empty for checks made in code).
    pub source: String,
}

/// The judged check: what was expected, what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The step it belongs to.
    pub step: String,
    /// What was checked, e.g. `header access-control-allow-origin`.
    pub check: String,
    /// Its level.
    pub level: Level,
    /// The expected value, in words.
    pub expected: String,
    /// The observed value, in words.
    pub actual: String,
    /// Whether it held.
    pub ok: bool,
    /// The scenario file and line the check is written at, as hurl's asserts keep theirs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl CheckResult {
    /// One line for humans: `step: check: expected X, got Y`.
    pub fn summary(&self) -> String {
        format!(
            "{}: {}: expected {}, got {}",
            self.step, self.check, self.expected, self.actual
        )
    }
}

const ABSENT: &str = "(absent)";

/// The request facts a browser-side check needs.
fn request_header<'a>(req: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn tokens_text(tokens: &[String]) -> String {
    format!("{{{}}}", tokens.join(", "))
}

impl Check {
    /// Judges the check against a request and its response.
    pub fn evaluate(
        &self,
        step: &str,
        req: &RecordedRequest,
        resp: &RecordedResponse,
    ) -> CheckResult {
        let (check, expected, actual, ok) = match &self.subject {
            Subject::Status(spec) => (
                "status".to_string(),
                spec.text(),
                resp.status.to_string(),
                spec.matches(resp.status),
            ),
            Subject::Header { name, predicate } => header_check(name, predicate, resp),
            Subject::ErrorCode(code) => {
                let actual = resp.error_code();
                (
                    "error code".to_string(),
                    code.clone(),
                    actual
                        .clone()
                        .unwrap_or_else(|| "(no XML error body)".to_string()),
                    actual.as_deref() == Some(code.as_str()),
                )
            }
            Subject::ErrorMessage(text) => {
                let actual = resp.error_message();
                (
                    "error message".to_string(),
                    format!("contains `{text}`"),
                    actual
                        .clone()
                        .unwrap_or_else(|| "(no XML error body)".to_string()),
                    actual.is_some_and(|m| m.contains(text.as_str())),
                )
            }
            Subject::Body(body) => (
                "body".to_string(),
                body.clone(),
                resp.body.clone(),
                &resp.body == body,
            ),
            Subject::Fetch {
                outcome,
                credentials,
            } => {
                let verdict = browser_decision(req, resp, *credentials);
                let allowed = verdict.is_ok();
                let mode = if *credentials {
                    " with credentials"
                } else {
                    ""
                };
                (
                    format!("browser CORS decision{mode}"),
                    match outcome {
                        FetchOutcome::Allowed => "allowed".to_string(),
                        FetchOutcome::Blocked => "blocked".to_string(),
                    },
                    match verdict {
                        Ok(()) => "allowed".to_string(),
                        Err(why) => format!("blocked: {why}"),
                    },
                    allowed == (*outcome == FetchOutcome::Allowed),
                )
            }
            Subject::Readable {
                header,
                readable,
                credentials,
            } => {
                let result = match request_header(req, "origin") {
                    Some(origin) => {
                        fetch_rules::header_readable(resp, origin, header, *credentials)
                    }
                    None => Err("the request sent no Origin".to_string()),
                };
                (
                    format!("page can read `{header}`"),
                    if *readable {
                        "readable"
                    } else {
                        "not readable"
                    }
                    .to_string(),
                    match &result {
                        Ok(()) => "readable".to_string(),
                        Err(why) => format!("not readable: {why}"),
                    },
                    result.is_ok() == *readable,
                )
            }
            Subject::CorsConfig { fixture, expected } => {
                let parsed = CorsConfiguration::from_xml(&resp.body);
                (
                    format!("configuration equals {fixture}"),
                    expected.summary(),
                    match &parsed {
                        Ok(c) => c.summary(),
                        Err(e) => format!("unreadable: {e}"),
                    },
                    parsed.as_ref().is_ok_and(|c| c.same_rules(expected)),
                )
            }
            _ => return self.misplaced(step, "what a page saw", "a raw request"),
        };
        self.judged(step, check, expected, actual, ok)
    }

    /// True when the check is judged on this dialect and, for a page step, in this browser.
    pub fn applies(&self, dialect: Dialect, browser: Option<BrowserKind>) -> bool {
        self.dialect.is_none_or(|d| d == dialect) && self.browser.is_none_or(|b| Some(b) == browser)
    }

    /// A check that met the other kind of step (validation keeps this from happening) fails,
    /// saying what it needed and what it got.
    fn misplaced(&self, step: &str, needs: &str, got: &str) -> CheckResult {
        let check = format!("{:?}", self.subject);
        self.judged(step, check, needs.to_string(), got.to_string(), false)
    }

    /// The result of this check: what it looked at, expected and actual, and whether it held.
    fn judged(
        &self,
        step: &str,
        check: String,
        expected: String,
        actual: String,
        ok: bool,
    ) -> CheckResult {
        CheckResult {
            step: step.to_string(),
            check,
            level: self.level,
            expected,
            actual,
            ok,
            source: self.source.clone(),
        }
    }
}

impl Check {
    /// Judges the check against what a page saw; raw-exchange checks cannot hold here.
    pub fn evaluate_page(&self, step: &str, view: &PageView) -> CheckResult {
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
            Subject::Page(outcome) => (
                "what the page saw".to_string(),
                outcome.name().to_string(),
                seen(),
                view.outcome == *outcome,
            ),
            Subject::PageStatus(spec) => (
                "status the page read".to_string(),
                spec.text(),
                if view.outcome == PageOutcome::Loaded {
                    view.status.to_string()
                } else {
                    format!("none: {}", seen())
                },
                view.outcome == PageOutcome::Loaded && spec.matches(view.status),
            ),
            Subject::PageBody(body) => (
                "body the page read".to_string(),
                body.clone(),
                view.body
                    .clone()
                    .unwrap_or_else(|| format!("none: {}", seen())),
                view.body.as_deref() == Some(body.as_str()),
            ),
            Subject::PageReadable { header, readable } => {
                let can = view.can_read(header);
                let names: Vec<&str> = view.headers.iter().map(|(n, _)| n.as_str()).collect();
                (
                    format!("page reads `{header}`"),
                    if *readable {
                        "readable"
                    } else {
                        "not readable"
                    }
                    .to_string(),
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
            Subject::StoreRequests(n) => (
                "requests that reached the store".to_string(),
                count(*n),
                count(view.store_requests),
                view.store_requests == *n,
            ),
            Subject::StorePreflights(n) => (
                "preflights that reached the store".to_string(),
                count(*n),
                count(view.store_preflights),
                view.store_preflights == *n,
            ),
            Subject::StoreStatus(spec) => (
                "status the store answered".to_string(),
                spec.text(),
                view.store_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "nothing reached the store".to_string()),
                view.store_status.is_some_and(|s| spec.matches(s)),
            ),
            _ => return self.misplaced(step, "a raw exchange", "a page step has none"),
        };
        self.judged(step, check, expected, actual, ok)
    }
}

/// What a browser decides for this exchange: preflight rules for an OPTIONS with ACRM, else the CORS check.
pub fn browser_decision(
    req: &RecordedRequest,
    resp: &RecordedResponse,
    credentials: bool,
) -> Result<(), String> {
    let Some(origin) = request_header(req, "origin") else {
        return Err("the request sent no Origin, so it is not a CORS request".to_string());
    };
    match request_header(req, "access-control-request-method") {
        Some(method) if req.method == "OPTIONS" => {
            let requested = fetch_rules::list_items(
                &request_header(req, "access-control-request-headers")
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            );
            fetch_rules::preflight_check(resp, origin, method, &requested, credentials)
        }
        _ => fetch_rules::cors_check(resp, origin, credentials),
    }
}

fn header_check(
    name: &str,
    predicate: &HeaderPredicate,
    resp: &RecordedResponse,
) -> (String, String, String, bool) {
    let lines = resp.header_values(name);
    let value = resp.header(name);
    let shown = value.clone().unwrap_or_else(|| ABSENT.to_string());
    let items = fetch_rules::list_items(value.as_deref().unwrap_or(""));
    let has = |t: &str| items.iter().any(|i| i.eq_ignore_ascii_case(t));
    let check = format!("header {name}");
    match predicate {
        HeaderPredicate::Present(want) => (
            check,
            if *want { "present" } else { ABSENT }.to_string(),
            shown,
            value.is_some() == *want,
        ),
        HeaderPredicate::Equals(v) => (
            check,
            v.clone(),
            shown,
            value.as_deref() == Some(v.as_str()),
        ),
        HeaderPredicate::Token(t) => (check, format!("contains `{t}`"), shown, has(t)),
        HeaderPredicate::NoToken(t) => (check, format!("does not contain `{t}`"), shown, !has(t)),
        HeaderPredicate::Tokens(want) => {
            let mut a: Vec<String> = items.iter().map(|s| s.to_ascii_lowercase()).collect();
            let mut b: Vec<String> = want.iter().map(|s| s.to_ascii_lowercase()).collect();
            a.sort();
            b.sort();
            (
                check,
                format!("exactly {} in any order", tokens_text(want)),
                shown,
                value.is_some() && a == b,
            )
        }
        HeaderPredicate::Count(n) => (
            check,
            format!("{n} header line(s)"),
            format!(
                "{} line(s): {}",
                lines.len(),
                if lines.is_empty() {
                    ABSENT.to_string()
                } else {
                    lines.join(" | ")
                }
            ),
            lines.len() == *n,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn req(method: &str, headers: &[(&str, &str)]) -> RecordedRequest {
        RecordedRequest {
            method: method.to_string(),
            url: "http://s/b/k".to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body_bytes: 0,
        }
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
            body_cut_from: None,
        }
    }

    fn check(subject: Subject) -> Check {
        Check {
            level: Level::Must,
            dialect: None,
            browser: None,
            subject,
            source: String::new(),
        }
    }

    fn header(name: &str, p: HeaderPredicate) -> Subject {
        Subject::Header {
            name: name.to_string(),
            predicate: p,
        }
    }

    const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
    const DENIED: &str = "<?xml version=\"1.0\"?><Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>";

    /// Each check holds on a conforming response and fails on a violating one.
    #[rstest]
    #[case::status_code(Subject::Status(StatusSpec::Code(200)), 200, &[], "", 403, &[], "")]
    #[case::status_class(Subject::Status(StatusSpec::Class("2xx".into())), 204, &[], "", 301, &[], "")]
    #[case::present(header("vary", HeaderPredicate::Present(true)), 200, &[("vary", "Origin")], "", 200, &[], "")]
    #[case::absent(header("access-control-allow-origin", HeaderPredicate::Present(false)), 200, &[], "", 200, &[("access-control-allow-origin", "*")], "")]
    #[case::equals(header("access-control-allow-origin", HeaderPredicate::Equals("http://a".into())), 200, &[("access-control-allow-origin", "http://a")], "", 200, &[("access-control-allow-origin", "http://a"), ("access-control-allow-origin", "http://a")], "")]
    #[case::token(header("vary", HeaderPredicate::Token("origin".into())), 200, &[("vary", VARY)], "", 200, &[("vary", "Accept-Encoding")], "")]
    #[case::no_token(header("access-control-allow-methods", HeaderPredicate::NoToken("PUT".into())), 200, &[("access-control-allow-methods", "GET")], "", 200, &[("access-control-allow-methods", "GET, PUT")], "")]
    #[case::tokens(header("vary", HeaderPredicate::Tokens(vec!["Origin".into(), "Access-Control-Request-Method".into(), "Access-Control-Request-Headers".into()])), 200, &[("vary", VARY)], "", 200, &[("vary", "Origin")], "")]
    #[case::count(header("access-control-allow-origin", HeaderPredicate::Count(1)), 200, &[("access-control-allow-origin", "*")], "", 200, &[("access-control-allow-origin", "*"), ("access-control-allow-origin", "*")], "")]
    #[case::error_code(Subject::ErrorCode("AccessForbidden".into()), 403, &[], DENIED, 403, &[], "<Error><Code>AccessDenied</Code></Error>")]
    #[case::error_message(Subject::ErrorMessage("not allowed".into()), 403, &[], DENIED, 403, &[], "")]
    #[case::body(Subject::Body("just for test".into()), 200, &[], "just for test", 200, &[], "just for tes")]
    fn checks_hold_and_fail(
        #[case] subject: Subject,
        #[case] good_status: u16,
        #[case] good_headers: &[(&str, &str)],
        #[case] good_body: &str,
        #[case] bad_status: u16,
        #[case] bad_headers: &[(&str, &str)],
        #[case] bad_body: &str,
    ) {
        let c = check(subject);
        let r = req("GET", &[("origin", "http://a")]);
        let good = c.evaluate("s", &r, &resp(good_status, good_headers, good_body));
        assert!(good.ok, "should hold: {good:?}");
        let bad = c.evaluate("s", &r, &resp(bad_status, bad_headers, bad_body));
        assert!(!bad.ok, "should fail: {bad:?}");
        assert_ne!(bad.expected, bad.actual, "a failed check shows both values");
    }

    #[test]
    fn fetch_allowed_judges_a_preflight_by_the_requested_method_and_headers() {
        let c = check(Subject::Fetch {
            outcome: FetchOutcome::Allowed,
            credentials: false,
        });
        let r = req(
            "OPTIONS",
            &[
                ("origin", "http://a"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "X-Amz-Meta-A"),
            ],
        );
        let ok = resp(
            200,
            &[
                ("access-control-allow-origin", "http://a"),
                ("access-control-allow-methods", "GET, PUT"),
                ("access-control-allow-headers", "x-amz-meta-a"),
            ],
            "",
        );
        assert!(c.evaluate("s", &r, &ok).ok);
        let missing_header = resp(
            200,
            &[
                ("access-control-allow-origin", "http://a"),
                ("access-control-allow-methods", "GET, PUT"),
            ],
            "",
        );
        let bad = c.evaluate("s", &r, &missing_header);
        assert!(!bad.ok);
        assert!(
            bad.actual.contains("does not cover `x-amz-meta-a`"),
            "{}",
            bad.actual
        );
    }

    #[test]
    fn fetch_blocked_fails_on_a_permissive_answer() {
        let c = check(Subject::Fetch {
            outcome: FetchOutcome::Blocked,
            credentials: false,
        });
        let r = req("GET", &[("origin", "https://evil.example")]);
        assert!(c.evaluate("s", &r, &resp(200, &[], "")).ok);
        let reflected = resp(
            200,
            &[("access-control-allow-origin", "https://evil.example")],
            "",
        );
        assert!(!c.evaluate("s", &r, &reflected).ok);
    }

    #[test]
    fn readable_needs_expose_headers() {
        let c = check(Subject::Readable {
            header: "etag".into(),
            readable: true,
            credentials: false,
        });
        let r = req("GET", &[("origin", "http://a")]);
        let exposed = resp(
            200,
            &[
                ("access-control-allow-origin", "http://a"),
                ("access-control-expose-headers", "ETag"),
            ],
            "",
        );
        assert!(c.evaluate("s", &r, &exposed).ok);
        let hidden = resp(200, &[("access-control-allow-origin", "http://a")], "");
        assert!(!c.evaluate("s", &r, &hidden).ok);
    }

    #[test]
    fn cors_config_compares_the_typed_model() {
        let expected = CorsConfiguration::from_xml("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>").unwrap();
        let c = check(Subject::CorsConfig {
            fixture: "f.xml".into(),
            expected,
        });
        let r = req("GET", &[]);
        let same = resp(
            200,
            &[],
            "<CORSConfiguration xmlns=\"x\"><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>",
        );
        assert!(c.evaluate("s", &r, &same).ok);
        let other = resp(
            200,
            &[],
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        assert!(!c.evaluate("s", &r, &other).ok);
        assert!(!c.evaluate("s", &r, &resp(404, &[], DENIED)).ok);
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
            page_ms: 1.0,
            step_ms: 2.0,
        }
    }

    #[rstest::rstest]
    #[case::outcome(Subject::Page(PageOutcome::Loaded))]
    #[case::status(Subject::PageStatus(StatusSpec::Code(200)))]
    #[case::status_class(Subject::PageStatus(StatusSpec::Class("2xx".into())))]
    #[case::body(Subject::PageBody("just for test".into()))]
    #[case::readable(Subject::PageReadable { header: "etag".into(), readable: true })]
    #[case::store_requests(Subject::StoreRequests(1))]
    #[case::store_preflights(Subject::StorePreflights(1))]
    #[case::store_status(Subject::StoreStatus(StatusSpec::Class("2xx".into())))]
    fn page_checks_hold_and_fail(#[case] subject: Subject) {
        let c = check(subject);
        let good = view(PageOutcome::Loaded, 200, Some("just for test"), &["etag"]);
        assert!(c.evaluate_page("read", &good).ok, "should hold on {good:?}");
        // A page that got a network error (a CORS failure) and a store the request never reached.
        let mut bad = view(PageOutcome::NetworkError, 0, None, &[]);
        bad.store_requests = 0;
        bad.store_preflights = 2;
        bad.store_status = Some(403);
        let judged = c.evaluate_page("read", &bad);
        assert!(!judged.ok, "should fail on {bad:?}");
        assert_ne!(
            judged.expected, judged.actual,
            "a failed check shows both values"
        );
    }

    #[test]
    fn an_unreadable_header_fails_when_the_page_can_read_it() {
        let c = check(Subject::PageReadable {
            header: "etag".into(),
            readable: false,
        });
        assert!(
            c.evaluate_page(
                "s",
                &view(PageOutcome::Loaded, 200, None, &["content-type"])
            )
            .ok
        );
        let read = c.evaluate_page("s", &view(PageOutcome::Loaded, 200, None, &["ETag"]));
        assert!(!read.ok);
        assert_eq!(read.actual, "readable");
    }

    #[test]
    fn a_check_applies_only_to_its_dialect_and_browser() {
        let mut c = check(Subject::StorePreflights(0));
        assert!(c.applies(Dialect::S3, Some(BrowserKind::Firefox)));
        c.browser = Some(BrowserKind::Chromium);
        assert!(c.applies(Dialect::S3, Some(BrowserKind::Chromium)));
        assert!(!c.applies(Dialect::S3, Some(BrowserKind::Firefox)));
        c.dialect = Some(Dialect::Oss);
        assert!(!c.applies(Dialect::S3, Some(BrowserKind::Chromium)));
    }

    #[test]
    fn a_page_check_on_a_raw_exchange_cannot_hold() {
        let c = check(Subject::Page(PageOutcome::Loaded));
        let judged = c.evaluate("s", &req("GET", &[]), &resp(200, &[], ""));
        assert!(!judged.ok, "{judged:?}");
    }
}
