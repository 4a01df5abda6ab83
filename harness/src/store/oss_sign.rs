//! Alibaba Cloud OSS request signing, V1 (HMAC-SHA1) and V4 (OSS4-HMAC-SHA256), in headers,
//! in presigned URLs and for PostObject policies.
//!
//! Written here because no maintained Rust crate signs OSS requests; every function is pinned
//! by the published vectors in `fixtures/signing/oss.toml`.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Digest as _;

type HmacSha1 = Hmac<sha1::Sha1>;
type HmacSha256 = Hmac<sha2::Sha256>;

/// Query keys V1 signs as sub-resources (besides any `x-oss-*` key).
const SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "cname",
    "comp",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "img",
    "inventory",
    "lifecycle",
    "live",
    "location",
    "logging",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "qos",
    "referer",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "resourceGroup",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "startTime",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
];

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha1::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The resource being signed: bucket, key and the decoded query pairs.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    /// Bucket name, if any.
    pub bucket: Option<&'a str>,
    /// Object key (not encoded), if any.
    pub key: Option<&'a str>,
    /// Decoded query pairs; an empty value means a bare key (`?cors`).
    pub query: &'a [(String, String)],
}

/// `k` or `k=v` (a bare key when the value is empty), joined by `&`.
fn join_pairs<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> String {
    pairs
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// V1 CanonicalizedResource: `/bucket/key` plus the sorted sub-resources.
pub fn v1_canonical_resource(r: &Resource<'_>) -> String {
    let mut out = match (r.bucket, r.key) {
        (None, _) => "/".to_string(),
        (Some(b), None) => format!("/{b}/"),
        (Some(b), Some(k)) => format!("/{b}/{k}"),
    };
    let mut subs: Vec<&(String, String)> = r
        .query
        .iter()
        .filter(|(k, _)| SUBRESOURCES.contains(&k.as_str()) || k.starts_with("x-oss-"))
        .collect();
    subs.sort();
    if !subs.is_empty() {
        out.push('?');
        out.push_str(&join_pairs(subs.into_iter()));
    }
    out
}

/// The `x-oss-*` headers, lower-cased, sorted, `name:value\n` each; repeated names joined by `,`.
fn v1_oss_headers(headers: &[(String, String)]) -> String {
    let mut map: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        if n.starts_with("x-oss-") {
            map.entry(n).or_default().push(v.trim().to_string());
        }
    }
    map.into_iter()
        .map(|(n, v)| format!("{n}:{}\n", v.join(",")))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// V1 StringToSign; `date` is the Date header, or the Expires value of a presigned URL.
pub fn v1_string_to_sign(
    method: &str,
    headers: &[(String, String)],
    date: &str,
    r: &Resource<'_>,
) -> String {
    format!(
        "{method}\n{}\n{}\n{date}\n{}{}",
        header(headers, "content-md5"),
        header(headers, "content-type"),
        v1_oss_headers(headers),
        v1_canonical_resource(r)
    )
}

/// V1 signature: base64(HMAC-SHA1(secret, string to sign)).
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    b64(&hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// The keys a signature is made with.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    /// Access key id.
    pub access_key: &'a str,
    /// Access key secret.
    pub secret: &'a str,
    /// STS token, if any.
    pub security_token: Option<&'a str>,
}

/// The query parameters of a V1 presigned URL (`Expires`, `OSSAccessKeyId`, `Signature`, and
/// `security-token`, which is signed as a sub-resource).
pub fn v1_presign(
    keys: Keys<'_>,
    method: &str,
    headers: &[(String, String)],
    r: &Resource<'_>,
    expires: u64,
) -> Vec<(String, String)> {
    let Keys {
        access_key,
        secret,
        security_token,
    } = keys;
    let mut query = r.query.to_vec();
    if let Some(t) = security_token {
        query.push(("security-token".to_string(), t.to_string()));
    }
    let signed = Resource {
        query: &query,
        ..*r
    };
    let signature = v1_signature(
        secret,
        &v1_string_to_sign(method, headers, &expires.to_string(), &signed),
    );
    let mut params = vec![
        ("Expires".to_string(), expires.to_string()),
        ("OSSAccessKeyId".to_string(), access_key.to_string()),
        ("Signature".to_string(), signature),
    ];
    if let Some(t) = security_token {
        params.push(("security-token".to_string(), t.to_string()));
    }
    params
}

/// Percent-encodes everything but `A-Za-z0-9-._~` (and `/` when `keep_slash`), upper-case hex.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inputs of a V4 signature.
#[derive(Debug, Clone)]
pub struct V4<'a> {
    /// Region, e.g. `cn-hangzhou`.
    pub region: &'a str,
    /// Product, `oss` (or `oss-cloudbox`).
    pub product: &'a str,
    /// `yyyymmddThhmmssZ`.
    pub datetime: &'a str,
    /// Names of extra headers to sign (besides `x-oss-*`, content-type, content-md5).
    pub additional_headers: &'a [String],
}

