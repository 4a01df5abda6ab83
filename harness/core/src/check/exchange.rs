//! Checks of a raw exchange: the status, headers and body the store answered, and what a
//! browser following the Fetch rules would decide about them.

use super::{CheckResult, ExchangeCheck, StatusSpec, readability};
use crate::cors_config::CorsConfiguration;
use crate::exchange::{RecordedRequest, RecordedResponse};
use crate::fetch_rules;
use serde::{Deserialize, Serialize};

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

/// The size and SHA-256 of a body, and the steps it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// The steps whose bodies, joined, make it (empty for a received body).
    pub parts: Vec<String>,
    /// Its length in bytes.
    pub bytes: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

impl Digest {
    /// The digest of `body`, made of `parts`.
    pub fn of(parts: Vec<String>, body: &[u8]) -> Digest {
        Digest {
            parts,
            bytes: body.len() as u64,
            sha256: hex_sha256(body),
        }
    }

    /// The digest of a received body: the recorded one when the body was cut.
    pub fn of_response(resp: &RecordedResponse) -> Digest {
        match (&resp.body_sha256, resp.body_cut_from) {
            (Some(sha), Some(total)) => Digest {
                parts: vec![],
                bytes: total,
                sha256: sha.clone(),
            },
            _ => Digest::of(vec![], resp.body.as_bytes()),
        }
    }

    /// `N bytes, sha256 <first 16 hex>…`, and the parts when known.
    pub fn text(&self) -> String {
        let short = &self.sha256[..self.sha256.len().min(16)];
        if self.parts.is_empty() {
            format!("{} bytes, sha256 {short}…", self.bytes)
        } else {
            format!(
                "{} bytes, sha256 {short}… ({} joined)",
                self.bytes,
                self.parts.join(" + ")
            )
        }
    }
}

