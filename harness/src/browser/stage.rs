//! The browser stage of a run: one browser session, the page origins, and a recording
//! pass-through in front of the store, so each page step is judged by what the page saw and by
//! what reached the store.

use crate::browser::driver::{Browser, PageResult, ViaProxy};

use crate::model::result::BrowserInfo;

use crate::browser::page_server::PageServer;
use crate::model::exchange::{Exchange, Phase, RecordedRequest, RecordedResponse};
use crate::model::page_view::{PageOutcome, PageView};
use crate::model::place::{Place, Resolved};
use crate::model::scenario::{Step, Via};
use crate::model::vocabulary::Addressing;
use crate::model::vocabulary::BrowserKind;
use crate::proxy::forward::{ForwardProxy, Route};
use crate::proxy::passthrough::Hit;
use crate::store::client::{Client, Request};
use crate::store::post_policy::{Condition, form_fields};
use crate::tls::authority::Authority;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a page operation may take before it is an ERROR, in milliseconds.
const PAGE_LIMIT_MS: u64 = 15_000;

/// A browser with its pages and its view of the store.
pub struct Stage {
    browser: Browser,
    pages: PageServer,
    recorder: ForwardProxy,
    client: Client,
    /// One page step at a time: the session, its DevTools log and the recorder's count are
    /// the step's own while it holds this; a scenario that waits does so without it.
    turn: tokio::sync::Mutex<()>,
}

/// Why WebKit sits out an https target: measured with WebKitGTK 2.50, neither the WebDriver
/// `proxy` capability nor MiniBrowser's `--proxy` sends its https loads to the proxy (no
/// CONNECT arrives), so they would be neither recorded nor kept to the target's hosts.
pub const WEBKIT_HTTPS: &str = "WebKit (MiniBrowser) does not send https loads through corsprobe's proxy, so its page steps could be neither recorded nor kept to the target's hosts: run an https target with --browser chromium or --browser firefox";

