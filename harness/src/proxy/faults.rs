//! A pass-through on loopback in front of a real store that breaks its CORS behaviour in one
//! named way at a time, so the suite can show it catches each fault (mutation testing).

use crate::model::cors_config::CorsConfiguration;
use crate::proxy::passthrough::{Forwarded, Passthrough, Rewrite};
use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One way of breaking a store's CORS behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Pass everything through unchanged.
    None,
    /// Remove Access-Control-Allow-Origin.
    AcaoDropped,
    /// Answer `Access-Control-Allow-Origin: *` to every request with Origin.
    AcaoAlwaysStar,
    /// Echo any Origin in Access-Control-Allow-Origin.
    ReflectAnyOrigin,
    /// Put two origins, comma-joined, in Access-Control-Allow-Origin.
    AcaoTwoOrigins,
    /// `*` together with `Access-Control-Allow-Credentials: true`.
    StarWithCredentials,
    /// Remove Vary.
    VaryDropped,
    /// Remove Vary only from responses to requests without Origin.
    VaryDroppedWithoutOrigin,
    /// Send an empty Access-Control-Allow-Methods.
    AcamEmptied,
    /// Leave the requested method out of Access-Control-Allow-Methods.
    AcamMissingMethod,
    /// Leave the first requested header out of Access-Control-Allow-Headers.
    AcahMissingHeader,
    /// Match requested headers against AllowedHeader case-sensitively.
    AcahCaseSensitive,
    /// Remove Access-Control-Expose-Headers.
    AcehDropped,
    /// Remove Access-Control-Max-Age.
    MaxAgeDropped,
    /// Answer a refused preflight with 200 and permissive headers.
    PreflightAllowsDisallowed,
    /// Answer an allowed preflight with 403 and no CORS headers.
    PreflightDeniesAllowed,
    /// Strip CORS headers from every 4xx/5xx response.
    ErrorsWithoutCors,
    /// Send every CORS header line twice.
    DuplicatedCorsHeaders,
    /// Turn a successful preflight into a 307 redirect to the same URL.
    PreflightRedirect,
    /// Allow every Origin with credentials, on every response (errors and preflights too):
    /// the classic misconfiguration.
    ReflectWithCredentials,
    /// Expose every response header, listed or not.
    ExposeAllHeaders,
    /// For a few seconds after a PutBucketCors, answer that bucket's CORS requests as if it
    /// had no rules yet: a vendor whose rules changes take time to propagate.
    StaleRules,
}

/// How long [`Fault::StaleRules`] keeps a bucket's old (absent) rules after a change.
pub const STALE_FOR: std::time::Duration = std::time::Duration::from_secs(3);

impl Fault {
    /// Every fault, `None` excluded.
    pub const ALL: [Fault; 21] = [
        Fault::AcaoDropped,
        Fault::AcaoAlwaysStar,
        Fault::ReflectAnyOrigin,
        Fault::AcaoTwoOrigins,
        Fault::StarWithCredentials,
        Fault::VaryDropped,
        Fault::VaryDroppedWithoutOrigin,
        Fault::AcamEmptied,
        Fault::AcamMissingMethod,
        Fault::AcahMissingHeader,
        Fault::AcahCaseSensitive,
        Fault::AcehDropped,
        Fault::MaxAgeDropped,
        Fault::PreflightAllowsDisallowed,
        Fault::PreflightDeniesAllowed,
        Fault::ErrorsWithoutCors,
        Fault::DuplicatedCorsHeaders,
        Fault::PreflightRedirect,
        Fault::ReflectWithCredentials,
        Fault::ExposeAllHeaders,
        Fault::StaleRules,
    ];

