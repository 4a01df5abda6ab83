//! The seed guide's troubleshooting procedure as a function of data: from the request a page
//! sends, the bucket's rules and the store's answers, it says which rule matched or why none
//! did, whether the status itself is the problem, what the answers lack for a browser, and what
//! caching can do. Every line cites the request and header it is based on. `corsprobe
//! diagnose` sends the requests; this only reads them.

use crate::cors_config::{CorsConfiguration, CorsRule};
use crate::exchange::{Exchange, RecordedResponse};
use crate::fetch_rules::{Rules, cors_check, header_readable, list_items, preflight_check};

/// Request headers a page may send without a preflight (their values aside).
const SAFELISTED_HEADERS: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// The Content-Type values that keep a request simple.
const SIMPLE_TYPES: [&str; 3] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
];

/// What the page does: its origin, method, the headers it sets and those it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    /// The page's origin, serialized (`https://app.example.com`, `null`).
    pub origin: String,
    /// The method, upper-case.
    pub method: String,
    /// The headers the page sets: lower-case name, value if known.
    pub headers: Vec<(String, Option<String>)>,
    /// Response headers the page reads (`etag`), lower-case.
    pub expose: Vec<String>,
}

impl Ask {
    /// The header names that make the browser preflight, lower-case and sorted, as the browser
    /// lists them in Access-Control-Request-Headers.
    pub fn unsafe_headers(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .headers
            .iter()
            .filter(|(n, v)| {
                !SAFELISTED_HEADERS.contains(&n.as_str())
                    || (n == "content-type"
                        && !v.as_deref().is_some_and(|v| {
                            let essence = v.split(';').next().unwrap_or("").trim();
                            SIMPLE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(essence))
                        }))
            })
            .map(|(n, _)| n.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// True when a browser sends a preflight first.
    pub fn preflighted(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "POST")
            || !self.unsafe_headers().is_empty()
    }
}

/// How the bucket's rules meet the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// The bucket has no CORS configuration.
    NoRules,
    /// This rule (0-based) allows origin, method and headers; the first such rule wins.
    Matched(usize),
    /// No rule lists the origin.
    Origin,
    /// Rules list the origin, none of them the method.
    Method(Vec<usize>),
    /// A rule lists origin and method but not this header.
    Header(usize, String),
}

/// `*` anywhere in a pattern stands for any run of characters (S3 and OSS allow one).
fn wildcard(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len()
                && value.starts_with(head)
                && value.ends_with(tail)
        }
    }
}

fn origin_listed(rule: &CorsRule, origin: &str) -> bool {
    rule.allowed_origins.iter().any(|o| wildcard(o, origin))
}

fn method_listed(rule: &CorsRule, method: &str) -> bool {
    rule.allowed_methods.iter().any(|m| m == method)
}

fn header_listed(rule: &CorsRule, header: &str) -> bool {
    rule.allowed_headers
        .iter()
        .any(|h| wildcard(&h.to_ascii_lowercase(), header))
}

/// Which rule a store following AWS S3's rules applies, or why none applies.
pub fn match_rules(rules: Option<&CorsConfiguration>, ask: &Ask) -> RuleMatch {
    let Some(config) = rules.filter(|c| !c.rules.is_empty()) else {
        return RuleMatch::NoRules;
    };
    let headers = if ask.preflighted() {
        ask.unsafe_headers()
    } else {
        vec![]
    };
    let by_origin: Vec<usize> = (0..config.rules.len())
        .filter(|&i| origin_listed(&config.rules[i], &ask.origin))
        .collect();
    if by_origin.is_empty() {
        return RuleMatch::Origin;
    }
    let by_method: Vec<usize> = by_origin
        .iter()
        .copied()
        .filter(|&i| method_listed(&config.rules[i], &ask.method))
        .collect();
    if by_method.is_empty() {
        return RuleMatch::Method(by_origin);
    }
    let mut first_gap = None;
    for &i in &by_method {
        match headers.iter().find(|h| !header_listed(&config.rules[i], h)) {
            None => return RuleMatch::Matched(i),
            Some(h) => {
                first_gap.get_or_insert((i, h.clone()));
            }
        }
    }
    let (i, h) = first_gap.expect("a rule of by_method missed a header");
    RuleMatch::Header(i, h)
}

