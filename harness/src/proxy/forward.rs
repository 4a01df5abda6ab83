//! The browsers' proxy: every request a browser makes goes to it, wherever the target is.
//!
//! It forwards to the target's hosts and the page origins only and refuses every other
//! destination, so a browser reaches nothing else, remote target or not. A `CONNECT` tunnel is
//! opened with a certificate from the run's own authority for the host asked for, and its
//! requests go on to the real endpoint with certificate verification on, so each page step
//! still tells what reached the store, and presigned URLs keep the vendor's host.

use crate::proxy::passthrough::{Hit, plain, relay};
use crate::tls::authority::Authority;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A destination the browsers may reach, and how the proxy reaches it in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Host name or address, lower case, as the browser names it.
    pub host: String,
    /// Whether every name under `host` is covered too (virtual-host buckets).
    pub subdomains: bool,
    /// Port, as the browser names it.
    pub port: u16,
    /// `http` or `https`: how the proxy speaks to the destination, whatever the browser used.
    pub upstream_scheme: &'static str,
    /// Whether requests there reached the store (and so count for a page step).
    pub store: bool,
}

impl Route {
    /// The routes of an endpoint: its host and, for virtual-host addressing, every bucket's.
    pub fn store(endpoint: &reqwest::Url, virtual_host: bool) -> Route {
        Route {
            host: endpoint.host_str().unwrap_or("").to_ascii_lowercase(),
            subdomains: virtual_host,
            port: endpoint.port_or_known_default().unwrap_or(80),
            upstream_scheme: if endpoint.scheme() == "https" {
                "https"
            } else {
                "http"
            },
            store: true,
        }
    }

    /// The route of a page origin served over plain HTTP on loopback.
    pub fn page(origin: &reqwest::Url) -> Route {
        Route {
            host: origin.host_str().unwrap_or("").to_ascii_lowercase(),
            subdomains: false,
            port: origin.port_or_known_default().unwrap_or(80),
            upstream_scheme: "http",
            store: false,
        }
    }

    fn covers(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        port == self.port
            && (host == self.host
                || (self.subdomains
                    && host
                        .strip_suffix(&self.host)
                        .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)))
    }
}

/// A destination the proxy would not forward to.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// `CONNECT` or the request's method.
    pub method: String,
    /// The host and port asked for (never a path or query: they may carry a signature).
    pub destination: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the proxy refused {} {}: neither the target nor a page origin",
            self.method, self.destination
        )
    }
}

struct State {
    routes: Vec<Route>,
    authority: Arc<Authority>,
    client: reqwest::Client,
    log: Mutex<Vec<Hit>>,
    refusals: Mutex<Vec<Refusal>>,
}

impl State {
    fn route(&self, host: &str, port: u16) -> Option<Route> {
        self.routes.iter().find(|r| r.covers(host, port)).cloned()
    }

    fn refuse(&self, method: &str, host: &str, port: u16) -> Response<Full<Bytes>> {
        let refusal = Refusal {
            method: method.to_string(),
            destination: format!("{host}:{port}"),
        };
        let text = refusal.to_string();
        self.refusals.lock().expect("refusals lock").push(refusal);
        plain(StatusCode::FORBIDDEN, &text)
    }
}

