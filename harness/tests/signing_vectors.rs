//! Every OSS signing vector in `fixtures/signing/oss.toml`, rebuilt from its request parts.

use corsprobe::store::oss_sign::{self, Resource, V4};
use serde::Deserialize;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    v1: Vec<V1Vector>,
    v4: Vec<V4Vector>,
    post: Vec<PostVector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Vector {
    name: String,
    source: String,
    #[serde(default)]
    access_key: Option<String>,
    secret: String,
    #[serde(default)]
    security_token: Option<String>,
    method: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    expires: Option<u64>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    string_to_sign: Option<String>,
    signature: String,
    #[serde(default)]
    authorization: Option<String>,
    #[serde(default)]
    presigned_query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V4Vector {
    name: String,
    source: String,
    access_key: String,
    secret: String,
    #[serde(default)]
    security_token: Option<String>,
    region: String,
    product: String,
    time: u64,
    #[serde(default)]
    expires: Option<u64>,
    method: String,
    bucket: String,
    key: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    #[serde(default)]
    additional_headers: Vec<String>,
    #[serde(default)]
    canonical_request: Option<String>,
    #[serde(default)]
    canonical_request_sha256: Option<String>,
    #[serde(default)]
    authorization: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    signing_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostVector {
    name: String,
    source: String,
    secret: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    time: Option<u64>,
    policy: String,
    #[serde(default)]
    policy_base64: Option<String>,
    signature: String,
}

fn vectors() -> Vectors {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/signing/oss.toml");
    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn datetime(secs: u64) -> String {
    corsprobe::model::clock::basic_datetime(UNIX_EPOCH + Duration::from_secs(secs))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn encode_query(pairs: &[(String, String)]) -> String {
    let mut sorted = pairs.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                oss_sign::uri_encode(k, false),
                oss_sign::uri_encode(v, false)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn oss_v1_vectors() {
    let all = vectors().v1;
    assert!(all.len() >= 12);
    for v in &all {
        assert!(!v.source.is_empty());
        let r = Resource {
            bucket: v.bucket.as_deref(),
            key: v.key.as_deref(),
            query: &v.query,
        };
        if let Some(body) = &v.body {
            use md5::Digest as _;
            let md5 = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                md5::Md5::digest(body.as_bytes()),
            );
            let sent = v
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-md5"))
                .map(|(_, m)| m.as_str());
            assert_eq!(
                Some(md5.as_str()),
                sent,
                "{}: Content-MD5 of the body",
                v.name
            );
        }
        let signature = match v.expires {
            Some(expires) => {
                let params = oss_sign::v1_presign(
                    oss_sign::Keys {
                        access_key: v.access_key.as_deref().unwrap_or(""),
                        secret: &v.secret,
                        security_token: v.security_token.as_deref(),
                    },
                    &v.method,
                    &v.headers,
                    &r,
                    expires,
                );
                let mut with_token = v.query.clone();
                if let Some(t) = &v.security_token {
                    with_token.push(("security-token".into(), t.clone()));
                }
                let signed = Resource {
                    query: &with_token,
                    ..r
                };
                if let Some(sts) = &v.string_to_sign {
                    assert_eq!(
                        &oss_sign::v1_string_to_sign(
                            &v.method,
                            &v.headers,
                            &expires.to_string(),
                            &signed
                        ),
                        sts,
                        "{}",
                        v.name
                    );
                }
                if let Some(q) = &v.presigned_query {
                    let mut all_params = v.query.clone();
                    all_params.extend(params.iter().cloned());
                    assert_eq!(&encode_query(&all_params), q, "{}", v.name);
                }
                params
                    .iter()
                    .find(|(n, _)| n == "Signature")
                    .unwrap()
                    .1
                    .clone()
            }
            None => {
                let date = v.date.as_deref().expect("a header vector has a date");
                let sts = oss_sign::v1_string_to_sign(&v.method, &v.headers, date, &r);
                if let Some(expected) = &v.string_to_sign {
                    assert_eq!(&sts, expected, "{}", v.name);
                }
                oss_sign::v1_signature(&v.secret, &sts)
            }
        };
        assert_eq!(signature, v.signature, "{}", v.name);
        if let Some(auth) = &v.authorization {
            assert_eq!(
                &format!("OSS {}:{signature}", v.access_key.as_deref().unwrap()),
                auth,
                "{}",
                v.name
            );
        }
    }
    println!("{} OSS V1 vectors hold", all.len());
}

#[test]
fn oss_v4_vectors() {
    let all = vectors().v4;
    assert!(all.len() >= 7);
    for v in &all {
        assert!(!v.source.is_empty());
        let dt = datetime(v.time);
        let p = V4 {
            region: &v.region,
            product: &v.product,
            datetime: &dt,
            additional_headers: &v.additional_headers,
        };
        let r = Resource {
            bucket: Some(&v.bucket),
            key: Some(&v.key),
            query: &v.query,
        };
        if let Some(key) = &v.signing_key {
            assert_eq!(
                &hex(&oss_sign::v4_signing_key(&v.secret, &p)),
                key,
                "{}: signing key",
                v.name
            );
        }
        match v.expires {
            Some(expires) => {
                let params = oss_sign::v4_presign(
                    oss_sign::Keys {
                        access_key: &v.access_key,
                        secret: &v.secret,
                        security_token: v.security_token.as_deref(),
                    },
                    &v.method,
                    &v.headers,
                    &r,
                    &p,
                    expires,
                );
                let sig = &params
                    .iter()
                    .find(|(n, _)| n == "x-oss-signature")
                    .unwrap()
                    .1;
                assert_eq!(Some(sig), v.signature.as_ref(), "{}", v.name);
            }
            None => {
                let mut headers = v.headers.clone();
                headers.push(("x-oss-date".into(), dt.clone()));
                if let Some(t) = &v.security_token {
                    headers.push(("x-oss-security-token".into(), t.clone()));
                }
                let creq = oss_sign::v4_canonical_request(&v.method, &headers, &r, &p);
                if let Some(expected) = &v.canonical_request {
                    assert_eq!(&creq, expected, "{}: canonical request", v.name);
                }
                if let Some(hash) = &v.canonical_request_sha256 {
                    let sts = oss_sign::v4_string_to_sign(&creq, &p);
                    assert!(
                        sts.ends_with(hash.as_str()),
                        "{}: string to sign {sts}",
                        v.name
                    );
                }
                let auth = oss_sign::v4_authorization(
                    &v.access_key,
                    &v.secret,
                    &v.method,
                    &headers,
                    &r,
                    &p,
                );
                assert_eq!(Some(&auth), v.authorization.as_ref(), "{}", v.name);
            }
        }
    }
    println!("{} OSS V4 vectors hold", all.len());
}

#[test]
fn oss_post_policy_vectors() {
    let all = vectors().post;
    for v in &all {
        assert!(!v.source.is_empty());
        let b64 = oss_sign::policy_base64(&v.policy);
        if let Some(expected) = &v.policy_base64 {
            assert_eq!(&b64, expected, "{}", v.name);
        }
        let sig = match (&v.region, &v.product, v.time) {
            (Some(region), Some(product), Some(time)) => {
                let dt = datetime(time);
                oss_sign::post_v4_signature(
                    &v.secret,
                    &b64,
                    &V4 {
                        region,
                        product,
                        datetime: &dt,
                        additional_headers: &[],
                    },
                )
            }
            _ => oss_sign::post_v1_signature(&v.secret, &b64),
        };
        assert_eq!(sig, v.signature, "{}", v.name);
    }
    println!("{} OSS PostObject vectors hold", all.len());
}

#[test]
fn a_changed_input_changes_every_signature() {
    let v = &vectors().v1[0];
    let r = Resource {
        bucket: v.bucket.as_deref(),
        key: Some("other"),
        query: &v.query,
    };
    let sts = oss_sign::v1_string_to_sign(&v.method, &v.headers, v.date.as_deref().unwrap(), &r);
    assert_ne!(oss_sign::v1_signature(&v.secret, &sts), v.signature);
}