/// What the diagnosis finds the trouble to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Not CORS: the store refused the request itself (signature, expiry, permission, a
    /// missing object); the text names the status and code.
    Status(String),
    /// The bucket has no CORS rules.
    NoRules,
    /// No rule lists the origin.
    Origin,
    /// No rule for the origin lists the method.
    Method,
    /// No rule for origin and method allows this request header.
    Header(String),
    /// The rules allow the request but the store's answer does not let it through.
    Store(String),
    /// The page reads a header no rule exposes.
    Exposure(String),
    /// Nothing a browser would refuse.
    Nothing,
}

impl Cause {
    /// The cause in a sentence.
    pub fn text(&self, ask: &Ask) -> String {
        match self {
            Cause::Status(s) => format!("not CORS: the store refused the request itself ({s})"),
            Cause::NoRules => {
                "CORS rules: the bucket has none, so no answer carries Access-Control-Allow-Origin"
                    .into()
            }
            Cause::Origin => format!("CORS rules: no rule lists the origin {}", ask.origin),
            Cause::Method => format!(
                "CORS rules: the rules for {} do not allow {}",
                ask.origin, ask.method
            ),
            Cause::Header(h) => format!(
                "CORS rules: no rule for {} {} allows the header {h}",
                ask.origin, ask.method
            ),
            Cause::Store(s) => format!("the store: the rules allow the request, but {s}"),
            Cause::Exposure(h) => format!(
                "CORS rules: {h} is not exposed, so the page reads null for it (a multipart upload cannot complete without each part's ETag)"
            ),
            Cause::Nothing => "no CORS problem: a browser would let the page do this".into(),
        }
    }

    /// True for a cause a rules change can fix.
    pub fn in_rules(&self) -> bool {
        matches!(
            self,
            Cause::NoRules | Cause::Origin | Cause::Method | Cause::Header(_) | Cause::Exposure(_)
        )
    }
}

/// One line of a diagnosis: what it is about, what was found, and what it is based on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `rules`, `preflight`, `status`, `response`, `expose`, `cache`.
    pub topic: &'static str,
    /// What was found.
    pub text: String,
    /// The request and header it rests on (`OPTIONS /b/k: Access-Control-Allow-Methods`).
    pub from: String,
}

/// What was sent and answered, for one configuration of the bucket.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observed<'a> {
    /// The rules in force (None: no configuration).
    pub rules: Option<&'a CorsConfiguration>,
    /// The preflight, when the request needs one.
    pub preflight: Option<&'a Exchange>,
    /// The request itself.
    pub actual: Option<&'a Exchange>,
}

/// Error codes that are the store refusing the request, not a CORS decision, and what they mean.
const NOT_CORS: [(&str, &str); 9] = [
    ("SignatureDoesNotMatch", "a bad signature"),
    ("InvalidAccessKeyId", "an unknown access key"),
    (
        "AccessDenied",
        "no permission, or a presigned URL that is invalid or expired",
    ),
    ("RequestExpired", "an expired signature"),
    ("ExpiredToken", "an expired security token"),
    ("RequestTimeTooSkewed", "the client's clock is off"),
    ("NoSuchKey", "no such object"),
    ("NoSuchBucket", "no such bucket"),
    ("NoSuchUpload", "no such multipart upload"),
];

/// `METHOD /path` of an exchange, without its query (it may hold a signature).
fn request_line(ex: &Exchange) -> String {
    let path = ex.request.path_and_query();
    let path = path.split('?').next().unwrap_or(path);
    format!("{} {path}", ex.request.method)
}

/// `name: value` of a response header, or `name absent`.
fn shown(resp: &RecordedResponse, name: &str) -> String {
    match resp.header(name) {
        Some(v) => format!("{name}: {v}"),
        None => format!("{name} absent"),
    }
}

fn rule_text(rule: &CorsRule) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    format!(
        "origins {}; methods {}; headers {}",
        list(&rule.allowed_origins),
        list(&rule.allowed_methods),
        list(&rule.allowed_headers)
    )
}

