//! Endpoints that misbehave: every affected scenario ends in ERROR, with the cause in its reason,
//! within a bounded time, and the run goes on.

mod common;

use corsprobe::model::cors_config::CorsConfiguration;
use corsprobe::model::verdict::Verdict;
use corsprobe::model::vocabulary::Dialect;
use corsprobe::run::engine::RunOptions;
use corsprobe::store::client::Client;
use corsprobe::store::target::{Credentials, Target};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Copy, Debug)]
enum Misbehaviour {
    Hang,
    Drip,
    Reset,
    Garbage,
    SshBanner,
    OversizedHeader,
    ManyDuplicatedHeaders,
    RedirectLoop,
}

async fn serve(mode: Misbehaviour) -> u16 {
    common::accept_loop(move |mut stream, _| async move {
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf).await;
        match mode {
            Misbehaviour::Hang => tokio::time::sleep(Duration::from_secs(600)).await,
            Misbehaviour::Drip => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                    .await;
                for _ in 0..1000 {
                    if stream.write_all(b"x").await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            Misbehaviour::Reset => {
                // SO_LINGER 0 makes the close an RST; with a zero timeout the close never blocks.
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                drop(stream);
            }
            Misbehaviour::Garbage => {
                let _ = stream
                    .write_all(&[0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x13, 0x37, b'\n'])
                    .await;
            }
            Misbehaviour::SshBanner => {
                let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
            }
            Misbehaviour::OversizedHeader => {
                let big = "a".repeat(2 * 1024 * 1024);
                let _ = stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n")
                            .as_bytes(),
                    )
                    .await;
            }
            Misbehaviour::ManyDuplicatedHeaders => {
                let dup = "Access-Control-Allow-Origin: *\r\n".repeat(5000);
                let _ = stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\n{dup}Content-Length: 0\r\n\r\n").as_bytes(),
                    )
                    .await;
            }
            Misbehaviour::RedirectLoop => {
                let _ = stream
                    .write_all(b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        }
    })
    .await
}

fn target(port: u16) -> Target {
    let creds = Credentials {
        access_key: "AKIDHOSTILE".into(),
        secret_key: "hostile-secret-key".into(),
        session_token: None,
    };
    let endpoint = reqwest::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    Target::new("hostile", Dialect::S3, endpoint, "us-east-1", creds)
}

