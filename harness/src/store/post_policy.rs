//! Browser form uploads (POST Object): the policy document and the signed form fields, for S3
//! (SigV4) and OSS (V1 or V4).

use crate::store::target::{Credentials, Target};

use crate::model::vocabulary::{Dialect, Form, OssSignature};
use std::time::SystemTime;

/// One condition of a POST policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The field must equal the value: `{"name":"value"}`.
    Exact(String, String),
    /// The field must start with the prefix: `["starts-with","$name","prefix"]`.
    StartsWith(String, String),
    /// The file size must be within the range: `["content-length-range",min,max]`.
    ContentLengthRange(u64, u64),
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

impl Condition {
    fn json(&self) -> String {
        match self {
            Condition::Exact(k, v) => format!("{{{}:{}}}", json_str(k), json_str(v)),
            Condition::StartsWith(k, p) => format!(
                "[\"starts-with\",{},{}]",
                json_str(&format!("${k}")),
                json_str(p)
            ),
            Condition::ContentLengthRange(a, b) => format!("[\"content-length-range\",{a},{b}]"),
        }
    }
}

/// The policy document, in the compact form the vendors' examples use.
pub fn policy_json(expiration: SystemTime, conditions: &[Condition]) -> String {
    let exp = crate::model::clock::rfc3339(expiration).replace('Z', ".000Z");
    let parts: Vec<String> = conditions.iter().map(Condition::json).collect();
    format!(
        "{{\"expiration\":{},\"conditions\":[{}]}}",
        json_str(&exp),
        parts.join(",")
    )
}

/// A signed form: the fields to send before `file`, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedForm {
    /// The policy as JSON (before base64), for reports and tests.
    pub policy: String,
    /// Form fields: `key`, the policy, the signature fields, then the caller's extra fields.
    pub fields: Vec<(String, String)>,
}

/// Builds the signed form fields of a POST upload of `key` into `bucket`.
///
/// `conditions` are the caller's (size range, content type, ...); the bucket, key and the
/// signature's own fields are added as the vendor requires.
pub fn signed_form(
    target: &Target,
    bucket: &str,
    key: &str,
    now: SystemTime,
    expiration: SystemTime,
    conditions: &[Condition],
) -> SignedForm {
    let creds: &Credentials = &target.credentials;
    let datetime = crate::model::clock::basic_datetime(now);
    let date = &datetime[..8];
    let mut all = vec![Condition::Exact("bucket".into(), bucket.into())];
    let mut auth_fields: Vec<(String, String)> = Vec::new();
    let region = target.region.trim_start_matches("oss-").to_string();
    let token_field = match target.dialect {
        Dialect::S3 => "x-amz-security-token",
        Dialect::Oss => "x-oss-security-token",
    };
    match (target.dialect, target.oss_signature) {
        (Dialect::S3, _) => {
            let credential = format!(
                "{}/{date}/{}/s3/aws4_request",
                creds.access_key, target.region
            );
            for (k, v) in [
                ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_string()),
                ("x-amz-credential", credential),
                ("x-amz-date", datetime.clone()),
            ] {
                all.push(Condition::Exact(k.into(), v.clone()));
                auth_fields.push((k.into(), v));
            }
        }
        (Dialect::Oss, OssSignature::V4) => {
            let credential = format!("{}/{date}/{region}/oss/aliyun_v4_request", creds.access_key);
            for (k, v) in [
                ("x-oss-signature-version", "OSS4-HMAC-SHA256".to_string()),
                ("x-oss-credential", credential),
                ("x-oss-date", datetime.clone()),
            ] {
                all.push(Condition::Exact(k.into(), v.clone()));
                auth_fields.push((k.into(), v));
            }
        }
        (Dialect::Oss, OssSignature::V1) => {
            auth_fields.push(("OSSAccessKeyId".into(), creds.access_key.clone()));
        }
    }
    if let Some(token) = &creds.session_token {
        all.push(Condition::Exact(token_field.into(), token.clone()));
        auth_fields.push((token_field.into(), token.clone()));
    }
    all.push(Condition::Exact("key".into(), key.into()));
    all.extend(conditions.iter().cloned());
    let policy = policy_json(expiration, &all);
    let encoded = super::oss_sign::policy_base64(&policy);
    let signature = match (target.dialect, target.oss_signature) {
        (Dialect::S3, _) => (
            "x-amz-signature",
            super::s3_sign::post_policy_signature(
                &creds.secret_key,
                &super::s3_sign::Scope {
                    region: &target.region,
                    service: "s3",
                },
                now,
                &encoded,
            ),
        ),
        (Dialect::Oss, OssSignature::V4) => (
            "x-oss-signature",
            super::oss_sign::post_v4_signature(
                &creds.secret_key,
                &encoded,
                &super::oss_sign::V4 {
                    region: &region,
                    product: "oss",
                    datetime: &datetime,
                    additional_headers: &[],
                },
            ),
        ),
        (Dialect::Oss, OssSignature::V1) => (
            "Signature",
            super::oss_sign::post_v1_signature(&creds.secret_key, &encoded),
        ),
    };
    let mut fields = vec![
        ("key".to_string(), key.to_string()),
        ("policy".to_string(), encoded),
    ];
    fields.extend(auth_fields);
    fields.push((signature.0.to_string(), signature.1));
    SignedForm { policy, fields }
}

