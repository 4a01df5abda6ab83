//! A pass-through on loopback in front of a real store that logs every request it forwards.
//!
//! The browser mode counts what reached the store through it (a cache hit never arrives); the
//! fault proxy is the same pass-through with a rewrite of each response.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The request as the pass-through received it.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// HTTP method.
    pub method: String,
    /// Path and query, as sent.
    pub path_and_query: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Bytes,
}

impl Forwarded {
    /// A request header's value, when it is there and text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

/// Changes a store's response before the client sees it.
pub type Rewrite =
    Arc<dyn Fn(&Forwarded, &mut StatusCode, &mut HeaderMap, &mut Bytes) + Send + Sync>;

/// One request that reached the store, with the answer the client got.
#[derive(Debug, Clone)]
pub struct Hit {
    /// HTTP method.
    pub method: String,
    /// `Host` header as sent.
    pub host: String,
    /// Path without the query.
    pub path: String,
    /// The whole URL path and query (secrets inside: redact before recording).
    pub path_and_query: String,
    /// Request headers in order, lower-case names.
    pub request_headers: Vec<(String, String)>,
    /// Status the client got.
    pub status: u16,
    /// Response headers the client got.
    pub response_headers: Vec<(String, String)>,
    /// The first [`BODY_LIMIT`](crate::model::exchange::BODY_LIMIT) body bytes the client got.
    pub body: Bytes,
    /// The size of the whole body the client got.
    pub body_len: usize,
    /// Time the store took.
    pub duration_ms: f64,
}

impl Hit {
    /// True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
    pub fn is_preflight(&self) -> bool {
        let has = |n: &str| self.request_headers.iter().any(|(k, _)| k == n);
        self.method == "OPTIONS" && has("origin") && has("access-control-request-method")
    }
}

/// A running pass-through; dropping it stops accepting connections.
pub struct Passthrough {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Passthrough {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn headers_list(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

impl Passthrough {
    /// Starts on 127.0.0.1 (a free port), forwarding to `upstream`, rewriting with `rewrite`.
    pub async fn start(upstream: reqwest::Url, rewrite: Option<Rewrite>) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("pass-through: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        crate::tls::install_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let log: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let shared = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, upstream, log, rewrite) = (
                    client.clone(),
                    upstream.clone(),
                    shared.clone(),
                    rewrite.clone(),
                );
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        handle(
                            req,
                            client.clone(),
                            upstream.clone(),
                            log.clone(),
                            rewrite.clone(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, log, task })
    }

    /// The pass-through's base URL.
    pub fn url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}", self.addr))
            .expect("socket address is a valid URL")
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.log.lock().expect("log lock").len()
    }

    /// The requests forwarded since the first `from` ones.
    pub fn hits_since(&self, from: usize) -> Vec<Hit> {
        let log = self.log.lock().expect("log lock");
        log.get(from..).map(<[Hit]>::to_vec).unwrap_or_default()
    }
}

/// A short text answer of the pass-through's own.
pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_string())));
    *r.status_mut() = status;
    r
}

/// Headers the HTTP library frames itself, and a proxy's own; every other one passes
/// unchanged (Host included, because the client signed it).
fn framing(name: &str) -> bool {
    matches!(
        name,
        "content-length" | "transfer-encoding" | "connection" | "proxy-connection"
    )
}

async fn handle(
    req: Request<Incoming>,
    client: reqwest::Client,
    upstream: reqwest::Url,
    log: Arc<Mutex<Vec<Hit>>>,
    rewrite: Option<Rewrite>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                &format!("pass-through: body: {e}"),
            ));
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = match upstream.join(path_and_query) {
        Ok(u) => u,
        Err(e) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                &format!("pass-through: {e}"),
            ));
        }
    };
    Ok(relay(parts, body, url, &client, Some(&log), rewrite.as_ref()).await)
}

/// Sends one received request on to `url` with its headers (Host included) and body, and
/// answers with what came back, changed by `rewrite`; it goes into `log` when one is given.
pub(crate) async fn relay(
    parts: hyper::http::request::Parts,
    body: Bytes,
    url: reqwest::Url,
    client: &reqwest::Client,
    log: Option<&Mutex<Vec<Hit>>>,
    rewrite: Option<&Rewrite>,
) -> Response<Full<Bytes>> {
    let seen = Forwarded {
        method: parts.method.as_str().to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string(),
        headers: parts.headers.clone(),
        body,
    };
    let started = Instant::now();
    let mut forward = client.request(parts.method.clone(), url);
    for (name, value) in &parts.headers {
        if !framing(name.as_str()) {
            forward = forward.header(name, value);
        }
    }
    let answer = match forward.body(seen.body.clone()).send().await {
        Ok(a) => a,
        Err(e) => {
            // Without the URL: a presigned one is a working credential.
            let e = e.without_url();
            return plain(
                StatusCode::BAD_GATEWAY,
                &format!("pass-through: upstream: {e}"),
            );
        }
    };
    let mut status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !framing(name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut body = answer.bytes().await.unwrap_or_default();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(rewrite) = rewrite {
        rewrite(&seen, &mut status, &mut headers, &mut body);
    }
    if let Some(log) = log {
        log.lock().expect("log lock").push(Hit {
            method: seen.method.clone(),
            host: seen.header("host").unwrap_or_default(),
            path: parts.uri.path().to_string(),
            path_and_query: seen.path_and_query.clone(),
            request_headers: headers_list(&seen.headers),
            status: status.as_u16(),
            response_headers: headers_list(&headers),
            // The log keeps what a record keeps; the client still gets every byte.
            body: body.slice(..body.len().min(crate::model::exchange::BODY_LIMIT)),
            body_len: body.len(),
            duration_ms,
        });
    }
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preflight_needs_origin_and_a_requested_method() {
        let hit = |method: &str, headers: &[&str]| Hit {
            method: method.into(),
            host: String::new(),
            path: "/b/k".into(),
            path_and_query: "/b/k".into(),
            request_headers: headers
                .iter()
                .map(|h| (h.to_string(), "x".into()))
                .collect(),
            status: 200,
            response_headers: vec![],
            body: Bytes::new(),
            body_len: 0,
            duration_ms: 0.0,
        };
        assert!(hit("OPTIONS", &["origin", "access-control-request-method"]).is_preflight());
        assert!(!hit("OPTIONS", &["origin"]).is_preflight());
        assert!(!hit("GET", &["origin", "access-control-request-method"]).is_preflight());
    }
}
