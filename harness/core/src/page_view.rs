//! What a page in a real browser saw when it talked to the store, and what reached the store.

use serde::{Deserialize, Serialize};

/// How a page's operation ended, as the page itself can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageOutcome {
    /// The page got the response: status, body and the exposed headers.
    Loaded,
    /// A network error: a CORS failure looks like this, whatever the store answered.
    NetworkError,
    /// A `no-cors` fetch: a response the page cannot look into.
    Opaque,
    /// An `<img>` loaded.
    ImageLoaded,
    /// An `<img>` failed.
    ImageError,
    /// The operation did not settle within its time limit.
    Timeout,
    /// The page script itself failed (a harness defect, not a store behaviour).
    PageError,
}

impl PageOutcome {
    /// The outcome's name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            PageOutcome::Loaded => "loaded",
            PageOutcome::NetworkError => "network-error",
            PageOutcome::Opaque => "opaque",
            PageOutcome::ImageLoaded => "image-loaded",
            PageOutcome::ImageError => "image-error",
            PageOutcome::Timeout => "timeout",
            PageOutcome::PageError => "page-error",
        }
    }
}

/// One browser step: the page's view beside the store's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageView {
    /// The step's name.
    pub step: String,
    /// The page's origin.
    pub origin: String,
    /// How the page sent it: `xhr`, `fetch`, `no-cors`, `form`, `img`.
    pub via: String,
    /// Method the page used.
    pub method: String,
    /// The URL the page used, redacted.
    pub url: String,
    /// How it ended for the page.
    pub outcome: PageOutcome,
    /// The status the page could read (0 when it could not).
    pub status: u16,
    /// The body the page read, redacted and cut at 4 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Response headers the page could read, names lower-case.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The error the page got, in the browser's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The browser's own reason for blocking (Chromium's DevTools `corsError`), when it gives one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cors_errors: Vec<String>,
    /// Requests for this URL that reached the store, preflights not counted.
    pub store_requests: usize,
    /// Preflights for this URL that reached the store.
    pub store_preflights: usize,
    /// The status the store answered the last request (preflights aside) that reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_status: Option<u16>,
    /// The `Origin` the browser sent with the first request of the step that reached the store
    /// (`null` from a file page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_origin: Option<String>,
    /// The `Access-Control-Allow-Origin` of the store's answer to the last request of the step
    /// that reached it (a refused preflight's, when no request followed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_allow_origin: Option<String>,
    /// Time inside the page, in milliseconds.
    pub page_ms: f64,
    /// Wall time of the step (navigation included), in milliseconds.
    pub step_ms: f64,
    /// Time the step waited for the browser while another scenario's step held it, in
    /// milliseconds: not part of this scenario's own cost.
    #[serde(default)]
    pub wait_ms: f64,
}

impl PageView {
    /// True when the page could read a response header.
    pub fn can_read(&self, header: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(header))
    }

    /// One line for reports: outcome, status, store counts and the browser's reason.
    pub fn summary(&self) -> String {
        let mut s = self.outcome.name().to_string();
        if self.status != 0 {
            s.push_str(&format!(" {}", self.status));
        }
        s.push_str(&format!(
            "; store saw {} request(s), {} preflight(s)",
            self.store_requests, self.store_preflights
        ));
        if let Some(status) = self.store_status {
            s.push_str(&format!(", answered {status}"));
        }
        if !self.cors_errors.is_empty() {
            s.push_str(&format!("; browser says {}", self.cors_errors.join(", ")));
        }
        s
    }
}