    /// The fault's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::AcaoDropped => "acao-dropped",
            Fault::AcaoAlwaysStar => "acao-always-star",
            Fault::ReflectAnyOrigin => "reflect-any-origin",
            Fault::AcaoTwoOrigins => "acao-two-origins",
            Fault::StarWithCredentials => "star-with-credentials",
            Fault::VaryDropped => "vary-dropped",
            Fault::VaryDroppedWithoutOrigin => "vary-dropped-without-origin",
            Fault::AcamEmptied => "acam-emptied",
            Fault::AcamMissingMethod => "acam-missing-method",
            Fault::AcahMissingHeader => "acah-missing-header",
            Fault::AcahCaseSensitive => "acah-case-sensitive",
            Fault::AcehDropped => "aceh-dropped",
            Fault::MaxAgeDropped => "max-age-dropped",
            Fault::PreflightAllowsDisallowed => "preflight-allows-disallowed",
            Fault::PreflightDeniesAllowed => "preflight-denies-allowed",
            Fault::ErrorsWithoutCors => "errors-without-cors",
            Fault::DuplicatedCorsHeaders => "duplicated-cors-headers",
            Fault::PreflightRedirect => "preflight-redirect",
            Fault::ReflectWithCredentials => "reflect-with-credentials",
            Fault::ExposeAllHeaders => "expose-all-headers",
            Fault::StaleRules => "stale-rules",
        }
    }

    /// What the fault does to the store's answers, for `corsprobe faults --list`.
    pub fn description(self) -> &'static str {
        match self {
            Fault::None => "pass everything through unchanged",
            Fault::AcaoDropped => "remove Access-Control-Allow-Origin",
            Fault::AcaoAlwaysStar => {
                "answer Access-Control-Allow-Origin: * to every request with Origin"
            }
            Fault::ReflectAnyOrigin => "echo any Origin in Access-Control-Allow-Origin",
            Fault::AcaoTwoOrigins => {
                "put two origins, comma-joined, in Access-Control-Allow-Origin"
            }
            Fault::StarWithCredentials => {
                "send * together with Access-Control-Allow-Credentials: true"
            }
            Fault::VaryDropped => "remove Vary",
            Fault::VaryDroppedWithoutOrigin => {
                "remove Vary from responses to requests without Origin"
            }
            Fault::AcamEmptied => "send an empty Access-Control-Allow-Methods",
            Fault::AcamMissingMethod => {
                "leave the requested method out of Access-Control-Allow-Methods"
            }
            Fault::AcahMissingHeader => {
                "leave the first requested header out of Access-Control-Allow-Headers"
            }
            Fault::AcahCaseSensitive => {
                "match requested headers against AllowedHeader case-sensitively"
            }
            Fault::AcehDropped => "remove Access-Control-Expose-Headers",
            Fault::MaxAgeDropped => "remove Access-Control-Max-Age",
            Fault::PreflightAllowsDisallowed => {
                "answer a refused preflight with 200 and permissive headers"
            }
            Fault::PreflightDeniesAllowed => {
                "answer an allowed preflight with 403 and no CORS headers"
            }
            Fault::ErrorsWithoutCors => "strip CORS headers from every 4xx/5xx response",
            Fault::DuplicatedCorsHeaders => "send every CORS header line twice",
            Fault::PreflightRedirect => {
                "turn a successful preflight into a 307 redirect to the same URL"
            }
            Fault::ReflectWithCredentials => {
                "allow every Origin with credentials on every response, errors and preflights too"
            }
            Fault::ExposeAllHeaders => "expose every response header, listed or not",
            Fault::StaleRules => {
                "for 3 s after a PutBucketCors, answer the bucket's CORS requests as if it had no rules"
            }
        }
    }

    /// Finds a fault by name.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL
            .into_iter()
            .chain([Fault::None])
            .find(|f| f.name() == name)
    }
}

/// What the proxy knows about the request it forwarded.
struct Seen {
    method: String,
    bucket: String,
    origin: Option<String>,
    request_method: Option<String>,
    request_headers: Vec<String>,
}

impl Seen {
    fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.origin.is_some() && self.request_method.is_some()
    }
}

#[derive(Default)]
struct State {
    fault: Mutex<Option<Fault>>,
    rules: Mutex<HashMap<String, CorsConfiguration>>,
    /// When each bucket's rules were last put.
    changed: Mutex<HashMap<String, std::time::Instant>>,
}

