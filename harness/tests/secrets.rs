//! No credential and no signature in any output, whatever the store sends back.
//!
//! The whole probe suite runs, in the S3 dialect and both OSS signatures, against two hostile
//! loopback servers: one that echoes every request (the URL in `Location`, the `Authorization`
//! and token headers in `x-echo-*`, and the URL again in an error body's `<Message>`,
//! `<Resource>` and `<Endpoint>`), and one that breaks the connection on every presigned request
//! so that the HTTP client's error text would carry the presigned URL. Every output a user can
//! get is rendered (JSON, console, Markdown, JUnit, TAP, HTML, snapshots) and searched for the
//! access key (short on purpose: too short for the literal pass), the secret key, a session
//! token with `+ / =` raw and percent-encoded, and every signature the run made, raw and
//! percent-encoded; and no `Signature=` may be followed by anything but the placeholder.

mod common;

use corsprobe::model::snapshot;
use corsprobe::model::vocabulary::{Dialect, OssSignature};
use corsprobe::report::{
    console, html, json, junit, markdown, matrix::Matrix, record::RunRecord, tap,
};
use corsprobe::run::engine::RunOptions;
use corsprobe::store::client::Client;
use corsprobe::store::target::{Credentials, Target};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCESS_KEY: &str = "AKSHORT7";
const SECRET_KEY: &str = "secret-key-of-the-hostile-test-0001";
const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDH+k3y/Q9aAbCdEf+gh/ij==";

#[derive(Clone, Copy, Debug)]
enum Server {
    /// Answers 200 and echoes the request in headers and an error-shaped body.
    Echo,
    /// Answers with an empty 200, but resets or garbles every presigned request.
    BreakSigned,
}

/// The request line's target and the headers, from the bytes read so far.
fn parse(head: &str) -> (String, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (target, headers)
}

async fn serve(kind: Server) -> u16 {
    common::accept_loop(move |mut stream, turn| async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut len = 0;
                while len < buf.len() {
                    match stream.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => len += k,
                    }
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..len]).to_string();
                let (target, headers) = parse(&head);
                let header = |name: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let presigned = target.to_ascii_lowercase().contains("signature");
                let reply = match kind {
                    Server::BreakSigned if presigned => {
                        if turn.is_multiple_of(2) {
                            #[allow(deprecated)]
                            let _ = stream.set_linger(Some(Duration::ZERO));
                            return;
                        }
                        b"HTTP/0.9 200 OK\r\n\x16\x03\r\n\r\n".to_vec()
                    }
                    Server::BreakSigned => {
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                    Server::Echo => {
                        let escaped = target.replace('&', "&amp;");
                        let body = format!(
                            "<Error><Code>AccessDenied</Code><Message>Denied: {escaped} signed {}</Message><Resource>{escaped}</Resource><Endpoint>{}{escaped}</Endpoint><HostId>{}</HostId></Error>",
                            header("authorization"),
                            header("host"),
                            header("x-amz-security-token") + &header("x-oss-security-token"),
                        );
                        format!(
                            "HTTP/1.1 200 OK\r\nLocation: http://{}{target}\r\nx-echo-authorization: {}\r\nx-echo-token: {}{}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            header("host"),
                            header("authorization"),
                            header("x-amz-security-token"),
                            header("x-oss-security-token"),
                            body.len()
                        )
                        .into_bytes()
                    }
                };
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
    })
    .await
}

fn target(port: u16, dialect: Dialect, signature: OssSignature) -> Target {
    let creds = Credentials {
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        session_token: Some(TOKEN.into()),
    };
    let endpoint = reqwest::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let region = if dialect == Dialect::Oss {
        "cn-hangzhou"
    } else {
        "us-east-1"
    };
    let mut t = Target::new("hostile", dialect, endpoint, region, creds);
    t.oss_signature = signature;
    t
}

/// A value as it stands in text and as a URL carries it.
fn spellings(value: &str) -> Vec<String> {
    let upper: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let lower = upper
        .split('%')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 || part.len() < 2 {
                part.to_string()
            } else {
                format!("%{}{}", part[..2].to_ascii_lowercase(), &part[2..])
            }
        })
        .collect::<String>();
    vec![value.to_string(), upper, lower]
}