impl Stage {
    /// Starts the page origins, the browsers' proxy (which lets them reach the target and the
    /// pages, nothing else) and the browser.
    pub async fn start(
        kind: BrowserKind,
        client: &Client,
        pages_dir: &Path,
    ) -> Result<Self, String> {
        let target = client.target();
        if kind == BrowserKind::Webkit && target.endpoint.scheme() == "https" {
            return Err(WEBKIT_HTTPS.to_string());
        }
        let pages = PageServer::start(pages_dir).await?;
        let mut routes = vec![Route::store(
            &target.endpoint,
            target.addressing == Addressing::Virtual,
        )];
        for (_, origin) in pages.variables() {
            let origin = reqwest::Url::parse(&origin).map_err(|e| format!("{origin}: {e}"))?;
            routes.push(Route::page(&origin));
        }
        let authority = Arc::new(Authority::new(&format!("{} {}", kind.name(), target.name))?);
        let spki_sha256 = authority.leaf_spki_sha256();
        let recorder = ForwardProxy::start(routes, authority, client.transport()).await?;
        let via = ViaProxy {
            port: recorder.port(),
            spki_sha256,
        };
        let browser = Browser::start(kind, Some(&via)).await?;
        let mut own = Client::new(target, Duration::from_secs(30))?;
        own.sign_like(client);
        Ok(Self {
            browser,
            pages,
            recorder,
            client: own,
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Which browser.
    pub fn kind(&self) -> BrowserKind {
        self.browser.kind
    }

    /// The browser as a run record names it.
    pub fn info(&self) -> BrowserInfo {
        self.browser.info()
    }

    /// Values for `{{page_a}}`, `{{page_a2}}`, `{{page_b}}` in rules.
    pub fn origins(&self) -> Vec<(String, String)> {
        self.pages.variables()
    }

    /// Ends the browser session and its driver.
    pub async fn close(self) {
        self.browser.close().await;
    }

    /// Runs a page step: the page sends the request, the pass-through counts what arrives.
    ///
    /// `urls` holds the URLs of earlier steps of the scenario (for `same_url_as`); `index`
    /// makes this step's presigned URL distinct from every other step's.
    pub async fn run_step(
        &self,
        step: &Step,
        place: &Place,
        vars: &BTreeMap<&str, String>,
        urls: &mut HashMap<String, reqwest::Url>,
        index: usize,
    ) -> Result<(PageView, Vec<Exchange>), String> {
        let page = step
            .page
            .as_ref()
            .expect("validated: page steps have a page");
        if page.pause_ms > 0 {
            tokio::time::sleep(Duration::from_millis(page.pause_ms)).await;
        }
        let asked = Instant::now();
        let _turn = self.turn.lock().await;
        let started = Instant::now();
        let waited = started - asked;
        let Resolved {
            bucket,
            key,
            headers,
            body,
            query,
        } = Resolved::of(step, place, vars);
        let mut form = serde_json::Value::Null;
        let url = match &page.same_url_as {
            Some(earlier) => urls
                .get(earlier)
                .cloned()
                .ok_or_else(|| format!("step `{earlier}` made no URL"))?,
            None if page.via == Via::Form => {
                let key = key.clone().unwrap_or_else(|| "upload.txt".to_string());
                let now = self.client.now();
                let signed = form_fields(
                    self.client.target(),
                    &bucket,
                    &key,
                    now,
                    step.form.unwrap_or_default(),
                    &[Condition::ContentLengthRange(0, 1 << 20)],
                );
                let file_name = key.rsplit('/').next().unwrap_or(&key).to_string();
                form = serde_json::json!({
                    "fields": signed.fields,
                    "file": body.clone().unwrap_or_default(),
                    "file_name": file_name,
                    "content_type": page.content_type,
                });
                self.client.url(&bucket, None, None)
            }
            None => {
                let mut req = Request {
                    method: step.method.clone(),
                    url: self.client.url(&bucket, key.as_deref(), query.as_deref()),
                    // The page sends these; a presigned URL signs the user metadata among them.
                    headers: headers.clone(),
                    body: vec![],
                };
                self.client
                    .sign_valid_for(&mut req, step.sign, 300 + index as u64)
                    .map_err(|e| format!("cannot sign: {e}"))?;
                req.url
            }
        };
        urls.insert(step.name.clone(), url.clone());
        let origin = self
            .pages
            .origin(&page.origin)
            .expect("validated: a known page origin")
            .to_string();
        let page_url = self
            .pages
            .page(&page.origin)
            .expect("validated: a known page origin");
        let page_body = unit_and_size((step.body.as_deref(), step.body_size), vars, body);
        let op = serde_json::json!({
            "via": page.via.name(),
            "method": step.method,
            "url": url.as_str(),
            "headers": headers,
            "body": if page.via == Via::Form { None } else { page_body.0 },
            "body_size": page_body.1,
            "credentials": page.credentials,
            "cache": page.cache,
            "timeout_ms": PAGE_LIMIT_MS,
            "form": form,
        });
        let mark = self.recorder.requests();
        let refused = self.recorder.refusals().len();
        let seen = self.browser.run(&page_url, op).await?;
        let hits: Vec<Hit> = self
            .recorder
            .hits_since(mark)
            .into_iter()
            .filter(|h| same_resource(h, &url))
            .collect();
        let mut view = self.view(step, &origin, &url, seen, &hits, started);
        view.wait_ms = (waited.as_secs_f64() * 1000.0).round();
        // A destination the proxy refused explains the page's network error.
        let refusals: Vec<String> = self.recorder.refusals()[refused..]
            .iter()
            .filter(|r| !crate::browser::driver::background(&r.destination))
            .map(ToString::to_string)
            .collect();
        if !refusals.is_empty() {
            let joined = refusals.join("; ");
            view.error = Some(match view.error.take() {
                Some(e) => format!("{e}; {joined}"),
                None => joined,
            });
        }
        let exchanges = hits.iter().map(|h| self.exchange(&step.name, h)).collect();
        Ok((view, exchanges))
    }

    fn view(
        &self,
        step: &Step,
        origin: &str,
        url: &reqwest::Url,
        seen: PageResult,
        hits: &[Hit],
        started: Instant,
    ) -> PageView {
        let redactor = self.client.redactor();
        let outcome = serde_json::from_value(serde_json::Value::String(seen.outcome.clone()))
            .unwrap_or(PageOutcome::PageError);
        let error = match (&seen.error_name, &seen.error) {
            (_, Some(e)) => Some(redactor.text(e)),
            (Some(n), None) => Some(n.clone()),
            (None, None) if outcome == PageOutcome::PageError => {
                Some(format!("unknown outcome `{}`", seen.outcome))
            }
            _ => None,
        };
        PageView {
            step: step.name.clone(),
            origin: origin.to_string(),
            via: step
                .page
                .as_ref()
                .map(|p| p.via.name())
                .unwrap_or("")
                .to_string(),
            method: step.method.clone(),
            url: redactor.url(url.as_str()),
            outcome,
            status: seen.status,
            body: seen.body.as_deref().map(|b| redactor.text(b)),
            headers: redactor.headers(seen.headers.iter().map(|(n, v)| (n, v))),
            error,
            cors_errors: seen.cors_errors,
            store_requests: hits.iter().filter(|h| !h.is_preflight()).count(),
            store_preflights: hits.iter().filter(|h| h.is_preflight()).count(),
            store_status: hits
                .iter()
                .rev()
                .find(|h| !h.is_preflight())
                .map(|h| h.status),
            sent_origin: hits
                .first()
                .and_then(|h| header(&h.request_headers, "origin")),
            store_allow_origin: hits
                .last()
                .and_then(|h| header(&h.response_headers, "access-control-allow-origin")),
            page_ms: seen.ms,
            step_ms: (started.elapsed().as_secs_f64() * 1000.0).round(),
            wait_ms: 0.0,
        }
    }

    /// A request that reached the store, recorded like the engine's own exchanges (redacted).
    fn exchange(&self, step: &str, hit: &Hit) -> Exchange {
        let redactor = self.client.redactor();
        let redact = |list: &[(String, String)]| redactor.headers(list.iter().map(|(n, v)| (n, v)));
        Exchange {
            phase: Phase::Step,
            label: format!("{step} (from the page)"),
            request: RecordedRequest {
                method: hit.method.clone(),
                url: redactor.url(&format!(
                    "{}://{}{}",
                    self.client.target().endpoint.scheme(),
                    hit.host,
                    hit.path_and_query
                )),
                headers: redact(&hit.request_headers),
                body_bytes: 0,
            },
            response: Some(RecordedResponse {
                status: hit.status,
                headers: redact(&hit.response_headers),
                body: redactor.body(&hit.body),
                body_cut_from: (hit.body_len > crate::model::exchange::BODY_LIMIT)
                    .then_some(hit.body_len as u64),
                body_sha256: None,
            }),
            error: None,
            duration_ms: (hit.duration_ms * 1000.0).round() / 1000.0,
        }
    }
}

/// A header's value, by lower-case name.
fn header(list: &[(String, String)], name: &str) -> Option<String> {
    list.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// True when a request that reached the store was for the step's URL (query aside).
fn same_resource(hit: &Hit, url: &reqwest::Url) -> bool {
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    };
    hit.host.eq_ignore_ascii_case(&host) && hit.path == url.path()
}

/// The body as the page gets it: a repeated body as its unit and size when the page's
/// `repeat` and `slice` make the same text (ASCII), the whole body otherwise.
fn unit_and_size(
    (raw, size): (Option<&str>, Option<usize>),
    vars: &BTreeMap<&str, String>,
    whole: Option<String>,
) -> (Option<String>, Option<usize>) {
    if let (Some(size), Some(raw), Some(whole)) = (size, raw, &whole) {
        let unit = crate::model::scenario::expand(raw, vars);
        if unit.is_ascii() && crate::model::scenario::sized(&unit, Some(size)) == *whole {
            return (Some(unit), Some(size));
        }
    }
    (whole, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::{expand, sized};

    /// What `corsprobe.js` does with a unit and a size, for ASCII text.
    fn page_repeat(unit: &str, size: usize) -> String {
        unit.repeat(size.div_ceil(unit.len()))[..size].to_string()
    }

    #[test]
    fn a_repeated_body_reaches_the_page_as_its_unit_only_when_the_page_rebuilds_it_exactly() {
        let vars: BTreeMap<&str, String> = [("n", "7".to_string())].into();
        // As `Resolved::of` makes it: sized, then templates filled in.
        let whole = |raw: &str, size: Option<usize>| Some(expand(&sized(raw, size), &vars));
        let ascii = ("corsprobe part;", Some(100));
        let (unit, size) = unit_and_size((Some(ascii.0), ascii.1), &vars, whole(ascii.0, ascii.1));
        assert_eq!(
            (unit.as_deref(), size),
            (Some("corsprobe part;"), Some(100))
        );
        assert_eq!(
            Some(page_repeat("corsprobe part;", 100)),
            whole(ascii.0, ascii.1)
        );
        // Templates are filled in after sizing, so the page could not rebuild the text.
        let filled = whole("part {{n}};", Some(100));
        let sent = unit_and_size((Some("part {{n}};"), Some(100)), &vars, filled.clone());
        assert_eq!(sent, (filled, None));
        let cut = whole("ab{{n}}", Some(3));
        assert_eq!(
            unit_and_size((Some("ab{{n}}"), Some(3)), &vars, cut.clone()),
            (cut, None)
        );
        // JavaScript counts UTF-16 units where Rust counts characters.
        let wide = whole("\u{1F600}x", Some(5));
        assert_eq!(
            unit_and_size((Some("\u{1F600}x"), Some(5)), &vars, wide.clone()),
            (wide, None)
        );
        let plain = Some("short".to_string());
        assert_eq!(
            unit_and_size((Some("short"), None), &vars, plain.clone()),
            (plain, None)
        );
    }

    #[test]
    fn requests_count_for_the_steps_url_only() {
        let hit = |host: &str, path: &str| Hit {
            method: "GET".into(),
            host: host.into(),
            path: path.into(),
            path_and_query: path.into(),
            request_headers: vec![],
            status: 200,
            response_headers: vec![],
            body: bytes::Bytes::new(),
            body_len: 0,
            duration_ms: 0.0,
        };
        let url =
            reqwest::Url::parse("http://127.0.0.1:9000/b/test.txt?X-Amz-Signature=x").unwrap();
        assert!(same_resource(&hit("127.0.0.1:9000", "/b/test.txt"), &url));
        assert!(!same_resource(&hit("127.0.0.1:9000", "/b/other.txt"), &url));
        assert!(!same_resource(
            &hit("b.s3.localhost:9000", "/b/test.txt"),
            &url
        ));
    }
}