/// A running fault proxy; dropping it stops accepting connections.
pub struct FaultProxy {
    inner: Passthrough,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) forwarding to `upstream`.
    pub async fn start(upstream: reqwest::Url) -> Result<FaultProxy, String> {
        let state = Arc::new(State::default());
        let shared = state.clone();
        let rewrite: Rewrite = Arc::new(move |req, status, headers, body| {
            rewrite(&shared, req, status, headers, body)
        });
        let inner = Passthrough::start(upstream, Some(rewrite))
            .await
            .map_err(|e| format!("fault proxy: {e}"))?;
        Ok(FaultProxy { inner, state })
    }

    /// The proxy's base URL, to use as a target endpoint.
    pub fn url(&self) -> reqwest::Url {
        self.inner.url()
    }

    /// Selects the fault applied to the following responses.
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().expect("fault lock") = Some(fault);
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.inner.requests()
    }
}

/// Learns the rules each PutBucketCors installs, then applies the selected fault.
fn rewrite(
    state: &State,
    req: &Forwarded,
    status: &mut StatusCode,
    headers: &mut HeaderMap,
    body: &mut Bytes,
) {
    let path = req.path_and_query.split('?').next().unwrap_or("/");
    let seen = Seen {
        method: req.method.clone(),
        bucket: path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .to_string(),
        origin: req.header("origin"),
        request_method: req.header("access-control-request-method"),
        request_headers: crate::model::fetch_rules::list_items(
            &req.header("access-control-request-headers")
                .unwrap_or_default(),
        ),
    };
    let query = req.path_and_query.split_once('?').map(|(_, q)| q);
    if seen.method == "PUT"
        && query == Some("cors")
        && let Ok(cfg) = CorsConfiguration::from_xml(&String::from_utf8_lossy(&req.body))
    {
        state
            .rules
            .lock()
            .expect("rules lock")
            .insert(seen.bucket.clone(), cfg);
    }
    if seen.method == "PUT" && query == Some("cors") {
        state
            .changed
            .lock()
            .expect("changed lock")
            .insert(seen.bucket.clone(), std::time::Instant::now());
    }
    let fault = state
        .fault
        .lock()
        .expect("fault lock")
        .unwrap_or(Fault::None);
    repair(headers);
    if fault == Fault::StaleRules {
        let stale = state
            .changed
            .lock()
            .expect("changed lock")
            .get(&seen.bucket)
            .is_some_and(|t| t.elapsed() < STALE_FOR);
        if stale && seen.origin.is_some() {
            // What a bucket without rules answers: no CORS headers, a preflight refused.
            strip_cors(headers);
            if seen.is_preflight() {
                *status = StatusCode::FORBIDDEN;
            }
        }
        return;
    }
    let rules = state
        .rules
        .lock()
        .expect("rules lock")
        .get(&seen.bucket)
        .cloned();
    apply(
        fault,
        &seen,
        rules.as_ref(),
        status,
        headers,
        body,
        &req.path_and_query,
    );
}

const ACAO: &str = "access-control-allow-origin";
const ACAM: &str = "access-control-allow-methods";
const ACAH: &str = "access-control-allow-headers";

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// Allows exactly the method and headers a preflight asks for.
fn grant_requested(seen: &Seen, headers: &mut HeaderMap) {
    set(
        headers,
        ACAM,
        seen.request_method.as_deref().unwrap_or("GET"),
    );
    if !seen.request_headers.is_empty() {
        set(headers, ACAH, &seen.request_headers.join(", "));
    }
}