/// Every output a user can get from the run, by name.
fn outputs(record: &RunRecord, client: &Client) -> Vec<(String, String)> {
    // Findings quote what the store answered, and their repro scripts are outputs too.
    let mut record = record.clone();
    let root = common::repo();
    let scenarios = common::all_scenarios();
    let catalog = corsprobe::run::session::catalog_of(&root, &scenarios).unwrap();
    record.findings = catalog.findings(&record.results);
    assert!(
        !record.findings.is_empty(),
        "a hostile store gives findings"
    );
    let record = &record;
    let mut out = vec![
        ("json".to_string(), json::render(record, client.redactor())),
        ("console".to_string(), console::render(record, true)),
    ];
    for f in &record.findings {
        if let Ok(chosen) = corsprobe::repro::for_finding(f, &scenarios) {
            let script = corsprobe::repro::script::render(
                client,
                chosen.scenario,
                &chosen.heading,
                &root,
                &root.join("fixtures/targets.toml"),
            );
            out.push((format!("repro {}", f.id), script));
        }
    }
    for r in &record.results {
        out.push((format!("snapshot {}", r.id), snapshot::render(r)));
    }
    let m = Matrix::new(vec![record.clone()]);
    out.push(("markdown".into(), markdown::render(&m)));
    out.push(("junit".into(), junit::render(&m)));
    out.push(("tap".into(), tap::render(&m)));
    assert!(
        out.iter().any(|(n, _)| n.starts_with("repro ")),
        "the findings' repro scripts are searched too"
    );
    out.push(("junit by finding".into(), junit::render_findings(&m)));
    out.push(("tap by finding".into(), tap::render_findings(&m)));
    let dir = std::env::temp_dir().join(format!(
        "corsprobe-secrets-html-{}-{}",
        std::process::id(),
        record.run_id
    ));
    html::write_report(&dir, &m).unwrap();
    for entry in walk(&dir) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        out.push((format!("html {}", entry.display()), text));
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// The first leak found: which output, what leaked, and the text around it.
fn leak(outputs: &[(String, String)], secrets: &[(String, String)]) -> Option<String> {
    for (name, text) in outputs {
        for (what, s) in secrets {
            if let Some(at) = text.find(s.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                return Some(format!(
                    "{name} holds {what}: …{}…",
                    &text[from..(at + s.len()).min(text.len())]
                ));
            }
        }
        let lower = text.to_ascii_lowercase();
        for marker in [
            "signature=",
            "signature%3d",
            "credential=",
            "security-token=",
        ] {
            for (at, _) in lower.match_indices(marker) {
                let after = &text[at + marker.len()..];
                if !after.starts_with("[redacted]") && !after.is_empty() {
                    let end = after.char_indices().nth(30).map_or(after.len(), |(i, _)| i);
                    return Some(format!(
                        "{name}: `{marker}` followed by `{}`",
                        &after[..end]
                    ));
                }
            }
        }
    }
    None
}

async fn run_against(kind: Server, dialect: Dialect, signature: OssSignature) {
    let port = serve(kind).await;
    let mut client =
        Client::new(&target(port, dialect, signature), Duration::from_secs(3)).unwrap();
    let signatures = client.record_signatures();
    let scenarios = common::probe_scenarios(&[]);
    let opts = RunOptions::new(4).with_run_id(format!("s{}", dialect.name()));
    let results = common::run(&client, &scenarios, &opts).await;
    let sent_signed = results
        .iter()
        .flat_map(|r| &r.exchanges)
        .filter(|e| {
            e.request.url.contains("ignature=")
                || e.request.headers.iter().any(|(n, _)| n == "authorization")
        })
        .count();
    assert!(
        sent_signed > 50,
        "{kind:?}: only {sent_signed} signed requests were sent"
    );
    if let Server::BreakSigned = kind {
        let broken = results
            .iter()
            .flat_map(|r| &r.exchanges)
            .filter(|e| e.error.is_some() && e.request.url.contains("ignature="))
            .count();
        assert!(broken > 0, "no presigned request met a transport error");
    }
    let record = RunRecord::new(
        &client.target().clone(),
        "now".into(),
        0.0,
        4,
        opts.run_id.clone(),
        results,
    );
    let mut secrets: Vec<(String, String)> = Vec::new();
    for (what, value) in [
        ("the access key", ACCESS_KEY),
        ("the secret key", SECRET_KEY),
        ("the session token", TOKEN),
    ] {
        secrets.extend(spellings(value).into_iter().map(|s| (what.to_string(), s)));
    }
    let made = signatures.lock().unwrap().clone();
    assert!(made.len() > 50, "only {} signatures made", made.len());
    for sig in &made {
        secrets.extend(
            spellings(sig)
                .into_iter()
                .map(|s| ("a signature".to_string(), s)),
        );
    }
    let outputs = outputs(&record, &client);
    assert!(
        outputs.len() > 100,
        "only {} outputs rendered",
        outputs.len()
    );
    if let Some(found) = leak(&outputs, &secrets) {
        panic!("{kind:?} {dialect:?} {signature:?}: {found}");
    }
}

#[test]
fn the_search_finds_a_planted_leak() {
    let secrets = vec![("the access key".to_string(), ACCESS_KEY.to_string())];
    let planted = |t: &str| vec![("json".to_string(), t.to_string())];
    assert!(leak(&planted(&format!("key {ACCESS_KEY}")), &secrets).is_some());
    assert!(leak(&planted("x?X-Amz-Signature=abc"), &secrets).is_some());
    assert!(leak(&planted("OSS4 Credential=ab/c"), &secrets).is_some());
    assert!(
        leak(
            &planted("x?X-Amz-Signature=[redacted]&Credential=[redacted]"),
            &secrets
        )
        .is_none()
    );
    assert_eq!(spellings("a+/="), vec!["a+/=", "a%2B%2F%3D", "a%2b%2f%3d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_echoed_requests_leak_nothing() {
    run_against(Server::Echo, Dialect::S3, OssSignature::V4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_transport_errors_on_presigned_urls_leak_nothing() {
    run_against(Server::BreakSigned, Dialect::S3, OssSignature::V4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_v4_echoed_requests_leak_nothing() {
    run_against(Server::Echo, Dialect::Oss, OssSignature::V4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_v4_transport_errors_leak_nothing() {
    run_against(Server::BreakSigned, Dialect::Oss, OssSignature::V4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_v1_echoed_requests_leak_nothing() {
    run_against(Server::Echo, Dialect::Oss, OssSignature::V1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_v1_transport_errors_leak_nothing() {
    run_against(Server::BreakSigned, Dialect::Oss, OssSignature::V1).await;
}
