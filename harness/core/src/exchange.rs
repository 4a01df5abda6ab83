//! One request and its response as the suite recorded them (already redacted).

use serde::{Deserialize, Serialize};

/// Where in a scenario an exchange happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Creating the bucket, its objects and its CORS rules.
    Setup,
    /// A step of the scenario, judged by its checks.
    Step,
    /// Removing what setup and the steps created.
    Teardown,
}

/// The request as sent, with secrets redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Full URL, secret query parameters redacted.
    pub url: String,
    /// Header lines in the order sent, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Size of the request body in bytes.
    pub body_bytes: usize,
}

impl RecordedRequest {
    /// A header's value by case-insensitive name, the first line if several.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path and query of the URL (`/` when it has none): what a request line shows.
    pub fn path_and_query(&self) -> &str {
        self.url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/")
    }
}

/// The response as received, with secrets redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RecordedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header lines in the order received, lower-case names, duplicates kept.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), cut at [`BODY_LIMIT`] bytes.
    pub body: String,
    /// The size of the whole body when it was longer than [`BODY_LIMIT`] and so was cut; the
    /// rest was read and counted, never kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_cut_from: Option<u64>,
    /// The SHA-256 of the whole body (lower-case hex) when it was cut, so a long object can
    /// still be compared with what was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
}

/// How much of a response body is kept: enough for any error document and every check.
pub const BODY_LIMIT: usize = 16 * 1024;

impl RecordedResponse {
    /// A whole response from its parts, as tests and replays write one.
    pub fn new(status: u16, headers: &[(&str, &str)], body: &str) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
            body_cut_from: None,
            body_sha256: None,
        }
    }

    /// Every value of a header, by case-insensitive name, in order received.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header's value as Fetch reads it: all lines joined by ", ", or None when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let values = self.header_values(name);
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }

    /// The body as a report shows it, with a note when it was cut.
    pub fn body_shown(&self) -> String {
        match self.body_cut_from {
            Some(total) => format!(
                "{}\n[body cut: {total} bytes received, the first {BODY_LIMIT} kept]",
                self.body
            ),
            None => self.body.clone(),
        }
    }

    /// The `<Code>` of an XML error body, if the body is one.
    pub fn error_code(&self) -> Option<String> {
        crate::xml::error_code_and_message(&self.body).map(|(code, _)| code)
    }

    /// The `<Message>` of an XML error body, if the body is one.
    pub fn error_message(&self) -> Option<String> {
        crate::xml::error_code_and_message(&self.body).map(|(_, m)| m)
    }
}

/// A request, its response or the transport error, and how long it took.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// Setup, step or teardown.
    pub phase: Phase,
    /// What the exchange was for: a step name or an API operation.
    pub label: String,
    /// The request sent.
    pub request: RecordedRequest,
    /// The response, absent when the transport failed.
    pub response: Option<RecordedResponse>,
    /// The transport error (connection refused, timeout), if any.
    pub error: Option<String>,
    /// Time from sending to the end of the body, in milliseconds.
    pub duration_ms: f64,
}

impl Exchange {
    /// True for a CORS preflight: an OPTIONS carrying Access-Control-Request-Method.
    pub fn is_preflight(&self) -> bool {
        self.request.method == "OPTIONS"
            && self
                .request
                .header("access-control-request-method")
                .is_some()
    }

    /// What the store answered, in the terms a browser decides by: the status and the CORS
    /// headers, sorted (`200 with access-control-allow-origin: *`, `403 without CORS headers`).
    pub fn cors_answer(&self) -> Option<String> {
        let resp = self.response.as_ref()?;
        let mut cors: Vec<String> = resp
            .headers
            .iter()
            .filter(|(n, _)| n.to_ascii_lowercase().starts_with("access-control-"))
            .map(|(n, v)| format!("{}: {v}", n.to_ascii_lowercase()))
            .collect();
        cors.sort();
        Some(if cors.is_empty() {
            format!("{} without CORS headers", resp.status)
        } else {
            format!("{} with {}", resp.status, cors.join(", "))
        })
    }

    /// A one-line description of the outcome for error reasons.
    pub fn outcome(&self) -> String {
        match (&self.response, &self.error) {
            (Some(r), _) => match r.error_code() {
                Some(code) => format!("{} {code}", r.status),
                None => r.status.to_string(),
            },
            (None, Some(e)) => format!("no answer ({e})"),
            (None, None) => "no response".to_string(),
        }
    }

    /// True when the store answered with a 2xx status.
    pub fn succeeded(&self) -> bool {
        self.response
            .as_ref()
            .is_some_and(|r| (200..300).contains(&r.status))
    }
}
