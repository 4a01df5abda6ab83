//! Vendor dialects: how to address, sign and configure a bucket. One client serves the engine.

use super::{oss_sign, s3_sign};
use crate::model::vocabulary::Signing;

use crate::model::cors_config::CorsConfiguration;
use crate::model::exchange::{BODY_LIMIT, Exchange, Phase, RecordedRequest, RecordedResponse};
use crate::model::redact::Redactor;
use crate::model::vocabulary::{Addressing, Dialect};
use crate::store::target::{Target, is_localhost_name};
use base64::Engine as _;
use md5::Digest as _;
use std::time::{Duration, Instant, SystemTime};

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
    fixed_time: Option<SystemTime>,
    dry_run: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    timeout: Duration,
}

/// An access key no store has issued: a request signed with it must be refused.
pub const UNKNOWN_ACCESS_KEY: &str = "AKIACORSPROBEUNKNOWN1";

impl Client {
    /// A client for the target with a per-request time limit.
    pub fn new(target: &Target, timeout: Duration) -> Result<Self, String> {
        crate::tls::install_provider();
        let mut builder = reqwest::Client::builder()
            // A conformance probe must see redirects, not follow them.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .tcp_nodelay(true)
            .dns_resolver(std::sync::Arc::new(LoopbackLocalhost));
        if let Some(ca) = &target.ca_file {
            for cert in crate::store::target::ca_certificates(ca)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
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
            fixed_time: None,
            dry_run: None,
            timeout,
        })
    }

    /// Waits up to `secs` after each rules change for the new rules to take effect (0: no wait).
    pub fn set_propagation_timeout(&mut self, secs: u64) {
        self.target.propagation_timeout_secs = secs;
    }

    /// True when nothing is sent (`--dry-run`).
    pub fn is_dry_run(&self) -> bool {
        self.dry_run.is_some()
    }

    /// Signs as if the clock read `t` (for reproducible dry runs).
    pub fn pin_time(&mut self, t: SystemTime) {
        self.fixed_time = Some(t);
    }

    /// Sends nothing from now on: every request is written, redacted, to the returned log and
    /// answered with an empty 200.
    pub fn dry_run(&mut self) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        self.dry_run = Some(log.clone());
        log
    }

    /// Signs on `other`'s clock and logs signatures where `other` does (a second address of
    /// the same target must not escape the secrets check).
    pub fn sign_like(&mut self, other: &Client) {
        self.fixed_time = other.fixed_time;
        self.signatures = other.signatures.clone();
    }

    /// The signing clock: now, or the pinned time.
    pub fn now(&self) -> SystemTime {
        self.fixed_time.unwrap_or_else(SystemTime::now)
    }

    /// Bucket and key (decoded) of a URL built by [`Client::url`].
    fn bucket_and_key(&self, url: &reqwest::Url) -> (Option<String>, Option<String>) {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let base_segments = self
            .target
            .endpoint
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).count())
            .unwrap_or(0);
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| s.skip(base_segments).map(decode).collect())
            .unwrap_or_default();
        let (bucket, rest) = match self.target.addressing {
            Addressing::Path => match segments.split_first() {
                Some((b, rest)) if !b.is_empty() => (Some(b.clone()), rest.to_vec()),
                _ => (None, vec![]),
            },
            Addressing::Virtual => {
                let host = url.host_str().unwrap_or_default();
                let base = self.target.endpoint.host_str().unwrap_or_default();
                let bucket = host
                    .strip_suffix(base)
                    .and_then(|b| b.strip_suffix('.'))
                    .map(String::from);
                (bucket, segments)
            }
        };
        let key = rest.join("/");
        (bucket, if key.is_empty() { None } else { Some(key) })
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

    /// The HTTP client underneath: it trusts the target's `ca_file` and resolves `*.localhost`
    /// to loopback, which the browsers' proxy needs to reach the target as the probes do.
    pub fn transport(&self) -> reqwest::Client {
        self.http.clone()
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
        self.sign_valid_for(req, mode, 300)
    }

    /// Like [`Client::sign`], with presigned URLs valid for `seconds` (distinct validities give
    /// distinct URLs, which keeps a browser's cache from joining two steps).
    pub fn sign_valid_for(
        &self,
        req: &mut Request,
        mode: Signing,
        seconds: u64,
    ) -> Result<(), String> {
        match self.target.dialect {
            Dialect::S3 => self.sign_s3(req, mode, seconds),
            Dialect::Oss => self.sign_oss(req, mode, seconds),
        }
    }

    fn sign_oss(&self, req: &mut Request, mode: Signing, valid: u64) -> Result<(), String> {
        use crate::model::vocabulary::OssSignature;
        if mode == Signing::None {
            return Ok(());
        }
        let (bucket, key) = self.bucket_and_key(&req.url);
        let query: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let resource = oss_sign::Resource {
            bucket: bucket.as_deref(),
            key: key.as_deref(),
            query: &query,
        };
        let creds = &self.target.credentials;
        let secret = if matches!(mode, Signing::BadSignature | Signing::BadPresign) {
            creds.with_wrong_secret().secret_key
        } else {
            creds.secret_key.clone()
        };
        let token = creds.session_token.as_deref();
        let access_key = if mode == Signing::UnknownKey {
            UNKNOWN_ACCESS_KEY
        } else {
            creds.access_key.as_str()
        };
        // OSS region ids are written `cn-hangzhou`; endpoints say `oss-cn-hangzhou`.
        let region = self.target.region.trim_start_matches("oss-").to_string();
        let expired = mode == Signing::ExpiredPresign;
        let now = if expired {
            self.now() - Duration::from_secs(3600)
        } else {
            self.now()
        };
        let datetime = crate::model::clock::basic_datetime(now);
        let v4 = oss_sign::V4 {
            region: &region,
            product: "oss",
            datetime: &datetime,
            additional_headers: &[],
        };
        match (mode, self.target.oss_signature) {
            (Signing::Header | Signing::BadSignature | Signing::UnknownKey, OssSignature::V4) => {
                req.headers.push(("x-oss-date".into(), datetime.clone()));
                req.headers
                    .push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
                if let Some(t) = token {
                    req.headers
                        .push(("x-oss-security-token".into(), t.to_string()));
                }
                let auth = oss_sign::v4_authorization(
                    access_key,
                    &secret,
                    &req.method,
                    &req.headers,
                    &resource,
                    &v4,
                );
                self.remember(auth.rsplit("Signature=").next());
                req.headers.push(("authorization".into(), auth));
            }
            (Signing::Header | Signing::BadSignature | Signing::UnknownKey, OssSignature::V1) => {
                let date = crate::model::clock::http_date(now);
                req.headers.push(("date".into(), date.clone()));
                if let Some(t) = token {
                    req.headers
                        .push(("x-oss-security-token".into(), t.to_string()));
                }
                let sts = oss_sign::v1_string_to_sign(&req.method, &req.headers, &date, &resource);
                let signature = oss_sign::v1_signature(&secret, &sts);
                self.remember(Some(&signature));
                req.headers.push((
                    "authorization".into(),
                    format!("OSS {access_key}:{signature}"),
                ));
            }
            (_, version) => {
                let keys = oss_sign::Keys {
                    access_key: &creds.access_key,
                    secret: &secret,
                    security_token: token,
                };
                // V4 counts the validity from the signing time (an hour ago when expired); V1
                // takes an absolute expiry, a minute after that hour-old time.
                let (params, signature) = match version {
                    OssSignature::V4 => {
                        let expires = if expired { 60 } else { valid };
                        let params = oss_sign::v4_presign(
                            keys,
                            &req.method,
                            &req.headers,
                            &resource,
                            &v4,
                            expires,
                        );
                        (params, "x-oss-signature")
                    }
                    OssSignature::V1 => {
                        let unix = now
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0);
                        let expires = if expired { unix + 60 } else { unix + valid };
                        let params = oss_sign::v1_presign(
                            keys,
                            &req.method,
                            &req.headers,
                            &resource,
                            expires,
                        );
                        (params, "Signature")
                    }
                };
                self.remember(
                    params
                        .iter()
                        .find(|(n, _)| n == signature)
                        .map(|(_, v)| v.as_str()),
                );
                req.url.query_pairs_mut().extend_pairs(params.iter());
            }
        }
        Ok(())
    }

    fn sign_s3(&self, req: &mut Request, mode: Signing, valid: u64) -> Result<(), String> {
        let scope = s3_sign::Scope {
            region: &self.target.region,
            service: "s3",
        };
        let now = self.now();
        match mode {
            Signing::None => Ok(()),
            Signing::Header | Signing::BadSignature | Signing::UnknownKey => {
                let mut creds = self.target.credentials.clone();
                if mode == Signing::BadSignature {
                    creds = creds.with_wrong_secret();
                }
                if mode == Signing::UnknownKey {
                    creds.access_key = UNKNOWN_ACCESS_KEY.to_string();
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
            Signing::Presign | Signing::ExpiredPresign | Signing::BadPresign => {
                let (time, expires) = if mode == Signing::ExpiredPresign {
                    (now - Duration::from_secs(3600), Duration::from_secs(60))
                } else {
                    (now, Duration::from_secs(valid))
                };
                let mut creds = self.target.credentials.clone();
                if mode == Signing::BadPresign {
                    creds = creds.with_wrong_secret();
                }
                // User metadata the request carries is signed, as SDK presigners do: stores
                // such as Garage refuse an unsigned x-amz-meta-* header.
                let meta: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-amz-meta-"))
                    .cloned()
                    .collect();
                let params = s3_sign::presigned_query(
                    &creds,
                    &scope,
                    (&req.method, req.url.as_str(), &meta),
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
            headers: self
                .redactor
                .headers(req.headers.iter().map(|(n, v)| (n, v))),
            body_bytes: req.body.len(),
        };
        if let Some(log) = &self.dry_run {
            let mut text = format!("{} {}\n", recorded.method, recorded.url);
            for (n, v) in &recorded.headers {
                text.push_str(&format!("{n}: {v}\n"));
            }
            if !req.body.is_empty() {
                text.push('\n');
                text.push_str(&self.redactor.text(&String::from_utf8_lossy(&req.body)));
                text.push('\n');
            }
            log.lock().expect("dry-run log").push(text);
            return Exchange {
                phase,
                label: label.to_string(),
                request: recorded,
                response: Some(RecordedResponse {
                    status: 200,
                    ..RecordedResponse::default()
                }),
                error: None,
                duration_ms: 0.0,
            };
        }
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
        let mut response = builder.body(req.body).send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = self.redactor.headers(
            response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v.as_bytes()))),
        );
        // A store may answer with gigabytes: keep a prefix, count the rest.
        let mut kept = Vec::new();
        let mut total: u64 = 0;
        let mut digest = <sha2::Sha256 as sha2::Digest>::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            total += chunk.len() as u64;
            sha2::Digest::update(&mut digest, &chunk);
            let room = BODY_LIMIT.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let cut = total > BODY_LIMIT as u64;
        Ok(RecordedResponse {
            status,
            headers,
            body: self.redactor.body(&kept),
            body_cut_from: cut.then_some(total),
            body_sha256: cut.then(|| {
                sha2::Digest::finalize(digest)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            }),
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

    /// An exchange that was never sent, recorded with why (a request that could not be signed).
    pub fn unsent(&self, phase: Phase, label: &str, req: &Request, error: String) -> Exchange {
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
        let body = if self.target.region == "us-east-1" || self.target.dialect == Dialect::Oss {
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

    /// DeleteObjects (OSS: DeleteMultipleObjects) of up to 1000 keys, quiet.
    pub async fn delete_objects(&self, phase: Phase, bucket: &str, keys: &[&str]) -> Exchange {
        let body = crate::model::xml::delete_request(keys).into_bytes();
        let url = self.url(bucket, None, Some("delete"));
        self.api_xml(phase, ("DeleteObjects", "POST"), url, body, true)
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
            Some(r) if ex.succeeded() => crate::model::xml::element_texts(&r.body, "Key"),
            _ => vec![],
        };
        (ex, keys)
    }

    /// ListMultipartUploads (first 1000): the exchange and each upload's key and id.
    pub async fn list_uploads(
        &self,
        phase: Phase,
        bucket: &str,
    ) -> (Exchange, Vec<(String, String)>) {
        let url = self.url(bucket, None, Some("uploads"));
        let ex = self
            .api(phase, "ListMultipartUploads", "GET", url, vec![], vec![])
            .await;
        let uploads = match &ex.response {
            Some(r) if ex.succeeded() => {
                let keys = crate::model::xml::element_texts(&r.body, "Key");
                let ids = crate::model::xml::element_texts(&r.body, "UploadId");
                keys.into_iter().zip(ids).collect()
            }
            _ => vec![],
        };
        (ex, uploads)
    }

    /// AbortMultipartUpload.
    pub async fn abort_upload(&self, phase: Phase, bucket: &str, key: &str, id: &str) -> Exchange {
        let mut url = self.url(bucket, Some(key), None);
        url.query_pairs_mut().append_pair("uploadId", id);
        self.api(phase, "AbortMultipartUpload", "DELETE", url, vec![], vec![])
            .await
    }

    /// PutBucketCors with the configuration serialised for this dialect.
    pub async fn put_cors(
        &self,
        phase: Phase,
        bucket: &str,
        config: &CorsConfiguration,
    ) -> Exchange {
        if config.response_vary.is_some() && self.target.dialect == Dialect::S3 {
            let req = Request {
                method: "PUT".into(),
                url: self.url(bucket, None, Some("cors")),
                headers: vec![],
                body: vec![],
            };
            let why = "ResponseVary is an OSS extension; the s3 dialect has no such element";
            return self.unsent(phase, "PutBucketCors", &req, why.into());
        }
        self.put_cors_bytes(phase, bucket, config.to_xml().into_bytes())
            .await
    }

    /// PutBucketCors with a body sent exactly as given (to restore a saved configuration).
    pub async fn put_cors_bytes(&self, phase: Phase, bucket: &str, body: Vec<u8>) -> Exchange {
        self.put_cors_sent(phase, bucket, body, true).await
    }

    /// PutBucketCors without the `Content-MD5` AWS S3 requires, as many SDKs send it.
    pub async fn put_cors_without_md5(
        &self,
        phase: Phase,
        bucket: &str,
        config: &CorsConfiguration,
    ) -> Exchange {
        self.put_cors_sent(phase, bucket, config.to_xml().into_bytes(), false)
            .await
    }

    async fn put_cors_sent(
        &self,
        phase: Phase,
        bucket: &str,
        body: Vec<u8>,
        md5: bool,
    ) -> Exchange {
        let url = self.url(bucket, None, Some("cors"));
        self.api_xml(phase, ("PutBucketCors", "PUT"), url, body, md5)
            .await
    }

    /// Sends an XML document to the bucket API, with its `Content-MD5` when `md5` (AWS S3 and
    /// OSS require one for the rules and for a multi-object delete).
    async fn api_xml(
        &self,
        phase: Phase,
        (label, method): (&str, &str),
        url: reqwest::Url,
        body: Vec<u8>,
        md5: bool,
    ) -> Exchange {
        let mut headers = vec![("content-type".to_string(), "application/xml".to_string())];
        if md5 {
            let digest = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&body));
            headers.push(("content-md5".to_string(), digest));
        }
        self.api(phase, label, method, url, headers, body).await
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
            Some(r) if ex.succeeded() => crate::model::xml::element_texts(&r.body, "Name"),
            _ => vec![],
        };
        (ex, names)
    }

    /// Whether anything answers HTTP at the endpoint (any status) within the request time
    /// limit; if not, why: refused, timed out, a TLS certificate or an http/https mix-up.
    pub async fn reach(&self) -> Result<(), String> {
        let e = match self.http.get(self.target.endpoint.clone()).send().await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let timed_out = e.is_timeout();
        let detail = describe(e);
        let lower = detail.to_ascii_lowercase();
        let cause = if timed_out {
            format!(
                "no answer within {} s (the request time limit, --timeout)",
                self.timeout.as_secs()
            )
        } else if lower.contains("certificate") {
            format!(
                "the TLS certificate was not accepted{} ({detail}){}",
                match certificate_fault(&detail) {
                    Some(fault) => format!(": {fault}"),
                    None => String::new(),
                },
                match &self.target.ca_file {
                    Some(ca) => format!(
                        "; the target trusts the system's CAs and those of {}",
                        ca.display()
                    ),
                    None => "; a private CA's certificate goes in the target's `ca_file` (PEM)"
                        .to_string(),
                }
            )
        } else if lower.contains("refused") {
            format!("connection refused: nothing listens there ({detail})")
        } else if lower.contains("dns error") || lower.contains("failed to lookup") {
            format!("the host name does not resolve ({detail})")
        } else {
            // An http/https mix-up looks like a reset or a broken handshake: ask the same
            // host and port the other way before saying so.
            let other = if self.target.endpoint.scheme() == "https" {
                "http"
            } else {
                "https"
            };
            if self.answers_as(other).await {
                format!(
                    "the endpoint speaks {} there, not {}: its URL should start with {other}:// ({detail})",
                    other.to_uppercase(),
                    self.target.endpoint.scheme().to_uppercase()
                )
            } else {
                format!("no HTTP answer ({detail})")
            }
        };
        Err(self.redactor.text(&cause))
    }

    /// True when the endpoint's host and port answer HTTP under the other scheme (any
    /// certificate accepted: this only tells a mix-up from a dead store).
    async fn answers_as(&self, scheme: &str) -> bool {
        let mut url = self.target.endpoint.clone();
        if url.set_scheme(scheme).is_err() {
            return false;
        }
        crate::tls::install_provider();
        let Ok(probe) = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(true)
            .timeout(self.timeout)
            .dns_resolver(std::sync::Arc::new(LoopbackLocalhost))
            .build()
        else {
            return false;
        };
        probe.get(url).send().await.is_ok()
    }
}

/// Resolves `localhost` and every `*.localhost` name to loopback, as browsers do, so that
/// virtual-host buckets of a local store (`bucket.s3.localhost`) are reachable; other names go
/// to the system resolver.
struct LoopbackLocalhost;

impl reqwest::dns::Resolve for LoopbackLocalhost {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            if is_localhost_name(&host) {
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                return Ok(Box::new(std::iter::once(addr)) as reqwest::dns::Addrs);
            }
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What is wrong with a refused certificate, in the words an operator looks for, from the
/// verifier's reason (rustls's names for webpki's errors).
fn certificate_fault(detail: &str) -> Option<&'static str> {
    [
        (
            "UnknownIssuer",
            "unknown CA, the issuer is trusted by neither the system nor `ca_file`",
        ),
        (
            "NotValidForName",
            "hostname mismatch, the certificate does not name this host",
        ),
        (
            "not valid for name",
            "hostname mismatch, the certificate does not name this host",
        ),
        ("Expired", "expired"),
        ("certificate expired", "expired"),
        ("NotValidYet", "not valid yet"),
        ("Revoked", "revoked"),
    ]
    .into_iter()
    .find(|(mark, _)| detail.contains(mark))
    .map(|(_, fault)| fault)
}

/// A transport error with its causes, e.g. "error sending request: connection refused".
///
/// The URL is left out: a presigned one is a working credential, and the caller names the
/// request with its redacted URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vocabulary::OssSignature;
    use crate::store::target::Credentials;

    fn oss_target(addressing: Addressing, signature: OssSignature) -> Target {
        let mut t = Target::new(
            "oss",
            Dialect::Oss,
            reqwest::Url::parse("http://oss-cn-hangzhou.aliyuncs.com").unwrap(),
            "cn-hangzhou",
            Credentials {
                access_key: "44CF9590006BF252F707".into(),
                secret_key: "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV".into(),
                session_token: None,
            },
        );
        t.addressing = addressing;
        t.oss_signature = signature;
        t
    }

    fn put_cors_request(c: &Client) -> Request {
        Request {
            method: "PUT".into(),
            url: c.url("oss-example", None, Some("cors")),
            headers: vec![
                ("content-md5".into(), "8alqrbXMPQqTnk2/Sr7qJw==".into()),
                ("content-type".into(), "application/xml".into()),
            ],
            body: vec![],
        }
    }

    #[test]
    fn oss_v1_header_signature_through_the_client_matches_the_vector() {
        for addressing in [Addressing::Virtual, Addressing::Path] {
            let mut c = Client::new(
                &oss_target(addressing, OssSignature::V1),
                Duration::from_secs(1),
            )
            .unwrap();
            c.pin_time(std::time::UNIX_EPOCH + Duration::from_secs(1_132_253_398));
            let mut req = put_cors_request(&c);
            c.sign(&mut req, Signing::Header).unwrap();
            let auth = req
                .headers
                .iter()
                .find(|(n, _)| n == "authorization")
                .unwrap();
            assert_eq!(
                auth.1, "OSS 44CF9590006BF252F707:vsGiFGOIcS5GPCe79D64afp2iEg=",
                "{addressing:?}"
            );
            assert!(
                req.headers
                    .iter()
                    .any(|(n, v)| n == "date" && v == "Thu, 17 Nov 2005 18:49:58 GMT")
            );
        }
    }

    #[test]
    fn oss_bucket_and_key_come_back_from_both_addressings() {
        for addressing in [Addressing::Virtual, Addressing::Path] {
            let c = Client::new(
                &oss_target(addressing, OssSignature::V4),
                Duration::from_secs(1),
            )
            .unwrap();
            let url = c.url("b1", Some("dir/a b+c.txt"), None);
            assert_eq!(
                c.bucket_and_key(&url),
                (Some("b1".into()), Some("dir/a b+c.txt".into())),
                "{url}"
            );
            assert_eq!(
                c.bucket_and_key(&c.url("b1", None, Some("cors"))),
                (Some("b1".into()), None)
            );
        }
    }

    #[test]
    fn oss_v4_and_presigned_requests_carry_their_parameters() {
        let mut c = Client::new(
            &oss_target(Addressing::Virtual, OssSignature::V4),
            Duration::from_secs(1),
        )
        .unwrap();
        c.pin_time(std::time::UNIX_EPOCH + Duration::from_secs(1_702_743_657));
        let mut req = put_cors_request(&c);
        c.sign(&mut req, Signing::Header).unwrap();
        let auth = &req
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1;
        assert!(auth.starts_with("OSS4-HMAC-SHA256 Credential=44CF9590006BF252F707/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature="), "{auth}");
        let mut presigned = put_cors_request(&c);
        c.sign(&mut presigned, Signing::Presign).unwrap();
        let q = presigned.url.query().unwrap();
        assert!(
            q.contains("x-oss-signature-version=OSS4-HMAC-SHA256")
                && q.contains("x-oss-expires=300")
                && q.contains("x-oss-signature="),
            "{q}"
        );
    }

    #[test]
    fn the_s3_dialect_refuses_response_vary() {
        let mut t = oss_target(Addressing::Path, OssSignature::V4);
        t.dialect = Dialect::S3;
        t.oss_signature = OssSignature::V4;
        let c = Client::new(&t, Duration::from_secs(1)).unwrap();
        let cfg = CorsConfiguration {
            rules: vec![],
            response_vary: Some(true),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let ex = rt.block_on(c.put_cors(Phase::Setup, "b", &cfg));
        assert!(ex.response.is_none());
        assert!(ex.error.unwrap().contains("OSS extension"));
    }
}
