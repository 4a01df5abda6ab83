//! Removes credentials, signatures and tokens from everything the suite records or prints.
//!
//! Redaction is structural first: wherever text holds `name=value` for a credential or
//! signature parameter (in a URL, a URL inside a URL, an echoed `Authorization` header, an
//! error body, a transport error), the value goes, whatever the secret is. The literal pass
//! over the run's own keys is the backstop behind it.

/// Parameters whose value is a credential, a token or a signature (compared case-insensitively),
/// as they appear in presigned URLs, form fields and `Authorization` headers.
const SECRET_PARAMS: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "signature",
    "credential",
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
        // A token with `+ / =` travels percent-encoded in URLs and echoes: both spellings go.
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= MIN_LITERAL)
            .flat_map(|s| {
                let upper = percent_encoded(&s, false);
                let lower = percent_encoded(&s, true);
                [s, upper, lower]
            })
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
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

    /// Redacts secret parameters wherever they stand, V2-style `OSS key:signature` credentials,
    /// known secret XML elements and every literal secret from free text.
    pub fn text(&self, text: &str) -> String {
        let mut out = redact_params(text);
        out = redact_key_signature_pairs(&out);
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

/// Percent-encodes every byte outside RFC 3986's unreserved set, in upper- or lower-case hex.
fn percent_encoded(s: &str, lower_hex: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else if lower_hex {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True when a parameter name may start at `at`: the text starts there, or a separator of a
/// query, a header list or markup stands before it (percent-encoded ones included).
fn name_starts(lower: &str, at: usize) -> bool {
    if at == 0 {
        return true;
    }
    let before = &lower[..at];
    matches!(
        lower.as_bytes()[at - 1],
        b'?' | b'&' | b';' | b',' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'(' | b'>'
    ) || ["%3f", "%26", "%20", "%2c"]
        .iter()
        .any(|sep| before.ends_with(sep))
}

/// Where a parameter value that starts at `start` ends: at the next separator, or at the next
/// percent-encoded one when the value itself stands percent-encoded.
fn value_end(lower: &str, start: usize, encoded: bool) -> usize {
    let bytes = lower.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        if matches!(
            bytes[i],
            b'&' | b'<'
                | b'>'
                | b'"'
                | b'\''
                | b','
                | b')'
                | b'#'
                | b';'
                | b' '
                | b'\t'
                | b'\n'
                | b'\r'
        ) {
            break;
        }
        if encoded
            && ["%26", "%20", "%22", "%2c", "%3c"]
                .iter()
                .any(|sep| lower[i..].starts_with(sep))
        {
            break;
        }
        i += 1;
    }
    i
}

/// Replaces the value of every secret parameter, `name=value` or `name%3Dvalue`, in any text.
fn redact_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for name in SECRET_PARAMS {
        for (at, _) in lower.match_indices(name) {
            if !name_starts(&lower, at) {
                continue;
            }
            let after = at + name.len();
            let (start, encoded) = if lower[after..].starts_with('=') {
                (after + 1, false)
            } else if lower[after..].starts_with("%3d") {
                (after + 3, true)
            } else {
                continue;
            };
            let end = value_end(&lower, start, encoded);
            if end > start && &text[start..end] != REDACTED {
                cuts.push((start, end));
            }
        }
    }
    replace_ranges(text, cuts)
}

/// Replaces V2-style `OSS key:signature` and `AWS key:signature` credentials (OSS V1 and SigV2
/// `Authorization` values) wherever an echo carries them.
fn redact_key_signature_pairs(text: &str) -> String {
    let mut cuts = Vec::new();
    for scheme in ["OSS ", "AWS "] {
        for (at, _) in text.match_indices(scheme) {
            if at > 0
                && !matches!(
                    text.as_bytes()[at - 1],
                    b' ' | b'>' | b'"' | b'\'' | b'\n' | b'\t' | b'(' | b'=' | b':'
                )
            {
                continue;
            }
            let start = at + scheme.len();
            let end = text[start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '"' | '\'' | ',' | ')'))
                .map_or(text.len(), |n| start + n);
            let token = &text[start..end];
            if let Some((key, sig)) = token.split_once(':')
                && !key.is_empty()
                && !sig.is_empty()
                && token != REDACTED
            {
                cuts.push((start, end));
            }
        }
    }
    replace_ranges(text, cuts)
}