/// The diagnosis of one configuration: its lines, and the cause (the first that explains a
/// failure, in the guide's order: the status, the rules, then the store's answers).
pub fn diagnose(ask: &Ask, seen: &Observed<'_>) -> (Vec<Line>, Cause) {
    let mut lines = Vec::new();
    let matched = match_rules(seen.rules, ask);
    let rules_from = "GetBucketCors".to_string();
    match (&matched, seen.rules) {
        (RuleMatch::NoRules, _) => lines.push(Line {
            topic: "rules",
            text: "the bucket has no CORS rules".into(),
            from: rules_from.clone(),
        }),
        (RuleMatch::Matched(i), Some(c)) => lines.push(Line {
            topic: "rules",
            text: format!(
                "rule {} matches {} {} ({})",
                i + 1,
                ask.origin,
                ask.method,
                rule_text(&c.rules[*i])
            ),
            from: rules_from.clone(),
        }),
        (RuleMatch::Origin, Some(c)) => {
            let listed: Vec<String> = c
                .rules
                .iter()
                .flat_map(|r| r.allowed_origins.clone())
                .collect();
            lines.push(Line {
                topic: "rules",
                text: format!(
                    "no rule lists the origin {} (the rules list {})",
                    ask.origin,
                    listed.join(", ")
                ),
                from: format!("{rules_from}: AllowedOrigin; the request's Origin"),
            });
        }
        (RuleMatch::Method(rs), Some(c)) => {
            let methods: Vec<String> = rs
                .iter()
                .map(|&i| {
                    format!(
                        "rule {} allows {}",
                        i + 1,
                        c.rules[i].allowed_methods.join(", ")
                    )
                })
                .collect();
            lines.push(Line {
                topic: "rules",
                text: format!(
                    "rules list the origin, none the method {} ({})",
                    ask.method,
                    methods.join("; ")
                ),
                from: format!("{rules_from}: AllowedMethod"),
            });
        }
        (RuleMatch::Header(i, h), Some(c)) => lines.push(Line {
            topic: "rules",
            text: format!(
                "rule {} allows the origin and {} but not the header {h} (AllowedHeader: {})",
                i + 1,
                ask.method,
                if c.rules[*i].allowed_headers.is_empty() {
                    "none".to_string()
                } else {
                    c.rules[*i].allowed_headers.join(", ")
                }
            ),
            from: format!("{rules_from}: AllowedHeader; the request's {h}"),
        }),
        (_, None) => {}
    }
    let credentials = false;
    let mut refused: Option<String> = None;
    if ask.preflighted() {
        match seen
            .preflight
            .and_then(|p| p.response.as_ref().map(|r| (p, r)))
        {
            Some((p, r)) => {
                let line = request_line(p);
                match preflight_check(
                    r,
                    &ask.origin,
                    &ask.method,
                    &ask.unsafe_headers(),
                    (credentials, Rules::Shipped),
                ) {
                    Ok(()) => lines.push(Line {
                        topic: "preflight",
                        text: format!(
                            "the preflight lets the request go ({})",
                            shown(r, "access-control-allow-methods")
                        ),
                        from: format!(
                            "{line} → {}: Access-Control-Allow-Origin, -Methods, -Headers",
                            r.status
                        ),
                    }),
                    Err(e) => {
                        lines.push(Line {
                            topic: "preflight",
                            text: format!(
                                "a browser stops here: {e}; the request itself is never sent"
                            ),
                            from: format!(
                                "{line} → {}{}: {}",
                                r.status,
                                r.error_code().map(|c| format!(" {c}")).unwrap_or_default(),
                                shown(r, "access-control-allow-origin")
                            ),
                        });
                        refused = Some(format!("its preflight is refused: {e}"));
                    }
                }
                if let Some(age) = r.header("access-control-max-age") {
                    lines.push(Line {
                        topic: "cache",
                        text: format!(
                            "a browser may keep this preflight {age} s: after a rules change, a page can still see the old answer that long"
                        ),
                        from: format!("{line}: Access-Control-Max-Age"),
                    });
                }
            }
            None => lines.push(Line {
                topic: "preflight",
                text: format!(
                    "needed ({} {}), but it got no answer: {}",
                    ask.method,
                    if ask.unsafe_headers().is_empty() {
                        String::new()
                    } else {
                        format!("with {}", ask.unsafe_headers().join(", "))
                    },
                    seen.preflight
                        .map(Exchange::outcome)
                        .unwrap_or_else(|| "not sent".into())
                ),
                from: "OPTIONS".into(),
            }),
        }
    } else {
        lines.push(Line {
            topic: "preflight",
            text: format!(
                "none: {} with these headers is a simple request",
                ask.method
            ),
            from: "the request's method and headers".into(),
        });
    }
    let mut status_cause = None;
    let mut response_refused = None;
    let mut unexposed = None;
    if let Some((a, r)) = seen
        .actual
        .and_then(|a| a.response.as_ref().map(|r| (a, r)))
    {
        let line = request_line(a);
        let code = r.error_code();
        if let Some((code, meaning)) = code
            .as_deref()
            .and_then(|c| NOT_CORS.iter().find(|(n, _)| *n == c))
        {
            let readable = cors_check(r, &ask.origin, credentials).is_ok();
            status_cause = Some(format!("{} {code}: {meaning}", r.status));
            lines.push(Line {
                topic: "status",
                text: format!(
                    "{} {code} ({meaning}) is the store refusing the request, not a CORS decision; {}",
                    r.status,
                    if readable {
                        "the page can read the refusal"
                    } else {
                        "the refusal carries no Access-Control-Allow-Origin, so the page sees it as a CORS error"
                    }
                ),
                from: format!("{line} → {}: <Code>, {}", r.status, shown(r, "access-control-allow-origin")),
            });
        } else {
            lines.push(Line {
                topic: "status",
                text: if refused.is_some() {
                    format!(
                        "{} is not the problem (a browser does not send the request after a refused preflight; it was sent here to read its status)",
                        r.status
                    )
                } else {
                    format!("{} is not the problem", r.status)
                },
                from: format!("{line} → {}", r.status),
            });
        }
        match cors_check(r, &ask.origin, credentials) {
            Ok(()) => lines.push(Line {
                topic: "response",
                text: "the answer passes the browser's CORS check".into(),
                from: format!("{line}: {}", shown(r, "access-control-allow-origin")),
            }),
            Err(e) => {
                lines.push(Line {
                    topic: "response",
                    text: format!("a browser hides the answer from the page: {e}"),
                    from: format!("{line}: {}", shown(r, "access-control-allow-origin")),
                });
                response_refused.get_or_insert(format!("the answer fails the CORS check: {e}"));
            }
        }
        let mut reads = ask.expose.clone();
        if ask.method == "PUT" && !reads.iter().any(|h| h == "etag") {
            reads.push("etag".into());
        }
        // Nothing is readable from an answer the CORS check refuses: say that once, above.
        if cors_check(r, &ask.origin, credentials).is_err() {
            reads.clear();
        }
        for h in &reads {
            let asked = ask.expose.contains(h);
            match header_readable(r, &ask.origin, h, credentials) {
                Ok(()) => lines.push(Line {
                    topic: "expose",
                    text: format!("the page can read {h}"),
                    from: format!("{line}: {}", shown(r, "access-control-expose-headers")),
                }),
                Err(e) => {
                    lines.push(Line {
                        topic: "expose",
                        text: if asked {
                            format!("the page reads null for {h}: {e}")
                        } else {
                            format!("{e}: a multipart uploader, which reads each part's ETag, cannot complete")
                        },
                        from: format!("{line}: {}", shown(r, "access-control-expose-headers")),
                    });
                    if asked && cors_check(r, &ask.origin, credentials).is_ok() {
                        unexposed.get_or_insert(h.clone());
                    }
                }
            }
        }
        let acao = r.header("access-control-allow-origin");
        let vary = list_items(&r.header("vary").unwrap_or_default());
        if acao.as_deref().is_some_and(|v| v != "*")
            && !vary.iter().any(|v| v.eq_ignore_ascii_case("origin"))
        {
            lines.push(Line {
                topic: "cache",
                text: "the answer names one origin but Vary lacks Origin: a browser or CDN cache can serve it to a page of another origin, which then fails".into(),
                from: format!("{line}: {}, {}", shown(r, "access-control-allow-origin"), shown(r, "vary")),
            });
        }
    } else if let Some(a) = seen.actual {
        lines.push(Line {
            topic: "status",
            text: format!("no answer: {}", a.outcome()),
            from: request_line(a),
        });
    }
    let cors_fails = refused.is_some() || response_refused.is_some() || unexposed.is_some();
    let cause = if let Some(s) = status_cause {
        Cause::Status(s)
    } else if !cors_fails {
        Cause::Nothing
    } else {
        match matched {
            RuleMatch::NoRules => Cause::NoRules,
            RuleMatch::Origin => Cause::Origin,
            RuleMatch::Method(_) => Cause::Method,
            RuleMatch::Header(_, h) => Cause::Header(h),
            RuleMatch::Matched(_) => match (refused, response_refused, unexposed) {
                (Some(why), _, _) | (None, Some(why), _) => Cause::Store(why),
                (None, None, Some(h)) => Cause::Exposure(h),
                (None, None, None) => Cause::Nothing,
            },
        }
    };
    (lines, cause)
}

