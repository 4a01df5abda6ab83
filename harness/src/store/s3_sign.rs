//! SigV4 for S3 through the `aws-sigv4` crate: header signatures, presigned URLs, POST policies.

use crate::store::target::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, SystemTime};

/// What to sign for: region and service name (`s3` for stores).
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Signing region.
    pub region: &'a str,
    /// Signing name of the service.
    pub service: &'a str,
}

/// Request headers a browser adds after the page signed the request, so they are never signed.
fn is_unsigned_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "origin"
        || name.starts_with("access-control-request-")
        || name == "user-agent"
        || name == "referer"
}

fn identity(creds: &Credentials) -> Identity {
    aws_credential_types::Credentials::new(
        creds.access_key.clone(),
        creds.secret_key.clone(),
        creds.session_token.clone(),
        None,
        "corsprobe",
    )
    .into()
}

fn settings(
    s3_rules: bool,
    location: SignatureLocation,
    expires: Option<Duration>,
) -> SigningSettings {
    let mut s = SigningSettings::default();
    if s3_rules {
        // S3 signs the path as sent (single encoding, no dot-segment normalisation)
        // and wants the payload hash in x-amz-content-sha256.
        s.percent_encoding_mode = PercentEncodingMode::Single;
        s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if location == SignatureLocation::Headers {
            s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    s.signature_location = location;
    s.expires_in = expires;
    s
}

/// The parts of a request that a header signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Full URL, already percent-encoded.
    pub url: &'a str,
    /// Header lines; browser-added ones are left out of the signature.
    pub headers: &'a [(String, String)],
    /// Body bytes (hashed into `x-amz-content-sha256` under S3 rules).
    pub body: &'a [u8],
}

/// Signs a request with the given settings and returns the signing instructions.
fn instructions(
    creds: &Credentials,
    scope: &Scope<'_>,
    time: SystemTime,
    settings: SigningSettings,
    request: Result<SignableRequest<'_>, aws_sigv4::http_request::SigningError>,
    url: &str,
) -> Result<aws_sigv4::http_request::SigningInstructions, String> {
    let identity = identity(creds);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let request = request.map_err(|e| format!("cannot sign {url}: {e}"))?;
    Ok(sign(request, &params)
        .map_err(|e| format!("cannot sign {url}: {e}"))?
        .into_parts()
        .0)
}

/// Signs a request in headers; returns the headers to add (`authorization`, `x-amz-date`, ...).
pub fn header_signature(
    creds: &Credentials,
    scope: &Scope<'_>,
    s3_rules: bool,
    req: Unsigned<'_>,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let Unsigned {
        method,
        url,
        headers,
        body,
    } = req;
    let signed: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(n, _)| !is_unsigned_header(n))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = SignableRequest::new(method, url, signed.into_iter(), SignableBody::Bytes(body));
    let settings = settings(s3_rules, SignatureLocation::Headers, None);
    let out = instructions(creds, scope, time, settings, request, url)?;
    Ok(out
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect())
}

/// Presigns a request; returns the query parameters to append (`X-Amz-Signature`, ...).
pub fn presigned_query(
    creds: &Credentials,
    scope: &Scope<'_>,
    (method, url, headers): (&str, &str, &[(String, String)]),
    expires: Duration,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::UnsignedPayload,
    );
    let settings = settings(true, SignatureLocation::QueryParams, Some(expires));
    let out = instructions(creds, scope, time, settings, request, url)?;
    Ok(out
        .params()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect())
}

/// The signature of a browser POST upload: HMAC of the base64 policy with the SigV4 signing key.
pub fn post_policy_signature(
    secret_key: &str,
    scope: &Scope<'_>,
    time: SystemTime,
    policy_base64: &str,
) -> String {
    let key = v4::generate_signing_key(secret_key, time, scope.region, scope.service);
    v4::calculate_signature(key, policy_base64.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `YYYYMMDDTHHMMSSZ` for the published vectors.
    fn at(stamp: &str) -> SystemTime {
        crate::model::clock::parse_basic_datetime(stamp).expect("a compact UTC timestamp")
    }

    fn creds(ak: &str, sk: &str) -> Credentials {
        Credentials {
            access_key: ak.into(),
            secret_key: sk.into(),
            session_token: None,
        }
    }

    fn authorization(headers: &[(String, String)]) -> &str {
        &headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1
    }

    /// The Authorization header of the SigV4 test suite's vanilla request (`get-vanilla`,
    /// `post-vanilla`) with this method, signed with this secret.
    fn vanilla(method: &str, secret: &str) -> String {
        let h = header_signature(
            &creds("AKIDEXAMPLE", secret),
            &Scope {
                region: "us-east-1",
                service: "service",
            },
            false,
            Unsigned {
                method,
                url: "https://example.amazonaws.com/",
                headers: &[],
                body: b"",
            },
            at("20150830T123600Z"),
        )
        .unwrap();
        authorization(&h).to_string()
    }

    const VANILLA_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn sigv4_test_suite_get_vanilla() {
        assert_eq!(
            vanilla("GET", VANILLA_SECRET),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn sigv4_test_suite_post_vanilla() {
        let h = vanilla("POST", VANILLA_SECRET);
        assert!(
            h.ends_with(
                "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
            ),
            "{h}"
        );
    }

    /// The Authorization header of AWS's S3 GetObject example (the example keys, 2013-05-24),
    /// with these request headers.
    fn s3_example_get(headers: &[(&str, &str)]) -> String {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let h = header_signature(
            &creds(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            &Scope {
                region: "us-east-1",
                service: "s3",
            },
            true,
            Unsigned {
                method: "GET",
                url: "https://examplebucket.s3.amazonaws.com/test.txt",
                headers: &headers,
                body: b"",
            },
            at("20130524T000000Z"),
        )
        .unwrap();
        authorization(&h).to_string()
    }

    /// The published signature of that example with `Range: bytes=0-9`.
    const RANGE_EXAMPLE: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    #[test]
    fn s3_get_object_with_range_example() {
        let auth = s3_example_get(&[("range", "bytes=0-9")]);
        assert!(
            auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"),
            "{auth}"
        );
        assert!(
            auth.ends_with(&format!("Signature={RANGE_EXAMPLE}")),
            "{auth}"
        );
    }

    #[test]
    fn browser_added_headers_are_not_signed() {
        let auth = s3_example_get(&[("range", "bytes=0-9"), ("Origin", "http://app.example")]);
        assert!(auth.ends_with(RANGE_EXAMPLE), "{auth}");
    }

    #[test]
    fn s3_presigned_get_example() {
        let c = creds(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        let scope = Scope {
            region: "us-east-1",
            service: "s3",
        };
        let q = presigned_query(
            &c,
            &scope,
            (
                "GET",
                "https://examplebucket.s3.amazonaws.com/test.txt",
                &[],
            ),
            Duration::from_secs(86400),
            at("20130524T000000Z"),
        )
        .unwrap();
        let sig = &q.iter().find(|(n, _)| n == "X-Amz-Signature").unwrap().1;
        assert_eq!(
            sig,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn post_policy_signing_key_matches_the_published_example() {
        let key = v4::generate_signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            at("20151229T000000Z"),
            "us-east-1",
            "s3",
        );
        let hex: String = key.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "cbcef1ebeaefc82cce6530b9f0a9ae598846065f5c5bae0674bd5ebc4ba52d28"
        );
    }

    #[test]
    fn a_wrong_secret_changes_the_signature() {
        assert_ne!(vanilla("GET", VANILLA_SECRET), vanilla("GET", "other"));
    }
}