async fn judge(mode: Misbehaviour, cause: &[&str]) {
    let port = serve(mode).await;
    let client = Client::new(&target(port), Duration::from_secs(2)).unwrap();
    let scenarios =
        common::probe_scenarios(&["preflight/origin/exact", "actual/get-matching-origin"]);
    assert_eq!(scenarios.len(), 2);
    let start = Instant::now();
    let results = common::run(
        &client,
        &scenarios,
        &RunOptions::new(2).with_run_id("hostile0"),
    )
    .await;
    let took = start.elapsed();
    assert!(took < Duration::from_secs(15), "{mode:?} took {took:?}");
    for r in &results {
        assert_eq!(
            r.verdict,
            Verdict::Error,
            "{mode:?}: {} got {} ({})",
            r.id,
            r.verdict.name(),
            r.reason
        );
        assert!(
            cause.iter().any(|c| r.reason.to_lowercase().contains(c)),
            "{mode:?}: reason `{}` names none of {cause:?}",
            r.reason
        );
        assert!(!r.reason.contains("hostile-secret-key"));
    }
    println!(
        "{mode:?}: {:.2} s, reason: {}",
        took.as_secs_f64(),
        results[0].reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_times_out() {
    judge(Misbehaviour::Hang, &["timed out"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_dripping_bytes_times_out() {
    judge(Misbehaviour::Drip, &["timed out"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_connection_is_an_error() {
    judge(Misbehaviour::Reset, &["connection", "reset", "closed"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_are_an_error() {
    judge(Misbehaviour::Garbage, &["invalid", "parse", "http"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_protocol_is_an_error() {
    judge(Misbehaviour::SshBanner, &["invalid", "parse", "http"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_header_is_an_error() {
    judge(
        Misbehaviour::OversizedHeader,
        &["too large", "message head", "parse"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_duplicated_headers_are_an_error() {
    judge(
        Misbehaviour::ManyDuplicatedHeaders,
        &["too many", "too large", "parse", "header"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_not_followed() {
    judge(Misbehaviour::RedirectLoop, &["createbucket: 302"]).await;
}

#[test]
fn the_typed_model_survives_a_hostile_get_cors_body() {
    // A store answering GetBucketCors with a different document must not parse as "no rules".
    assert!(
        CorsConfiguration::from_xml("<ListBucketResult><Name>x</Name></ListBucketResult>").is_err()
    );
    assert!(CorsConfiguration::from_xml(&"<".repeat(100_000)).is_err());
}

/// A client of a target at `scheme://127.0.0.1:port` with this request time limit.
fn client_for(scheme: &str, port: u16, timeout: Duration) -> Client {
    let mut t = target(port);
    t.endpoint = reqwest::Url::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
    Client::new(&t, timeout).unwrap()
}

/// Answers every request with 200 after `delay`.
async fn serve_slowly(delay: Duration) -> u16 {
    common::accept_loop(move |mut stream, _| async move {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        tokio::time::sleep(delay).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    })
    .await
}

/// Serves TLS with a certificate for `localhost` from a CA made now; answers 200.
async fn serve_tls() -> u16 {
    serve_tls_with_pem(false).await.0
}

/// The same, expired if asked, also giving the CA's PEM, for a target that trusts it.
async fn serve_tls_with_pem(expired: bool) -> (u16, String) {
    let ca = corsprobe::tls::authority::Authority::new("hostile").unwrap();
    let names = ["localhost".to_string()];
    let config = if expired {
        ca.expired_server_config(&names)
    } else {
        ca.server_config(&names)
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config.unwrap());
    let port = common::accept_loop(move |stream, _| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(mut tls) = acceptor.accept(stream).await {
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            }
        }
    })
    .await;
    (port, ca.pem().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_trusts_a_private_ca_and_a_wrong_name_is_still_refused() {
    let (port, pem) = serve_tls_with_pem(false).await;
    let dir = std::env::temp_dir().join(format!("corsprobe-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let client = |host: &str, ca_file: Option<&std::path::Path>| {
        let mut t = target(port);
        t.endpoint = reqwest::Url::parse(&format!("https://{host}:{port}")).unwrap();
        t.ca_file = ca_file.map(Into::into);
        Client::new(&t, Duration::from_secs(3)).unwrap()
    };
    let untrusted = client("localhost", None).reach().await.unwrap_err();
    assert!(
        untrusted.contains("TLS certificate was not accepted"),
        "{untrusted}"
    );
    assert!(
        untrusted.contains("`ca_file`"),
        "the way out is named: {untrusted}"
    );
    assert_eq!(client("localhost", Some(&ca)).reach().await, Ok(()));
    // The certificate names `localhost`: trusting its CA does not make another name valid.
    let mismatch = client("127.0.0.1", Some(&ca)).reach().await.unwrap_err();
    assert!(
        mismatch.contains("TLS certificate was not accepted"),
        "{mismatch}"
    );
    assert!(mismatch.contains(&ca.display().to_string()), "{mismatch}");
    // What is wrong with the certificate is said in plain words, beside the verifier's reason.
    assert!(untrusted.contains(": unknown CA"), "{untrusted}");
    assert!(mismatch.contains(": hostname mismatch"), "{mismatch}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_named_expired_even_from_a_trusted_ca() {
    let (port, pem) = serve_tls_with_pem(true).await;
    let dir = std::env::temp_dir().join(format!("corsprobe-expired-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let mut t = target(port);
    t.endpoint = reqwest::Url::parse(&format!("https://localhost:{port}")).unwrap();
    t.ca_file = Some(ca);
    let got = Client::new(&t, Duration::from_secs(3))
        .unwrap()
        .reach()
        .await
        .unwrap_err();
    assert!(
        got.contains("TLS certificate was not accepted: expired"),
        "{got}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachability_honours_the_time_limit() {
    let port = serve_slowly(Duration::from_millis(1500)).await;
    let patient = client_for("http", port, Duration::from_secs(5));
    assert_eq!(
        patient.reach().await,
        Ok(()),
        "a slow but healthy store answers"
    );
    let hasty = client_for("http", port, Duration::from_secs(1));
    let cause = hasty.reach().await.unwrap_err();
    assert!(cause.contains("no answer within 1 s"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachability_names_the_cause() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let plain = serve_slowly(Duration::ZERO).await;
    let tls = serve_tls().await;
    let limit = Duration::from_secs(3);
    for (scheme, port, cause) in [
        ("http", closed, "connection refused"),
        (
            "https",
            plain,
            "speaks http there, not https: its url should start with http://",
        ),
        (
            "http",
            tls,
            "speaks https there, not http: its url should start with https://",
        ),
        ("https", tls, "tls certificate was not accepted"),
    ] {
        let got = client_for(scheme, port, limit).reach().await.unwrap_err();
        assert!(
            got.to_lowercase().contains(cause),
            "{scheme} to port {port}: `{got}` does not say `{cause}`"
        );
    }
}

/// Answers 200 with a body of `len` bytes, sent in 64 KiB pieces.
async fn serve_big_body(len: usize) -> u16 {
    common::accept_loop(move |mut stream, _| async move {
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf).await;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let piece = vec![b'z'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(piece.len());
            if stream.write_all(&piece[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
    })
    .await
}

/// An unsigned GET of one object, answered.
async fn get(client: &Client) -> corsprobe::model::exchange::RecordedResponse {
    let req = corsprobe::store::client::Request {
        method: "GET".into(),
        url: client.url("b", Some("k"), None),
        headers: vec![],
        body: vec![],
    };
    let ex = client
        .send(corsprobe::model::exchange::Phase::Step, "get", req)
        .await;
    ex.response.expect("answered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_kept_as_a_prefix_and_counted() {
    let len = 64 * 1024 * 1024;
    let port = serve_big_body(len).await;
    let resp = get(&client_for("http", port, Duration::from_secs(20))).await;
    assert_eq!(resp.body.len(), corsprobe::model::exchange::BODY_LIMIT);
    assert_eq!(resp.body_cut_from, Some(len as u64));
    assert!(
        resp.body_shown()
            .contains("[body cut: 67108864 bytes received"),
        "{}",
        &resp.body_shown()[resp.body.len()..]
    );
    let small = serve_big_body(10).await;
    let resp = get(&client_for("http", small, Duration::from_secs(5))).await;
    assert_eq!(
        (resp.body.as_str(), resp.body_cut_from),
        ("zzzzzzzzzz", None)
    );
}

/// A bucket holding `keys` behind a store whose multi-object delete answers `batch`: it
/// refuses DeleteBucket while a key is left, and deletes a key on DeleteObject, or every
/// listed key on a DeleteObjects it accepts. Returns the port and what it was asked, in order.
async fn serve_bucket(
    keys: &[&str],
    batch: u16,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use common::scripted_store::read;
    use std::sync::{Arc, Mutex};
    let left: Arc<Mutex<Vec<String>>> =
        Arc::new(Mutex::new(keys.iter().map(|k| k.to_string()).collect()));
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = asked.clone();
    let port = common::accept_loop(move |mut stream, _| {
        let (left, log) = (left.clone(), log.clone());
        async move {
            while let Some(a) = read(&mut stream).await {
                let key = a.path.strip_prefix("/b/").unwrap_or("").to_string();
                let (status, body) = {
                    let mut left = left.lock().unwrap();
                    match (a.method.as_str(), key.is_empty(), a.query.as_str()) {
                        ("DELETE", true, _) if !left.is_empty() => (
                            409,
                            "<Error><Code>BucketNotEmpty</Code></Error>".to_string(),
                        ),
                        ("DELETE", true, _) => (204, String::new()),
                        ("GET", true, q) if q.contains("list-type=2") => {
                            let listed: String = left
                                .iter()
                                .map(|k| format!("<Contents><Key>{k}</Key></Contents>"))
                                .collect();
                            (
                                200,
                                format!("<ListBucketResult>{listed}</ListBucketResult>"),
                            )
                        }
                        ("GET", true, "uploads") => {
                            (200, "<ListMultipartUploadsResult/>".to_string())
                        }
                        ("POST", true, "delete") if batch == 200 => {
                            let named = corsprobe::model::xml::element_texts(&a.body, "Key");
                            left.retain(|k| !named.contains(k));
                            (200, "<DeleteResult/>".to_string())
                        }
                        ("POST", true, "delete") => (
                            batch,
                            "<Error><Code>InternalError</Code></Error>".to_string(),
                        ),
                        ("DELETE", false, _) => {
                            left.retain(|k| *k != key);
                            (204, String::new())
                        }
                        _ => (400, "<Error><Code>Unexpected</Code></Error>".to_string()),
                    }
                };
                let label = format!(
                    "{} {}{} {status}",
                    a.method,
                    if key.is_empty() { "bucket" } else { "key" },
                    if a.query.is_empty() {
                        String::new()
                    } else {
                        format!("?{}", a.query.split('&').next().unwrap_or(""))
                    }
                );
                log.lock().unwrap().push(label);
                let out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(out.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    })
    .await;
    (port, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_delete_falls_back_to_one_delete_a_key() {
    for (batch, per_key) in [(200, 0), (500, 2), (501, 2)] {
        let (port, asked) = serve_bucket(&["a.txt", "b.txt"], batch).await;
        let client = client_for("http", port, Duration::from_secs(2));
        let (exchanges, result) = corsprobe::run::engine::remove_bucket(&client, "b").await;
        let asked = asked.lock().unwrap().clone();
        assert!(result.is_ok(), "batch {batch}: {result:?}; asked {asked:?}");
        assert_eq!(asked.first().map(String::as_str), Some("DELETE bucket 409"));
        assert_eq!(
            asked.last().map(String::as_str),
            Some("DELETE bucket 204"),
            "{asked:?}"
        );
        assert_eq!(
            asked
                .iter()
                .filter(|l| l.starts_with("POST bucket?delete"))
                .count(),
            1,
            "batch {batch}: one DeleteObjects for the two keys: {asked:?}"
        );
        assert_eq!(
            asked.iter().filter(|l| l.starts_with("DELETE key")).count(),
            per_key,
            "batch {batch}: {asked:?}"
        );
        assert_eq!(exchanges.len(), asked.len());
    }
}