fn strip_cors(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|n| n.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

/// Brings the baseline closer to a conformant store: `Vary: Origin` everywhere.
///
/// A fault the store already has cannot make a verdict worse; repairing it in both the clean
/// and the faulty run keeps the comparison fair and lets the suite show it notices the fault.
fn repair(headers: &mut HeaderMap) {
    let vary = headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    if !crate::model::fetch_rules::list_items(&vary)
        .iter()
        .any(|v| v.eq_ignore_ascii_case("origin"))
    {
        let value = if vary.is_empty() {
            "Origin".to_string()
        } else {
            format!("{vary}, Origin")
        };
        set(headers, "vary", &value);
    }
}

/// Applies one fault to a response.
fn apply(
    fault: Fault,
    seen: &Seen,
    rules: Option<&CorsConfiguration>,
    status: &mut StatusCode,
    headers: &mut HeaderMap,
    body: &mut Bytes,
    path_and_query: &str,
) {
    let has = |h: &HeaderMap, n: &str| h.contains_key(n);
    match fault {
        // Stale rules depend on when the rules changed: `rewrite` answers for them.
        Fault::None | Fault::StaleRules => {}
        Fault::AcaoDropped => {
            headers.remove(ACAO);
        }
        Fault::AcaoAlwaysStar => {
            if seen.origin.is_some() {
                set(headers, ACAO, "*");
            }
        }
        Fault::ReflectAnyOrigin => {
            if let Some(o) = &seen.origin {
                set(headers, ACAO, o);
            }
        }
        Fault::AcaoTwoOrigins => {
            if let Some(v) = headers
                .get(ACAO)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
            {
                set(headers, ACAO, &format!("{v}, http://other.example.org"));
            }
        }
        Fault::ReflectWithCredentials => {
            if let Some(o) = &seen.origin {
                set(headers, ACAO, o);
                set(headers, "access-control-allow-credentials", "true");
                if seen.is_preflight() {
                    *status = StatusCode::OK;
                    grant_requested(seen, headers);
                }
            }
        }
        Fault::ExposeAllHeaders => {
            if has(headers, ACAO) {
                let names: Vec<String> = headers
                    .keys()
                    .map(|n| n.as_str().to_string())
                    .filter(|n| !n.starts_with("access-control-"))
                    .collect();
                set(headers, "access-control-expose-headers", &names.join(", "));
            }
        }
        Fault::StarWithCredentials => {
            if has(headers, ACAO) {
                set(headers, ACAO, "*");
                set(headers, "access-control-allow-credentials", "true");
            }
        }
        Fault::VaryDropped => {
            headers.remove("vary");
        }
        Fault::VaryDroppedWithoutOrigin => {
            if seen.origin.is_none() {
                headers.remove("vary");
            }
        }
        Fault::AcamEmptied => {
            if has(headers, ACAM) {
                set(headers, ACAM, "");
            }
        }
        Fault::AcamMissingMethod => {
            if let (Some(m), Some(v)) = (
                &seen.request_method,
                headers
                    .get(ACAM)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
            ) {
                let kept: Vec<String> = crate::model::fetch_rules::list_items(&v)
                    .into_iter()
                    .filter(|x| x != m)
                    .collect();
                set(headers, ACAM, &kept.join(", "));
            }
        }
        Fault::AcahMissingHeader => {
            if let (Some(first), Some(v)) = (
                seen.request_headers.first(),
                headers
                    .get(ACAH)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
            ) {
                let kept: Vec<String> = if v.trim() == "*" {
                    seen.request_headers[1..].to_vec()
                } else {
                    crate::model::fetch_rules::list_items(&v)
                        .into_iter()
                        .filter(|x| !x.eq_ignore_ascii_case(first))
                        .collect()
                };
                set(headers, ACAH, &kept.join(", "));
            }
        }
        Fault::AcahCaseSensitive => {
            let exact = |name: &str| {
                rules.is_some_and(|cfg| {
                    cfg.rules
                        .iter()
                        .flat_map(|r| &r.allowed_headers)
                        .any(|allowed| match allowed.strip_suffix('*') {
                            Some(prefix) => name.starts_with(prefix),
                            None => allowed == name,
                        })
                })
            };
            if seen.is_preflight()
                && status.is_success()
                && !seen.request_headers.iter().all(|h| exact(h))
            {
                *status = StatusCode::FORBIDDEN;
                strip_cors(headers);
                headers.remove("vary");
            }
        }
        Fault::AcehDropped => {
            headers.remove("access-control-expose-headers");
        }
        Fault::MaxAgeDropped => {
            headers.remove("access-control-max-age");
        }
        Fault::PreflightAllowsDisallowed => {
            if seen.is_preflight() && !status.is_success() {
                *status = StatusCode::OK;
                *body = Bytes::new();
                set(headers, ACAO, seen.origin.as_deref().unwrap_or("*"));
                grant_requested(seen, headers);
            }
        }
        Fault::PreflightDeniesAllowed => {
            if seen.is_preflight() && status.is_success() {
                *status = StatusCode::FORBIDDEN;
                strip_cors(headers);
            }
        }
        Fault::ErrorsWithoutCors => {
            if status.is_client_error() || status.is_server_error() {
                strip_cors(headers);
            }
        }
        Fault::DuplicatedCorsHeaders => {
            let lines: Vec<(HeaderName, HeaderValue)> = headers
                .iter()
                .filter(|(n, _)| n.as_str().starts_with("access-control-"))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            for (n, v) in lines {
                headers.append(n, v);
            }
        }
        Fault::PreflightRedirect => {
            if seen.is_preflight() && status.is_success() {
                *status = StatusCode::TEMPORARY_REDIRECT;
                set(headers, "location", path_and_query);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_unique_name_that_parses_back() {
        let mut names = std::collections::BTreeSet::new();
        for f in Fault::ALL {
            assert!(names.insert(f.name()), "duplicate {}", f.name());
            assert_eq!(Fault::parse(f.name()), Some(f));
        }
        assert_eq!(Fault::parse("nope"), None);
    }

    fn seen(method: &str, origin: Option<&str>, acrm: Option<&str>, acrh: &[&str]) -> Seen {
        Seen {
            method: method.into(),
            bucket: "b".into(),
            origin: origin.map(String::from),
            request_method: acrm.map(String::from),
            request_headers: acrh.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn allowed_preflight() -> HeaderMap {
        let mut h = HeaderMap::new();
        set(&mut h, ACAO, "http://a");
        set(&mut h, ACAM, "GET, PUT");
        set(&mut h, ACAH, "x-amz-meta-a");
        h
    }

    #[test]
    fn faults_change_what_they_say() {
        let s = seen("OPTIONS", Some("http://a"), Some("PUT"), &["x-amz-meta-a"]);
        let run = |f: Fault| {
            let (mut status, mut h, mut body) = (StatusCode::OK, allowed_preflight(), Bytes::new());
            apply(f, &s, None, &mut status, &mut h, &mut body, "/b/k");
            (status, h)
        };
        assert!(!run(Fault::AcaoDropped).1.contains_key(ACAO));
        assert_eq!(run(Fault::AcamMissingMethod).1[ACAM], "GET");
        assert_eq!(run(Fault::AcahMissingHeader).1[ACAH], "");
        assert_eq!(run(Fault::PreflightDeniesAllowed).0, StatusCode::FORBIDDEN);
        assert_eq!(
            run(Fault::PreflightRedirect).0,
            StatusCode::TEMPORARY_REDIRECT
        );
        assert_eq!(
            run(Fault::DuplicatedCorsHeaders)
                .1
                .get_all(ACAO)
                .iter()
                .count(),
            2
        );
        assert_eq!(
            run(Fault::AcaoTwoOrigins).1[ACAO],
            "http://a, http://other.example.org"
        );
        let reflected = run(Fault::ReflectWithCredentials).1;
        assert_eq!(reflected[ACAO], "http://a");
        assert_eq!(reflected["access-control-allow-credentials"], "true");
        let (mut status, mut h, mut body) = (StatusCode::OK, allowed_preflight(), Bytes::new());
        set(&mut h, "etag", "\"abc\"");
        apply(
            Fault::ExposeAllHeaders,
            &s,
            None,
            &mut status,
            &mut h,
            &mut body,
            "/b/k",
        );
        assert_eq!(h["access-control-expose-headers"], "etag");
        // Case-sensitive header matching refuses a name that only matches ignoring case.
        let rules = CorsConfiguration::from_xml("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>X-Amz-Meta-A</AllowedHeader></CORSRule></CORSConfiguration>").unwrap();
        let (mut status, mut h, mut body) = (StatusCode::OK, allowed_preflight(), Bytes::new());
        apply(
            Fault::AcahCaseSensitive,
            &s,
            Some(&rules),
            &mut status,
            &mut h,
            &mut body,
            "/b/k",
        );
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!h.contains_key(ACAO));
    }

    #[test]
    fn repair_adds_vary_origin_once() {
        let mut h = HeaderMap::new();
        repair(&mut h);
        assert_eq!(h["vary"], "Origin");
        set(&mut h, "vary", "Accept-Encoding");
        repair(&mut h);
        assert_eq!(h["vary"], "Accept-Encoding, Origin");
        repair(&mut h);
        assert_eq!(h["vary"], "Accept-Encoding, Origin");
    }
}
