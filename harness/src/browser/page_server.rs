//! Serves the pages of `fixtures/pages/` from three origins on loopback: `a` and `a2` share a
//! site (two ports of 127.0.0.1), `b` is another site (127.0.0.2); and writes them to a
//! temporary directory, for the `file` origin (a page opened as a local file).
//!
//! Browsers partition their HTTP cache by top-level site, so a cache collision between two
//! origins only shows between `a` and `a2`.

use crate::model::vocabulary::{FILE_ORIGIN, OPAQUE_ORIGIN};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The page servers of one run; dropping it stops them and removes the file pages.
pub struct PageServer {
    origins: BTreeMap<&'static str, String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Where the pages are as local files.
    file_dir: PathBuf,
}

impl Drop for PageServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        let _ = std::fs::remove_dir_all(&self.file_dir);
    }
}

/// A fresh directory for one run's file pages (process id and a counter keep runs apart).
fn file_dir() -> Result<PathBuf, String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("corsprobe-pages-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

impl PageServer {
    /// Loads the pages from `dir` and listens on the three origins.
    pub async fn start(dir: &Path) -> Result<Self, String> {
        let mut files: BTreeMap<String, (String, Bytes)> = BTreeMap::new();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: cannot read the pages: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = match path.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                _ => continue,
            };
            let body = std::fs::read(&path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            files.insert(format!("/{name}"), (kind.to_string(), Bytes::from(body)));
        }
        if !files.contains_key("/probe.html") || !files.contains_key("/corsprobe.js") {
            return Err(format!(
                "{}: needs probe.html and corsprobe.js",
                dir.display()
            ));
        }
        let file_dir = file_dir()?;
        for (path, (_, body)) in &files {
            let at = file_dir.join(path.trim_start_matches('/'));
            std::fs::write(&at, body).map_err(|e| format!("{}: {e}", at.display()))?;
        }
        let files = Arc::new(files);
        let mut origins = BTreeMap::new();
        let mut tasks = Vec::new();
        for (name, ip) in crate::model::vocabulary::PAGE_ORIGINS {
            let listener = tokio::net::TcpListener::bind((ip, 0))
                .await
                .map_err(|e| format!("page server on {ip}: {e}"))?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            origins.insert(name, format!("http://{ip}:{port}"));
            let files = files.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let files = files.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let files = files.clone();
                            async move { Ok::<_, Infallible>(serve(&files, req.uri().path())) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }));
        }
        Ok(Self {
            origins,
            tasks,
            file_dir,
        })
    }

    /// The serialized origin of a named page origin (`a`, `a2`, `b`; `null` for `file`).
    pub fn origin(&self, name: &str) -> Option<&str> {
        if name == FILE_ORIGIN {
            return Some(OPAQUE_ORIGIN);
        }
        self.origins.get(name).map(String::as_str)
    }

    /// The page every browser step starts from, on a named origin.
    pub fn page(&self, name: &str) -> Option<String> {
        if name == FILE_ORIGIN {
            return url::Url::from_file_path(self.file_dir.join("probe.html"))
                .ok()
                .map(String::from);
        }
        self.origins.get(name).map(|o| format!("{o}/probe.html"))
    }

    /// Template variables for rules and steps: `page_a`, `page_a2`, `page_b`.
    pub fn variables(&self) -> Vec<(String, String)> {
        self.origins
            .iter()
            .map(|(n, o)| (format!("page_{n}"), o.clone()))
            .collect()
    }
}

fn serve(files: &BTreeMap<String, (String, Bytes)>, path: &str) -> Response<Full<Bytes>> {
    let path = if path == "/" { "/probe.html" } else { path };
    let (status, kind, body) = match files.get(path) {
        Some((kind, body)) => (StatusCode::OK, kind.as_str(), body.clone()),
        // The browser asks every origin for /favicon.ico; a plain 404 keeps it quiet.
        None => (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found"),
        ),
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert("content-type", kind.parse().expect("static header value"));
    // Pages must never come from the cache: each step starts from the page as served.
    h.insert(
        "cache-control",
        "no-store".parse().expect("static header value"),
    );
    r
}
