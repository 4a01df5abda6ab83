//! Removes credentials, signatures and tokens from everything the suite records or prints.

/// Query parameters that carry a credential or a signature (compared case-insensitively).
const SECRET_PARAMS: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "signature",
    "awsaccesskeyid",
    "ossaccesskeyid",
    "security-token",
    "x-oss-signature",
    "x-oss-credential",
    "x-oss-security-token",
    "policy",
];

/// Request headers whose whole value is a secret.
const SECRET_HEADERS: &[&str] = &[
    "x-amz-security-token",
    "x-oss-security-token",
    "cookie",
    "set-cookie",
];

/// XML elements in error bodies that echo what was signed and by whom.
const SECRET_ELEMENTS: &[&str] = &[
    "StringToSign",
    "StringToSignBytes",
    "CanonicalRequest",
    "CanonicalRequestBytes",
    "SignatureProvided",
    "AWSAccessKeyId",
    "OSSAccessKeyId",
];

/// The shortest value the literal pass replaces.
const MIN_LITERAL: usize = 12;

/// The placeholder that replaces every secret.
pub const REDACTED: &str = "[redacted]";

/// Knows the run's secrets and scrubs them from URLs, headers and text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor that also removes these literal values wherever they appear.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        // The literal pass is a backstop behind the structural redaction. Short values such as
        // LocalStack's `test` would rewrite ordinary text (`test.txt`) and corrupt what the
        // suite reads back, so only values long enough to be real keys are replaced.
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= MIN_LITERAL)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// Redacts a URL's secret query parameters, keeping their names so a reader sees the shape.
    pub fn url(&self, url: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => return self.text(url),
        };
        let params: Vec<String> = query
            .split('&')
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                if SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name)) {
                    format!("{name}={REDACTED}")
                } else {
                    pair.to_string()
                }
            })
            .collect();
        self.text(&format!("{base}?{}", params.join("&")))
    }

    /// Redacts one header value given its name.
    pub fn header(&self, name: &str, value: &str) -> String {
        if name.eq_ignore_ascii_case("authorization") {
            // Keep the scheme: it tells SigV4 from OSS V1 from V4 without revealing anything.
            let scheme = value.split_whitespace().next().unwrap_or("");
            return format!("{scheme} {REDACTED}");
        }
        if SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return REDACTED.to_string();
        }
        self.text(value)
    }

    /// Redacts header lines, names lower-cased as every record keeps them.
    pub fn headers<N: AsRef<str>, V: AsRef<str>>(
        &self,
        lines: impl IntoIterator<Item = (N, V)>,
    ) -> Vec<(String, String)> {
        lines
            .into_iter()
            .map(|(n, v)| {
                let (n, v) = (n.as_ref(), v.as_ref());
                (n.to_ascii_lowercase(), self.header(n, v))
            })
            .collect()
    }

    /// A body as a record keeps it: cut at [`BODY_LIMIT`](crate::exchange::BODY_LIMIT), as text, redacted.
    pub fn body(&self, bytes: &[u8]) -> String {
        let cut = &bytes[..bytes.len().min(crate::exchange::BODY_LIMIT)];
        self.text(&String::from_utf8_lossy(cut))
    }

    /// Redacts known secret XML elements and every literal secret from free text.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for element in SECRET_ELEMENTS {
            out = redact_element(&out, element);
        }
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

fn redact_element(text: &str, element: &str) -> String {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after_open = start + open.len();
        match rest[after_open..].find(&close) {
            Some(len) => {
                out.push_str(&rest[..after_open]);
                out.push_str(REDACTED);
                rest = &rest[after_open + len..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_headers_and_bodies_go_through_the_same_redaction() {
        let r = Redactor::new(["a-secret-key-of-length".to_string()]);
        let lines = r.headers([
            ("Authorization", "AWS4-HMAC-SHA256 Credential=x"),
            ("X-Note", "a-secret-key-of-length"),
        ]);
        assert_eq!(
            lines,
            vec![
                (
                    "authorization".to_string(),
                    format!("AWS4-HMAC-SHA256 {REDACTED}")
                ),
                ("x-note".to_string(), REDACTED.to_string()),
            ]
        );
        let long = vec![b'x'; crate::exchange::BODY_LIMIT + 10];
        assert_eq!(r.body(&long).len(), crate::exchange::BODY_LIMIT);
        assert_eq!(
            r.body(b"key a-secret-key-of-length"),
            format!("key {REDACTED}")
        );
    }

    #[test]
    fn presigned_query_loses_credential_and_signature_but_keeps_shape() {
        let r = Redactor::default();
        let url = "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F2026&X-Amz-Signature=abcdef&x-id=GetObject";
        let red = r.url(url);
        assert_eq!(
            red,
            "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&x-id=GetObject"
        );
        let oss = r.url("http://h/k?OSSAccessKeyId=ak&Expires=1&Signature=s%3D");
        assert!(!oss.contains("ak&") && !oss.contains("s%3D"), "{oss}");
    }

    #[test]
    fn authorization_keeps_only_its_scheme() {
        let r = Redactor::default();
        assert_eq!(
            r.header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AK/x, Signature=ff"
            ),
            "AWS4-HMAC-SHA256 [redacted]"
        );
        assert_eq!(r.header("x-amz-security-token", "tok"), REDACTED);
        assert_eq!(r.header("origin", "http://a"), "http://a");
    }

    #[test]
    fn literal_secrets_and_signed_strings_leave_bodies() {
        let r = Redactor::new([
            "SECRETKEY123".to_string(),
            "ab".to_string(),
            "test".to_string(),
        ]);
        let body = "<Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4 x</StringToSign>\
                    <AWSAccessKeyId>AKID</AWSAccessKeyId><Message>key SECRETKEY123 ab</Message></Error>";
        let out = r.text(body);
        assert!(!out.contains("SECRETKEY123"));
        assert!(!out.contains("AWS4 x") && !out.contains("AKID"));
        assert!(out.contains("<Code>SignatureDoesNotMatch</Code>"));
        assert!(
            out.contains(" ab<"),
            "two-letter values are not treated as secrets: {out}"
        );
    }
}
