//! Vendor dialects: how to address, sign and configure a bucket. One client serves the engine.

pub mod oss_sign;
pub mod s3_sign;

use crate::cors_config::CorsConfiguration;
use crate::exchange::{BODY_LIMIT, Exchange, Phase, RecordedRequest, RecordedResponse};
use crate::redact::Redactor;
use crate::target::{Addressing, Dialect, Target};
use base64::Engine as _;
use md5::Digest as _;
use std::time::{Duration, Instant, SystemTime};

/// How a request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    /// Anonymous: what a browser sends for a preflight.
    #[default]
    None,
    /// Signed in the `Authorization` header.
    Header,
    /// Signed in the query string, valid for five minutes.
    Presign,
    /// Signed in the header with a wrong secret: the store must refuse it.
    BadSignature,
    /// Presigned an hour ago for one minute: expired.
    ExpiredPresign,
}

/// A request to be sent, before signing.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method, sent as given (case kept).
    pub method: String,
    /// Full URL.
    pub url: reqwest::Url,
    /// Header lines in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Talks to one target: builds URLs, signs, sends, and records every exchange.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    target: Target,
    redactor: Redactor,
    signatures: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
}

impl Client {
    /// A client for the target with a per-request time limit.
    pub fn new(target: &Target, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // A conformance probe must see redirects, not follow them.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let c = &target.credentials;
        let redactor = Redactor::new(
            [
                Some(c.secret_key.clone()),
                Some(c.access_key.clone()),
                c.session_token.clone(),
            ]
            .into_iter()
            .flatten(),
        );
        Ok(Self {
            http,
            target: target.clone(),
            redactor,
            signatures: None,
        })
    }