fn signed_by_default(name: &str) -> bool {
    name.starts_with("x-oss-") || name == "content-type" || name == "content-md5"
}

/// The AdditionalHeaders actually signed: lower-cased, sorted, present, not signed by default.
pub fn v4_additional(headers: &[(String, String)], additional: &[String]) -> Vec<String> {
    let mut names: Vec<String> = additional
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .filter(|h| !signed_by_default(h) && headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// V4 CanonicalRequest.
pub fn v4_canonical_request(
    method: &str,
    headers: &[(String, String)],
    r: &Resource<'_>,
    v4: &V4<'_>,
) -> String {
    let uri = match (r.bucket, r.key) {
        (None, _) => "/".to_string(),
        (Some(b), None) => format!("/{}/", uri_encode(b, true)),
        (Some(b), Some(k)) => format!("/{}/{}", uri_encode(b, true), uri_encode(k, true)),
    };
    let mut query: Vec<(String, String)> = r
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    query.sort();
    let query = join_pairs(query.iter());
    let additional = v4_additional(headers, v4.additional_headers);
    let mut signed: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        if signed_by_default(&n) || additional.contains(&n) {
            signed.entry(n).or_default().push(v.trim().to_string());
        }
    }
    let canonical_headers: String = signed
        .iter()
        .map(|(n, v)| format!("{n}:{}\n", v.join(",")))
        .collect();
    let payload = match header(headers, "x-oss-content-sha256") {
        "" => "UNSIGNED-PAYLOAD",
        p => p,
    };
    format!(
        "{method}\n{uri}\n{}\n{canonical_headers}\n{}\n{payload}",
        query,
        additional.join(";")
    )
}

/// `<date>/<region>/<product>/aliyun_v4_request`.
pub fn v4_scope(v4: &V4<'_>) -> String {
    format!(
        "{}/{}/{}/aliyun_v4_request",
        &v4.datetime[..8],
        v4.region,
        v4.product
    )
}

/// V4 StringToSign over a canonical request.
pub fn v4_string_to_sign(canonical_request: &str, v4: &V4<'_>) -> String {
    format!(
        "OSS4-HMAC-SHA256\n{}\n{}\n{}",
        v4.datetime,
        v4_scope(v4),
        hex(&sha2::Sha256::digest(canonical_request.as_bytes()))
    )
}

/// V4 signing key: HMAC chain from `aliyun_v4` + secret over date, region, product, `aliyun_v4_request`.
pub fn v4_signing_key(secret: &str, v4: &V4<'_>) -> Vec<u8> {
    let k = hmac_sha256(
        format!("aliyun_v4{secret}").as_bytes(),
        &v4.datetime.as_bytes()[..8],
    );
    let k = hmac_sha256(&k, v4.region.as_bytes());
    let k = hmac_sha256(&k, v4.product.as_bytes());
    hmac_sha256(&k, b"aliyun_v4_request")
}

/// V4 signature: hex(HMAC-SHA256(signing key, string to sign)).
pub fn v4_signature(secret: &str, string_to_sign: &str, v4: &V4<'_>) -> String {
    hex(&hmac_sha256(
        &v4_signing_key(secret, v4),
        string_to_sign.as_bytes(),
    ))
}

/// The V4 `Authorization` header for a request whose headers already carry x-oss-date.
pub fn v4_authorization(
    access_key: &str,
    secret: &str,
    method: &str,
    headers: &[(String, String)],
    r: &Resource<'_>,
    v4: &V4<'_>,
) -> String {
    let sts = v4_string_to_sign(&v4_canonical_request(method, headers, r, v4), v4);
    let additional = v4_additional(headers, v4.additional_headers);
    let extra = if additional.is_empty() {
        String::new()
    } else {
        format!(",AdditionalHeaders={}", additional.join(";"))
    };
    format!(
        "OSS4-HMAC-SHA256 Credential={access_key}/{}{extra},Signature={}",
        v4_scope(v4),
        v4_signature(secret, &sts, v4)
    )
}

/// The query parameters of a V4 presigned URL (the request's own query not included).
pub fn v4_presign(
    keys: Keys<'_>,
    method: &str,
    headers: &[(String, String)],
    r: &Resource<'_>,
    v4: &V4<'_>,
    expires: u64,
) -> Vec<(String, String)> {
    let Keys {
        access_key,
        secret,
        security_token,
    } = keys;
    let additional = v4_additional(headers, v4.additional_headers);
    let mut auth = vec![
        (
            "x-oss-signature-version".to_string(),
            "OSS4-HMAC-SHA256".to_string(),
        ),
        ("x-oss-date".to_string(), v4.datetime.to_string()),
        ("x-oss-expires".to_string(), expires.to_string()),
        (
            "x-oss-credential".to_string(),
            format!("{access_key}/{}", v4_scope(v4)),
        ),
    ];
    if !additional.is_empty() {
        auth.push(("x-oss-additional-headers".to_string(), additional.join(";")));
    }
    if let Some(t) = security_token {
        auth.push(("x-oss-security-token".to_string(), t.to_string()));
    }
    let mut query: Vec<(String, String)> = r.query.to_vec();
    query.extend(auth.iter().cloned());
    let signed = Resource {
        query: &query,
        ..*r
    };
    let sts = v4_string_to_sign(&v4_canonical_request(method, headers, &signed, v4), v4);
    auth.push((
        "x-oss-signature".to_string(),
        v4_signature(secret, &sts, v4),
    ));
    auth
}

/// PostObject V1: base64(HMAC-SHA1(secret, base64 policy)).
pub fn post_v1_signature(secret: &str, policy_base64: &str) -> String {
    v1_signature(secret, policy_base64)
}

/// PostObject V4: hex(HMAC-SHA256(V4 signing key, base64 policy)).
pub fn post_v4_signature(secret: &str, policy_base64: &str, v4: &V4<'_>) -> String {
    v4_signature(secret, policy_base64, v4)
}

/// Base64 of a policy document, as sent in the `policy` form field.
pub fn policy_base64(policy_json: &str) -> String {
    b64(policy_json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn multipart_sub_resources_are_signed_sorted_and_signature_fields_are_not() {
        let query = pairs(&[
            ("uploadId", "0004B9894A22E5B1888A1E29F823****"),
            ("partNumber", "1"),
            ("Expires", "1141889120"),
        ]);
        let r = Resource {
            bucket: Some("examplebucket"),
            key: Some("big.bin"),
            query: &query,
        };
        assert_eq!(
            v1_canonical_resource(&r),
            "/examplebucket/big.bin?partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823****"
        );
        let create = pairs(&[("uploads", "")]);
        let r = Resource {
            bucket: Some("examplebucket"),
            key: Some("big.bin"),
            query: &create,
        };
        assert_eq!(v1_canonical_resource(&r), "/examplebucket/big.bin?uploads");
        let complete = v1_string_to_sign(
            "POST",
            &pairs(&[("content-type", "application/xml")]),
            "1141889120",
            &r,
        );
        assert_eq!(
            complete,
            "POST\n\napplication/xml\n1141889120\n/examplebucket/big.bin?uploads"
        );
    }
}