/// The fields of a form upload of `key`, honest or forged as `form` says: a forged signature
/// is made with a wrong secret, an extra field is one the policy does not name, and an expired
/// policy ran out an hour before `now`.
pub fn form_fields(
    target: &Target,
    bucket: &str,
    key: &str,
    now: SystemTime,
    form: Form,
    conditions: &[Condition],
) -> SignedForm {
    let hour = std::time::Duration::from_secs(3600);
    let expiration = match form {
        Form::ExpiredPolicy => now - hour,
        _ => now + std::time::Duration::from_secs(300),
    };
    let mut signer = target.clone();
    if form == Form::ForgedSignature {
        signer.credentials = signer.credentials.with_wrong_secret();
    }
    let mut signed = signed_form(&signer, bucket, key, now, expiration, conditions);
    if form == Form::ExtraField {
        let meta = match target.dialect {
            Dialect::S3 => "x-amz-meta-extra",
            Dialect::Oss => "x-oss-meta-extra",
        };
        signed
            .fields
            .push((meta.to_string(), "not-in-the-policy".to_string()));
    }
    signed
}

/// A `multipart/form-data` body with the fields and the file last; returns (content type, body).
pub fn multipart(
    fields: &[(String, String)],
    file_name: &str,
    content_type: &str,
    file: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "corsprobe-form-boundary-7d1f0c";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n")
            .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::target::Credentials;
    use std::time::{Duration, UNIX_EPOCH};

    fn target(dialect: Dialect, sig: OssSignature, ak: &str, sk: &str, region: &str) -> Target {
        let creds = Credentials {
            access_key: ak.into(),
            secret_key: sk.into(),
            session_token: None,
        };
        let mut t = Target::new(
            "t",
            dialect,
            reqwest::Url::parse("http://127.0.0.1:1").unwrap(),
            region,
            creds,
        );
        t.oss_signature = sig;
        t
    }

    #[test]
    fn policy_json_matches_the_published_layout() {
        let exp = UNIX_EPOCH + Duration::from_secs(1_417_435_200); // 2014-12-01T12:00:00Z
        let json = policy_json(
            exp,
            &[
                Condition::Exact("bucket".into(), "johnsmith".into()),
                Condition::StartsWith("key".into(), "user/eric/".into()),
            ],
        );
        assert_eq!(
            json,
            r#"{"expiration":"2014-12-01T12:00:00.000Z","conditions":[{"bucket":"johnsmith"},["starts-with","$key","user/eric/"]]}"#
        );
        // The V1 PostObject vector signs exactly this document.
        let b64 = crate::store::oss_sign::policy_base64(&json);
        assert_eq!(
            crate::store::oss_sign::post_v1_signature(
                "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
                &b64
            ),
            "J18ktWpx+03SAMpPzLvetM35nuo="
        );
    }

    #[test]
    fn oss_v4_form_reproduces_the_policy_vector_up_to_the_key_condition() {
        let t = target(Dialect::Oss, OssSignature::V4, "ak", "sk", "cn-hangzhou");
        let now = UNIX_EPOCH + Duration::from_secs(1_702_743_657);
        let exp = UNIX_EPOCH + Duration::from_secs(1_702_771_200); // 2023-12-17T00:00:00Z
        let form = signed_form(
            &t,
            "examplebucket",
            "k.txt",
            now,
            exp,
            &[Condition::ContentLengthRange(1, 1024)],
        );
        assert!(form.policy.starts_with(r#"{"expiration":"2023-12-17T00:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"ak/20231216/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231216T162057Z"}"#), "{}", form.policy);
        let names: Vec<&str> = form.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "policy",
                "x-oss-signature-version",
                "x-oss-credential",
                "x-oss-date",
                "x-oss-signature"
            ]
        );
        // Without the key condition the document is the published V4 vector's, byte for byte.
        let vector = policy_json(
            exp,
            &[
                Condition::Exact("bucket".into(), "examplebucket".into()),
                Condition::Exact("x-oss-signature-version".into(), "OSS4-HMAC-SHA256".into()),
                Condition::Exact(
                    "x-oss-credential".into(),
                    "ak/20231216/cn-hangzhou/oss/aliyun_v4_request".into(),
                ),
                Condition::Exact("x-oss-date".into(), "20231216T162057Z".into()),
                Condition::ContentLengthRange(1, 1024),
            ],
        );
        let dt = "20231216T162057Z";
        let sig = crate::store::oss_sign::post_v4_signature(
            "sk",
            &crate::store::oss_sign::policy_base64(&vector),
            &crate::store::oss_sign::V4 {
                region: "cn-hangzhou",
                product: "oss",
                datetime: dt,
                additional_headers: &[],
            },
        );
        assert_eq!(
            sig,
            "a2a6cb9e8486200c2bb2a6d6055ee544dd4e4ef7a1caddbab6dea155ced44e49"
        );
    }

    #[test]
    fn s3_and_oss_v1_forms_name_their_fields() {
        let now = UNIX_EPOCH + Duration::from_secs(1_702_743_657);
        let s3 = signed_form(
            &target(Dialect::S3, OssSignature::V4, "AK", "SK", "us-east-1"),
            "b",
            "k",
            now,
            now + Duration::from_secs(600),
            &[],
        );
        let names: Vec<&str> = s3.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "policy",
                "x-amz-algorithm",
                "x-amz-credential",
                "x-amz-date",
                "x-amz-signature"
            ]
        );
        let v1 = signed_form(
            &target(Dialect::Oss, OssSignature::V1, "AK", "SK", "cn-hangzhou"),
            "b",
            "k",
            now,
            now,
            &[],
        );
        let names: Vec<&str> = v1.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["key", "policy", "OSSAccessKeyId", "Signature"]);
    }

    #[test]
    fn multipart_puts_the_file_last() {
        let (ct, body) = multipart(
            &[("key".into(), "k".into())],
            "a.txt",
            "text/plain",
            b"hello",
        );
        let text = String::from_utf8(body).unwrap();
        assert!(ct.starts_with("multipart/form-data; boundary="));
        assert!(text.find("name=\"key\"").unwrap() < text.find("name=\"file\"").unwrap());
        assert!(text.ends_with("hello\r\n--corsprobe-form-boundary-7d1f0c--\r\n"));
    }
}