/// The guide's loosest configuration, its last step: any origin, every method, any header, the
/// headers the page reads exposed, and a preflight kept one second.
pub fn loosest(ask: &Ask) -> CorsConfiguration {
    CorsConfiguration {
        rules: vec![CorsRule {
            id: None,
            allowed_origins: vec!["*".into()],
            allowed_methods: ["GET", "PUT", "POST", "DELETE", "HEAD"]
                .map(String::from)
                .to_vec(),
            allowed_headers: vec!["*".into()],
            expose_headers: ask.expose.clone(),
            max_age_seconds: Some(1),
        }],
        response_vary: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Phase, RecordedRequest};

    fn ask(method: &str, headers: &[(&str, Option<&str>)], expose: &[&str]) -> Ask {
        Ask {
            origin: "http://app.example".into(),
            method: method.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.map(String::from)))
                .collect(),
            expose: expose.iter().map(|h| h.to_string()).collect(),
        }
    }

    fn rules(
        origin: &str,
        methods: &[&str],
        headers: &[&str],
        expose: &[&str],
    ) -> CorsConfiguration {
        CorsConfiguration {
            rules: vec![CorsRule {
                id: None,
                allowed_origins: vec![origin.into()],
                allowed_methods: methods.iter().map(|m| m.to_string()).collect(),
                allowed_headers: headers.iter().map(|h| h.to_string()).collect(),
                expose_headers: expose.iter().map(|h| h.to_string()).collect(),
                max_age_seconds: None,
            }],
            response_vary: None,
        }
    }

    fn ex(method: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            phase: Phase::Step,
            label: "x".into(),
            request: RecordedRequest {
                method: method.into(),
                url: "http://127.0.0.1:7480/b/k.txt?X-Amz-Signature=[redacted]".into(),
                headers: vec![],
                body_bytes: 0,
            },
            response: Some(RecordedResponse::new(status, headers, body)),
            error: None,
            duration_ms: 1.0,
        }
    }

    const ALLOWED: [(&str, &str); 3] = [
        ("access-control-allow-origin", "http://app.example"),
        ("access-control-allow-methods", "PUT"),
        ("vary", "Origin"),
    ];

    #[test]
    fn a_simple_get_needs_no_preflight_and_a_put_or_a_custom_header_does() {
        assert!(!ask("GET", &[], &[]).preflighted());
        assert!(
            !ask(
                "POST",
                &[("content-type", Some("text/plain;charset=utf-8"))],
                &[]
            )
            .preflighted()
        );
        assert!(ask("POST", &[("content-type", Some("application/xml"))], &[]).preflighted());
        assert!(ask("PUT", &[], &[]).preflighted());
        let a = ask(
            "GET",
            &[("x-amz-meta-b", None), ("x-amz-meta-a", None)],
            &[],
        );
        assert_eq!(a.unsafe_headers(), vec!["x-amz-meta-a", "x-amz-meta-b"]);
    }

    #[test]
    fn the_rule_that_fails_is_named_origin_then_method_then_header() {
        let a = ask("PUT", &[("x-amz-meta-color", Some("red"))], &[]);
        assert_eq!(match_rules(None, &a), RuleMatch::NoRules);
        let other = rules("http://www.example.com", &["PUT"], &["*"], &[]);
        assert_eq!(match_rules(Some(&other), &a), RuleMatch::Origin);
        let get_only = rules("http://*.example", &["GET"], &["*"], &[]);
        assert_eq!(match_rules(Some(&get_only), &a), RuleMatch::Method(vec![0]));
        let no_header = rules("http://app.example", &["PUT"], &["content-type"], &[]);
        assert_eq!(
            match_rules(Some(&no_header), &a),
            RuleMatch::Header(0, "x-amz-meta-color".into())
        );
        let prefix = rules("http://app.example", &["PUT"], &["x-amz-meta-*"], &[]);
        assert_eq!(match_rules(Some(&prefix), &a), RuleMatch::Matched(0));
    }

    #[test]
    fn a_refused_preflight_is_blamed_on_the_rule_it_misses() {
        let a = ask("PUT", &[("x-amz-meta-color", Some("red"))], &[]);
        let cfg = rules("http://app.example", &["PUT"], &["content-type"], &[]);
        let pre = ex(
            "OPTIONS",
            403,
            &[],
            "<Error><Code>AccessForbidden</Code></Error>",
        );
        let (lines, cause) = diagnose(
            &a,
            &Observed {
                rules: Some(&cfg),
                preflight: Some(&pre),
                actual: None,
            },
        );
        assert_eq!(cause, Cause::Header("x-amz-meta-color".into()));
        assert!(
            lines.iter().any(|l| l.topic == "preflight"
                && l.from.starts_with("OPTIONS /b/k.txt → 403 AccessForbidden")),
            "{lines:?}"
        );
        assert!(
            lines.iter().all(|l| !l.from.contains("Signature")),
            "no query in a line"
        );
    }

    #[test]
    fn a_bad_signature_is_the_status_not_cors() {
        let a = ask("GET", &[], &[]);
        let cfg = rules("http://app.example", &["GET"], &[], &[]);
        let got = ex(
            "GET",
            403,
            &[],
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        );
        let (lines, cause) = diagnose(
            &a,
            &Observed {
                rules: Some(&cfg),
                preflight: None,
                actual: Some(&got),
            },
        );
        assert_eq!(
            cause,
            Cause::Status("403 SignatureDoesNotMatch: a bad signature".into())
        );
        assert!(
            lines
                .iter()
                .any(|l| l.text.contains("sees it as a CORS error")),
            "{lines:?}"
        );
    }

    #[test]
    fn an_unexposed_etag_is_named_and_an_allowed_request_is_nothing() {
        let a = ask("PUT", &[], &["etag"]);
        let cfg = rules("http://app.example", &["PUT"], &[], &[]);
        let pre = ex("OPTIONS", 200, &ALLOWED, "");
        let put = ex(
            "PUT",
            200,
            &[ALLOWED[0], ("etag", "\"abc\""), ALLOWED[2]],
            "",
        );
        let seen = Observed {
            rules: Some(&cfg),
            preflight: Some(&pre),
            actual: Some(&put),
        };
        assert_eq!(diagnose(&a, &seen).1, Cause::Exposure("etag".into()));
        let mut exposed = put.clone();
        if let Some(r) = exposed.response.as_mut() {
            r.headers
                .push(("access-control-expose-headers".into(), "ETag".into()));
        }
        let seen = Observed {
            actual: Some(&exposed),
            ..seen
        };
        assert_eq!(diagnose(&a, &seen).1, Cause::Nothing);
    }

    #[test]
    fn an_echoed_origin_without_vary_is_a_cache_hazard() {
        let a = ask("GET", &[], &[]);
        let cfg = rules("http://app.example", &["GET"], &[], &[]);
        let got = ex("GET", 200, &[ALLOWED[0]], "x");
        let (lines, cause) = diagnose(
            &a,
            &Observed {
                rules: Some(&cfg),
                preflight: None,
                actual: Some(&got),
            },
        );
        assert_eq!(cause, Cause::Nothing);
        assert!(
            lines
                .iter()
                .any(|l| l.topic == "cache" && l.from.contains("vary absent")),
            "{lines:?}"
        );
    }

    #[test]
    fn the_loosest_rules_expose_what_the_page_reads() {
        let l = loosest(&ask("PUT", &[], &["etag"]));
        assert_eq!(l.rules[0].allowed_origins, vec!["*"]);
        assert_eq!(l.rules[0].expose_headers, vec!["etag"]);
        assert_eq!(l.rules[0].max_age_seconds, Some(1));
    }
}