    /// Keeps every signature this client (and its clones) produces, so tests can search
    /// outputs for them.
    pub fn record_signatures(&mut self) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        self.signatures = Some(log.clone());
        log
    }

    fn remember(&self, signature: Option<&str>) {
        if let (Some(log), Some(sig)) = (&self.signatures, signature) {
            log.lock().expect("signature log").push(sig.to_string());
        }
    }

    /// The target this client talks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The redactor holding this target's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// URL of a bucket, or of an object when `key` is given, with an optional raw query.
    pub fn url(&self, bucket: &str, key: Option<&str>, query: Option<&str>) -> reqwest::Url {
        let mut url = self.target.endpoint.clone();
        let base_path: Vec<String> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(String::from).collect())
            .unwrap_or_default();
        let mut segments = base_path;
        match self.target.addressing {
            Addressing::Path => segments.push(bucket.to_string()),
            Addressing::Virtual => {
                let host = format!("{bucket}.{}", url.host_str().unwrap_or_default());
                // The endpoint host was valid, so prefixing a DNS label keeps it valid.
                let _ = url.set_host(Some(&host));
            }
        }
        if let Some(key) = key {
            segments.extend(key.split('/').map(String::from));
        }
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear();
            for s in &segments {
                path.push(s);
            }
        }
        if segments.is_empty() {
            url.set_path("/");
        }
        url.set_query(query);
        url
    }

    /// Applies a signing mode to a request.
    pub fn sign(&self, req: &mut Request, mode: Signing) -> Result<(), String> {
        match self.target.dialect {
            Dialect::S3 => self.sign_s3(req, mode),
        }
    }

    fn sign_s3(&self, req: &mut Request, mode: Signing) -> Result<(), String> {
        let scope = s3_sign::Scope {
            region: &self.target.region,
            service: "s3",
        };
        let now = SystemTime::now();
        match mode {
            Signing::None => Ok(()),
            Signing::Header | Signing::BadSignature => {
                let mut creds = self.target.credentials.clone();
                if mode == Signing::BadSignature {
                    creds.secret_key = format!("{}-wrong", creds.secret_key);
                }
                let added = s3_sign::header_signature(
                    &creds,
                    &scope,
                    true,
                    s3_sign::Unsigned {
                        method: &req.method,
                        url: req.url.as_str(),
                        headers: &req.headers,
                        body: &req.body,
                    },
                    now,
                )?;
                let sig = added
                    .iter()
                    .find(|(n, _)| n == "authorization")
                    .and_then(|(_, v)| v.rsplit("Signature=").next());
                self.remember(sig);
                req.headers.extend(added);
                Ok(())
            }
            Signing::Presign | Signing::ExpiredPresign => {
                let (time, expires) = if mode == Signing::ExpiredPresign {
                    (now - Duration::from_secs(3600), Duration::from_secs(60))
                } else {
                    (now, Duration::from_secs(300))
                };
                let params = s3_sign::presigned_query(
                    &self.target.credentials,
                    &scope,
                    &req.method,
                    req.url.as_str(),
                    expires,
                    time,
                )?;
                self.remember(
                    params
                        .iter()
                        .find(|(n, _)| n == "X-Amz-Signature")
                        .map(|(_, v)| v.as_str()),
                );
                let mut pairs = req.url.query_pairs_mut();
                for (k, v) in &params {
                    pairs.append_pair(k, v);
                }
                drop(pairs);
                Ok(())
            }
        }
    }

    /// Sends a request and records it, redacted; transport failures become the exchange's error.
    pub async fn send(&self, phase: Phase, label: &str, req: Request) -> Exchange {
        let recorded = RecordedRequest {
            method: req.method.clone(),
            url: self.redactor.url(req.url.as_str()),
            headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), self.redactor.header(n, v)))
                .collect(),
            body_bytes: req.body.len(),
        };
        let start = Instant::now();
        let result = self.execute(req).await;
        let duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        let (response, error) = match result {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(self.redactor.text(&e))),
        };
        Exchange {
            phase,
            label: label.to_string(),
            request: recorded,
            response,
            error,
            duration_ms: (duration_ms * 1000.0).round() / 1000.0,
        }
    }

    async fn execute(&self, req: Request) -> Result<RecordedResponse, String> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| format!("`{}` is not a valid HTTP method", req.method))?;
        let mut builder = self.http.request(method, req.url);
        for (name, value) in &req.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
            builder = builder.header(name, value);
        }
        let response = builder
            .body(req.body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    self.redactor
                        .header(n.as_str(), &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect();
        let bytes = response.bytes().await.map_err(|e| describe(&e))?;
        let cut = &bytes[..bytes.len().min(BODY_LIMIT)];
        Ok(RecordedResponse {
            status,
            headers,
            body: self.redactor.text(&String::from_utf8_lossy(cut)),
        })
    }

    /// Sends a signed request to the bucket API.
    async fn api(
        &self,
        phase: Phase,
        label: &str,
        method: &str,
        url: reqwest::Url,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Exchange {
        let mut req = Request {
            method: method.to_string(),
            url,
            headers,
            body,
        };
        if let Err(e) = self.sign(&mut req, Signing::Header) {
            return self.unsent(phase, label, &req, e);
        }
        self.send(phase, label, req).await
    }

    fn unsent(&self, phase: Phase, label: &str, req: &Request, error: String) -> Exchange {
        Exchange {
            phase,
            label: label.to_string(),
            request: RecordedRequest {
                method: req.method.clone(),
                url: self.redactor.url(req.url.as_str()),
                headers: vec![],
                body_bytes: req.body.len(),
            },
            response: None,
            error: Some(error),
            duration_ms: 0.0,
        }
    }

    /// CreateBucket.
    pub async fn create_bucket(&self, phase: Phase, bucket: &str) -> Exchange {
        let body = if self.target.region == "us-east-1" {
            Vec::new()
        } else {
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.target.region
            )
            .into_bytes()
        };
        self.api(
            phase,
            "CreateBucket",
            "PUT",
            self.url(bucket, None, None),
            vec![],
            body,
        )
        .await
    }

    /// DeleteBucket.
    pub async fn delete_bucket(&self, phase: Phase, bucket: &str) -> Exchange {
        self.api(
            phase,
            "DeleteBucket",
            "DELETE",
            self.url(bucket, None, None),
            vec![],
            vec![],
        )
        .await
    }

    /// PutObject with a content type.
    pub async fn put_object(
        &self,
        phase: Phase,
        bucket: &str,
        key: &str,
        body: &[u8],
        content_type: &str,
    ) -> Exchange {
        let headers = vec![("content-type".to_string(), content_type.to_string())];
        self.api(
            phase,
            "PutObject",
            "PUT",
            self.url(bucket, Some(key), None),
            headers,
            body.to_vec(),
        )
        .await
    }

    /// DeleteObject.
    pub async fn delete_object(&self, phase: Phase, bucket: &str, key: &str) -> Exchange {
        self.api(
            phase,
            "DeleteObject",
            "DELETE",
            self.url(bucket, Some(key), None),
            vec![],
            vec![],
        )
        .await
    }

    /// ListObjectsV2 (first 1000 keys): the exchange and the keys found.
    /// With a prefix, only keys under it are listed.
    pub async fn list_keys(
        &self,
        phase: Phase,
        bucket: &str,
        prefix: Option<&str>,
    ) -> (Exchange, Vec<String>) {
        let mut url = self.url(bucket, None, Some("list-type=2&max-keys=1000"));
        if let Some(p) = prefix {
            url.query_pairs_mut().append_pair("prefix", p);
        }
        let ex = self
            .api(phase, "ListObjectsV2", "GET", url, vec![], vec![])
            .await;
        let keys = match &ex.response {
            Some(r) if ex.succeeded() => crate::xml::element_texts(&r.body, "Key"),
            _ => vec![],
        };
        (ex, keys)
    }

    /// PutBucketCors with the configuration serialised for this dialect.
    pub async fn put_cors(
        &self,
        phase: Phase,
        bucket: &str,
        config: &CorsConfiguration,
    ) -> Exchange {
        self.put_cors_bytes(phase, bucket, config.to_xml().into_bytes())
            .await
    }

    /// PutBucketCors with a body sent exactly as given (to restore a saved configuration).
    pub async fn put_cors_bytes(&self, phase: Phase, bucket: &str, body: Vec<u8>) -> Exchange {
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&body));
        let headers = vec![
            ("content-type".to_string(), "application/xml".to_string()),
            ("content-md5".to_string(), md5),
        ];
        self.api(
            phase,
            "PutBucketCors",
            "PUT",
            self.url(bucket, None, Some("cors")),
            headers,
            body,
        )
        .await
    }

    /// GetBucketCors.
    pub async fn get_cors(&self, phase: Phase, bucket: &str) -> Exchange {
        self.api(
            phase,
            "GetBucketCors",
            "GET",
            self.url(bucket, None, Some("cors")),
            vec![],
            vec![],
        )
        .await
    }

    /// DeleteBucketCors.
    pub async fn delete_cors(&self, phase: Phase, bucket: &str) -> Exchange {
        self.api(
            phase,
            "DeleteBucketCors",
            "DELETE",
            self.url(bucket, None, Some("cors")),
            vec![],
            vec![],
        )
        .await
    }

    /// ListBuckets: the exchange and the bucket names found.
    pub async fn list_buckets(&self, phase: Phase) -> (Exchange, Vec<String>) {
        let mut url = self.target.endpoint.clone();
        url.set_query(None);
        let ex = self
            .api(phase, "ListBuckets", "GET", url, vec![], vec![])
            .await;
        let names = match &ex.response {
            Some(r) if ex.succeeded() => crate::xml::element_texts(&r.body, "Name"),
            _ => vec![],
        };
        (ex, names)
    }

    /// True when anything answers HTTP at the endpoint (any status).
    pub async fn answers(&self) -> bool {
        self.http
            .get(self.target.endpoint.clone())
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok()
    }
}

/// A transport error with its causes, e.g. "error sending request: connection refused".
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