/// A running proxy on loopback; dropping it stops accepting connections.
pub struct ForwardProxy {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ForwardProxy {
    /// Starts on 127.0.0.1 (a free port); `client` reaches the routes (it holds the target's
    /// CA and resolves `*.localhost` to loopback).
    pub async fn start(
        routes: Vec<Route>,
        authority: Arc<Authority>,
        client: reqwest::Client,
    ) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = Arc::new(State {
            routes,
            authority,
            client,
            log: Mutex::default(),
            refusals: Mutex::default(),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(outside(req, state).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Requests that reached the store so far.
    pub fn requests(&self) -> usize {
        self.state.log.lock().expect("log lock").len()
    }

    /// The store requests since the first `from` ones.
    pub fn hits_since(&self, from: usize) -> Vec<Hit> {
        let log = self.state.log.lock().expect("log lock");
        log.get(from..).map(<[Hit]>::to_vec).unwrap_or_default()
    }

    /// Every destination refused so far.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.state.refusals.lock().expect("refusals lock").clone()
    }
}

/// A request to the proxy itself: a `CONNECT`, or a plain-HTTP request in absolute form.
async fn outside(req: Request<Incoming>, state: Arc<State>) -> Response<Full<Bytes>> {
    let host = req.uri().host().unwrap_or("").to_string();
    if req.method() == Method::CONNECT {
        let port = req.uri().port_u16().unwrap_or(443);
        let Some(route) = state.route(&host, port) else {
            return state.refuse("CONNECT", &host, port);
        };
        let config = match state.authority.server_config(std::slice::from_ref(&host)) {
            Ok(c) => c,
            Err(e) => return plain(StatusCode::BAD_GATEWAY, &format!("proxy: {e}")),
        };
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            let Ok(tls) = acceptor
                .accept(hyper_util::rt::TokioIo::new(upgraded))
                .await
            else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                let (state, route, host) = (state.clone(), route.clone(), host.clone());
                async move { Ok::<_, Infallible>(inside(req, &state, &route, &host).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
        return Response::new(Full::new(Bytes::new()));
    }
    let port = req.uri().port_u16().unwrap_or(80);
    if host.is_empty() {
        return plain(
            StatusCode::BAD_REQUEST,
            "proxy: a request to a proxy names its destination in full",
        );
    }
    let Some(route) = state.route(&host, port) else {
        return state.refuse(req.method().as_str(), &host, port);
    };
    inside(req, &state, &route, &host).await
}

/// A request on its way to an allowed destination, from a tunnel or in absolute form.
async fn inside(
    req: Request<Incoming>,
    state: &State,
    route: &Route,
    host: &str,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, &format!("proxy: body: {e}")),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!(
        "{}://{}:{}{path_and_query}",
        route.upstream_scheme,
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        },
        route.port
    );
    let Ok(url) = reqwest::Url::parse(&url) else {
        return plain(StatusCode::BAD_REQUEST, "proxy: not a URL");
    };
    let log = route.store.then_some(&state.log);
    relay(parts, body, url, &state.client, log, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_covers_its_host_and_port_and_buckets_only_when_virtual() {
        let endpoint = reqwest::Url::parse("https://s3.vendor.localhost:7443").unwrap();
        let vhost = Route::store(&endpoint, true);
        assert!(vhost.covers("s3.vendor.localhost", 7443));
        assert!(vhost.covers("Bucket-1.S3.Vendor.Localhost", 7443));
        assert!(!vhost.covers("bucket.s3.vendor.localhost", 443));
        assert!(!vhost.covers("evils3.vendor.localhost", 7443));
        assert!(!vhost.covers(".s3.vendor.localhost", 7443));
        assert!(!vhost.covers("s3.vendor.localhost.example", 7443));
        let path = Route::store(&endpoint, false);
        assert!(!path.covers("bucket.s3.vendor.localhost", 7443));
        assert_eq!(path.upstream_scheme, "https");
        let aws = Route::store(
            &reqwest::Url::parse("https://s3.amazonaws.com").unwrap(),
            true,
        );
        assert_eq!(aws.port, 443);
        let page = Route::page(&reqwest::Url::parse("http://127.0.0.2:4000").unwrap());
        assert!(page.covers("127.0.0.2", 4000) && !page.store);
        assert!(!page.covers("127.0.0.1", 4000));
    }

    #[test]
    fn a_refusal_names_the_destination_but_no_path() {
        let r = Refusal {
            method: "GET".into(),
            destination: "198.51.100.7:80".into(),
        };
        assert_eq!(
            r.to_string(),
            "the proxy refused GET 198.51.100.7:80: neither the target nor a page origin"
        );
    }
}
