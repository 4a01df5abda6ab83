//! Endpoints that misbehave: every affected scenario ends in ERROR, with the cause in its reason,
//! within a bounded time, and the run goes on.

use corsprobe::dialect::Client;
use corsprobe::engine::{self, Cancel, RunOptions};
use corsprobe::expectations::Expectations;
use corsprobe::target::{Credentials, Dialect, Target};
use corsprobe::verdict::Verdict;
use corsprobe::{cors_config::CorsConfiguration, scenario};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
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
                                format!(
                                    "HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n"
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                    Misbehaviour::ManyDuplicatedHeaders => {
                        let dup = "Access-Control-Allow-Origin: *\r\n".repeat(5000);
                        let _ = stream
                            .write_all(
                                format!("HTTP/1.1 200 OK\r\n{dup}Content-Length: 0\r\n\r\n")
                                    .as_bytes(),
                            )
                            .await;
                    }
                    Misbehaviour::RedirectLoop => {
                        let _ = stream
                            .write_all(
                                b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n",
                            )
                            .await;
                    }
                }
            });
        }
    });
    port
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

fn scenarios() -> Vec<scenario::Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let all = scenario::load_all(&root.join("suites"), &root.join("fixtures")).unwrap();
    scenario::select(
        all,
        &[
            "preflight/origin/exact".into(),
            "actual/get-matching-origin".into(),
        ],
    )
}

async fn judge(mode: Misbehaviour, cause: &[&str]) {
    let port = serve(mode).await;
    let client = Client::new(&target(port), Duration::from_secs(2)).unwrap();
    let scenarios = scenarios();
    assert_eq!(scenarios.len(), 2);
    let start = Instant::now();
    let opts = RunOptions {
        jobs: 2,
        run_id: "hostile0".into(),
        existing_bucket: None,
        probe_only: None,
    };
    let results = engine::run_all(
        &client,
        &scenarios,
        &Expectations::default(),
        &opts,
        &Cancel::default(),
        |_, _| {},
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