/// SHA-256 in lower-case hex.
pub fn hex_sha256(body: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a check of a raw exchange looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeSubject {
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
    /// The body is these steps' bodies joined (a completed multipart upload), by size and
    /// SHA-256: the record keeps only the first 16 KiB of a body.
    Assembled(Digest),
    /// A browser's decision under the Fetch standard.
    Fetch {
        /// Judged by the standard in full rather than by what shipped browsers do.
        standard: bool,
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
    /// `Vary` names Origin wherever the answer depends on it. A static `*`
    /// Access-Control-Allow-Origin is the same for every Origin, so it needs no `Vary: Origin`.
    VaryOrigin,
}

const ABSENT: &str = "(absent)";

/// What a `fetch` check is called in results: the engine and the same-answer notice find the
/// browser's decision by it.
pub const FETCH_CHECK: &str = "browser CORS decision";

fn tokens_text(tokens: &[String]) -> String {
    format!("{{{}}}", tokens.join(", "))
}

impl ExchangeCheck {
    /// Judges the check against a request and its response.
    pub fn evaluate(
        &self,
        step: &str,
        req: &RecordedRequest,
        resp: &RecordedResponse,
    ) -> CheckResult {
        let (check, expected, actual, ok) = match &self.subject {
            ExchangeSubject::Status(spec) => (
                "status".to_string(),
                spec.text(),
                resp.status.to_string(),
                spec.matches(resp.status),
            ),
            ExchangeSubject::Header { name, predicate } => header_check(name, predicate, resp),
            ExchangeSubject::ErrorCode(code) => {
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
            ExchangeSubject::ErrorMessage(text) => {
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
            ExchangeSubject::Body(body) => (
                "body".to_string(),
                body.clone(),
                resp.body.clone(),
                &resp.body == body,
            ),
            ExchangeSubject::Assembled(want) => {
                let got = Digest::of_response(resp);
                (
                    "body assembled from the parts".to_string(),
                    want.text(),
                    got.text(),
                    got.bytes == want.bytes && got.sha256 == want.sha256,
                )
            }
            ExchangeSubject::Fetch {
                outcome,
                credentials,
                standard,
            } => {
                let rules = if *standard {
                    fetch_rules::Rules::Standard
                } else {
                    fetch_rules::Rules::Shipped
                };
                let verdict = browser_decision(req, resp, *credentials, rules);
                let allowed = verdict.is_ok();
                let mode = if *credentials {
                    " with credentials"
                } else {
                    ""
                };
                let by = if *standard {
                    " by the Fetch standard"
                } else {
                    ""
                };
                (
                    format!("{FETCH_CHECK}{mode}{by}"),
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
            ExchangeSubject::Readable {
                header,
                readable,
                credentials,
            } => {
                let result = match req.header("origin") {
                    Some(origin) => {
                        fetch_rules::header_readable(resp, origin, header, *credentials)
                    }
                    None => Err("the request sent no Origin".to_string()),
                };
                (
                    format!("page can read `{header}`"),
                    readability(*readable),
                    match &result {
                        Ok(()) => "readable".to_string(),
                        Err(why) => format!("not readable: {why}"),
                    },
                    result.is_ok() == *readable,
                )
            }
            ExchangeSubject::CorsConfig { fixture, expected } => {
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
            ExchangeSubject::VaryOrigin => {
                let vary = resp.header("vary");
                let names_origin = fetch_rules::list_items(vary.as_deref().unwrap_or(""))
                    .iter()
                    .any(|i| i.eq_ignore_ascii_case("origin") || i == "*");
                let star = resp.header("access-control-allow-origin").as_deref() == Some("*");
                (
                    "header vary".to_string(),
                    "contains `Origin` (or Access-Control-Allow-Origin is `*`)".to_string(),
                    match (&vary, star) {
                        (_, true) => "Access-Control-Allow-Origin: * needs no Vary".to_string(),
                        (Some(v), false) => v.clone(),
                        (None, false) => ABSENT.to_string(),
                    },
                    names_origin || star,
                )
            }
        };
        self.judged(step, check, expected, actual, ok)
    }
}

/// What a browser decides for this exchange: preflight rules for an OPTIONS with ACRM, else the CORS check.
pub fn browser_decision(
    req: &RecordedRequest,
    resp: &RecordedResponse,
    credentials: bool,
    rules: fetch_rules::Rules,
) -> Result<(), String> {
    let Some(origin) = req.header("origin") else {
        return Err("the request sent no Origin, so it is not a CORS request".to_string());
    };
    match req.header("access-control-request-method") {
        Some(method) if req.method == "OPTIONS" => {
            let requested = fetch_rules::list_items(
                &req.header("access-control-request-headers")
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            );
            fetch_rules::preflight_check(resp, origin, method, &requested, (credentials, rules))
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
    use crate::check::Check;
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
        RecordedResponse::new(status, headers, body)
    }

    fn check(subject: ExchangeSubject) -> ExchangeCheck {
        Check::must(subject)
    }

    fn header(name: &str, p: HeaderPredicate) -> ExchangeSubject {
        ExchangeSubject::Header {
            name: name.to_string(),
            predicate: p,
        }
    }

    const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
    const DENIED: &str = "<?xml version=\"1.0\"?><Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>";

    /// Each check holds on a conforming response and fails on a violating one.
    #[rstest]
    #[case::status_code(ExchangeSubject::Status(StatusSpec::Code(200)), 200, &[], "", 403, &[], "")]
    #[case::status_class(ExchangeSubject::Status(StatusSpec::Class("2xx".into())), 204, &[], "", 301, &[], "")]
    #[case::present(header("vary", HeaderPredicate::Present(true)), 200, &[("vary", "Origin")], "", 200, &[], "")]
    #[case::absent(header("access-control-allow-origin", HeaderPredicate::Present(false)), 200, &[], "", 200, &[("access-control-allow-origin", "*")], "")]
    #[case::equals(header("access-control-allow-origin", HeaderPredicate::Equals("http://a".into())), 200, &[("access-control-allow-origin", "http://a")], "", 200, &[("access-control-allow-origin", "http://a"), ("access-control-allow-origin", "http://a")], "")]
    #[case::token(header("vary", HeaderPredicate::Token("origin".into())), 200, &[("vary", VARY)], "", 200, &[("vary", "Accept-Encoding")], "")]
    #[case::no_token(header("access-control-allow-methods", HeaderPredicate::NoToken("PUT".into())), 200, &[("access-control-allow-methods", "GET")], "", 200, &[("access-control-allow-methods", "GET, PUT")], "")]
    #[case::tokens(header("vary", HeaderPredicate::Tokens(vec!["Origin".into(), "Access-Control-Request-Method".into(), "Access-Control-Request-Headers".into()])), 200, &[("vary", VARY)], "", 200, &[("vary", "Origin")], "")]
    #[case::count(header("access-control-allow-origin", HeaderPredicate::Count(1)), 200, &[("access-control-allow-origin", "*")], "", 200, &[("access-control-allow-origin", "*"), ("access-control-allow-origin", "*")], "")]
    #[case::error_code(ExchangeSubject::ErrorCode("AccessForbidden".into()), 403, &[], DENIED, 403, &[], "<Error><Code>AccessDenied</Code></Error>")]
    #[case::error_message(ExchangeSubject::ErrorMessage("not allowed".into()), 403, &[], DENIED, 403, &[], "")]
    #[case::body(ExchangeSubject::Body("just for test".into()), 200, &[], "just for test", 200, &[], "just for tes")]
    #[case::assembled(ExchangeSubject::Assembled(Digest::of(vec!["p1".into()], b"just for test")), 200, &[], "just for test", 200, &[], "just for tesT")]
    fn checks_hold_and_fail(
        #[case] subject: ExchangeSubject,
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
    fn a_cut_body_is_judged_by_its_recorded_size_and_digest() {
        let whole = "x".repeat(40_000);
        let c = check(ExchangeSubject::Assembled(Digest::of(
            vec!["a".into(), "b".into()],
            whole.as_bytes(),
        )));
        let r = req("GET", &[]);
        let mut cut = resp(200, &[], &whole[..16_384]);
        cut.body_cut_from = Some(40_000);
        cut.body_sha256 = Some(hex_sha256(whole.as_bytes()));
        assert!(c.evaluate("s", &r, &cut).ok);
        cut.body_cut_from = Some(40_001);
        let judged = c.evaluate("s", &r, &cut);
        assert!(!judged.ok);
        assert!(
            judged.expected.contains("(a + b joined)"),
            "{}",
            judged.expected
        );
    }

    #[test]
    fn vary_origin_is_not_demanded_of_a_static_star() {
        let c = check(ExchangeSubject::VaryOrigin);
        let r = req("GET", &[("origin", "http://a")]);
        let star = resp(200, &[("access-control-allow-origin", "*")], "");
        assert!(
            c.evaluate("s", &r, &star).ok,
            "a `*` answer is the same for every Origin"
        );
        let echoed = resp(200, &[("access-control-allow-origin", "http://a")], "");
        let judged = c.evaluate("s", &r, &echoed);
        assert!(!judged.ok, "an echoed origin depends on Origin: {judged:?}");
        let varied = resp(
            200,
            &[
                ("access-control-allow-origin", "http://a"),
                ("vary", "Accept-Encoding, Origin"),
            ],
            "",
        );
        assert!(c.evaluate("s", &r, &varied).ok);
        assert!(
            !c.evaluate("s", &r, &resp(403, &[], "")).ok,
            "a refusal depends on Origin too"
        );
    }

    #[test]
    fn fetch_allowed_judges_a_preflight_by_the_requested_method_and_headers() {
        let c = check(ExchangeSubject::Fetch {
            outcome: FetchOutcome::Allowed,
            credentials: false,
            standard: false,
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
        let c = check(ExchangeSubject::Fetch {
            outcome: FetchOutcome::Blocked,
            credentials: false,
            standard: false,
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
        let c = check(ExchangeSubject::Readable {
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
        let c = check(ExchangeSubject::CorsConfig {
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
}