/// Replaces each byte range (merged where they overlap) by the placeholder.
fn replace_ranges(text: &str, mut cuts: Vec<(usize, usize)>) -> String {
    if cuts.is_empty() {
        return text.to_string();
    }
    cuts.sort();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end) in cuts {
        if end <= pos {
            continue;
        }
        out.push_str(&text[pos..start.max(pos)]);
        out.push_str(REDACTED);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
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

    /// A short key, a realistic STS token and signatures, spelled the ways echoes spell them.
    const SHORT_KEY: &str = "AKSHORT7";
    const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDH+k3y/Q9a==";

    fn no_secret_left(out: &str) {
        let token_encoded = percent_encoded(TOKEN, false);
        for bad in [
            SHORT_KEY,
            TOKEN,
            token_encoded.as_str(),
            "deadbeef",
            "c2lnbmF0dXJl",
        ] {
            assert!(!out.contains(bad), "`{bad}` left in {out}");
        }
        assert!(out.contains(REDACTED), "{out}");
    }

    #[test]
    fn a_transport_error_holding_a_presigned_url_loses_every_secret_part() {
        let r = Redactor::new([TOKEN.to_string()]);
        let url = format!(
            "http://127.0.0.1:9/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={SHORT_KEY}%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={}&X-Amz-Signature=deadbeef",
            percent_encoded(TOKEN, false)
        );
        let error = format!("error sending request for url ({url}): connection reset");
        let out = r.text(&error);
        no_secret_left(&out);
        assert!(
            out.contains("connection reset") && out.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"),
            "{out}"
        );
    }

    #[test]
    fn echoed_urls_and_authorization_headers_are_redacted_in_headers_and_bodies() {
        let r = Redactor::new([TOKEN.to_string()]);
        let url = format!(
            "http://h/b/k?x-id=GetObject&X-Amz-Signature=deadbeef&X-Amz-Credential={SHORT_KEY}%2Fx"
        );
        no_secret_left(&r.header("location", &url));
        no_secret_left(&r.header(
            "x-echo-authorization",
            &format!("AWS4-HMAC-SHA256 Credential={SHORT_KEY}/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeef"),
        ));
        let body = format!(
            "<Error><Code>AccessDenied</Code><Message>denied for {}</Message><Resource>/b/k?a=1&amp;X-Amz-Signature=deadbeef&amp;X-Amz-Security-Token={TOKEN}</Resource><Endpoint>h?OSSAccessKeyId={SHORT_KEY}</Endpoint></Error>",
            url.replace('&', "&amp;")
        );
        let out = r.body(body.as_bytes());
        no_secret_left(&out);
        assert!(
            out.contains("<Code>AccessDenied</Code>") && out.contains("x-id=GetObject"),
            "{out}"
        );
    }

    #[test]
    fn oss_credentials_in_every_spelling_are_redacted() {
        let r = Redactor::default();
        for text in [
            format!("Authorization: OSS {SHORT_KEY}:c2lnbmF0dXJl"),
            format!("<Auth>OSS {SHORT_KEY}:c2lnbmF0dXJl</Auth>"),
            format!(
                "OSS4-HMAC-SHA256 Credential={SHORT_KEY}/20261201/cn-hangzhou/oss/aliyun_v4_request,Signature=deadbeef"
            ),
            format!(
                "/k?x-oss-credential={SHORT_KEY}%2F20261201&x-oss-signature=deadbeef&x-oss-signature-version=OSS4-HMAC-SHA256"
            ),
            format!("/k?OSSAccessKeyId={SHORT_KEY}&Expires=1&Signature=c2lnbmF0dXJl%3D"),
        ] {
            no_secret_left(&r.text(&text));
        }
        assert_eq!(
            r.text("differs from AWS S3: see OSS docs"),
            "differs from AWS S3: see OSS docs"
        );
    }

    #[test]
    fn a_url_inside_a_url_is_redacted_in_its_encoded_form() {
        let r = Redactor::default();
        let out =
            r.text("/login?next=http%3A%2F%2Fh%2Fk%3FX-Amz-Signature%3Ddeadbeef%26x-id%3DGet");
        assert!(
            !out.contains("deadbeef") && out.contains("%26x-id%3DGet"),
            "{out}"
        );
    }

    #[test]
    fn a_long_token_goes_in_its_raw_and_percent_encoded_spellings() {
        let r = Redactor::new([TOKEN.to_string()]);
        no_secret_left(&r.text(&format!(
            "echo {TOKEN} and {}",
            percent_encoded(TOKEN, true)
        )));
        no_secret_left(&r.text(&format!("echo {}", percent_encoded(TOKEN, false))));
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
