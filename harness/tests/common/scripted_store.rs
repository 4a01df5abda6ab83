//! A store on loopback whose answers a test writes: bucket and object housekeeping behave like
//! S3, PutBucketCors follows a chosen policy, and every other request (preflights, object reads)
//! goes to the test's own responder. The real scenario files then run against it, so a test can
//! show which verdict a given store behaviour earns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the store read it.
#[derive(Debug, Clone)]
pub struct Asked {
    /// `GET`, `OPTIONS`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// Header lines with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Asked {
    /// A header's value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, header lines, body.
pub type Answer = (u16, Vec<(String, String)>, String);

/// Builds an answer from string slices.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    (
        status,
        headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body.to_string(),
    )
}

/// What PutBucketCors does after the scenario's own setup Put, which is always accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LaterPuts {
    /// Accepted (200) and kept.
    Keep,
    /// Refused (400 MalformedXML); the configuration stays.
    Refuse,
    /// Refused (400), yet the configuration is gone.
    RefuseAndLose,
    /// No bucket CORS API at all: every `?cors` request, the setup's too, answers 501.
    NoApi,
}

type Responder = dyn Fn(&Asked, Option<&str>) -> Answer + Send + Sync;

/// Starts the store; `respond` gets each request that is not housekeeping, with the bucket's
/// stored CORS document. Returns the port.
pub async fn start(
    puts: LaterPuts,
    respond: impl Fn(&Asked, Option<&str>) -> Answer + Send + Sync + 'static,
) -> u16 {
    let respond: Arc<Responder> = Arc::new(respond);
    let rules: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    super::accept_loop(move |mut stream, _| {
        let respond = respond.clone();
        let rules = rules.clone();
        async move {
            while let Some(asked) = read(&mut stream).await {
                let (status, headers, body) =
                    housekeeping(&asked, puts, &rules).unwrap_or_else(|| {
                        let bucket = bucket_of(&asked.path);
                        let stored = rules.lock().unwrap().get(&bucket).cloned();
                        respond(&asked, stored.as_deref())
                    });
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (n, v) in headers {
                    out.push_str(&format!("{n}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                if stream.write_all(out.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    })
    .await
}

fn bucket_of(path: &str) -> String {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string()
}

/// The S3 housekeeping every scenario needs, or None for the test's responder.
fn housekeeping(
    a: &Asked,
    puts: LaterPuts,
    rules: &Mutex<HashMap<String, String>>,
) -> Option<Answer> {
    let bucket = bucket_of(&a.path);
    let object = a.path.trim_start_matches('/').contains('/');
    let cors = a.query.split('&').any(|p| p == "cors" || p == "cors=");
    let mut rules = rules.lock().unwrap();
    if cors && puts == LaterPuts::NoApi {
        return Some(answer(
            501,
            &[],
            "<Error><Code>NotImplemented</Code></Error>",
        ));
    }
    Some(match (a.method.as_str(), object, cors) {
        ("PUT", false, true) => {
            let first = !rules.contains_key(&bucket);
            match puts {
                _ if first => {
                    rules.insert(bucket, a.body.clone());
                    answer(200, &[], "")
                }
                LaterPuts::Keep => {
                    rules.insert(bucket, a.body.clone());
                    answer(200, &[], "")
                }
                LaterPuts::Refuse | LaterPuts::RefuseAndLose | LaterPuts::NoApi => {
                    if puts == LaterPuts::RefuseAndLose {
                        rules.insert(bucket, "<CORSConfiguration></CORSConfiguration>".into());
                    }
                    answer(400, &[], "<Error><Code>MalformedXML</Code></Error>")
                }
            }
        }
        ("GET", false, true) => match rules.get(&bucket) {
            Some(doc) => answer(200, &[("content-type", "application/xml")], doc),
            None => answer(
                404,
                &[],
                "<Error><Code>NoSuchCORSConfiguration</Code></Error>",
            ),
        },
        ("DELETE", false, true) => {
            rules.remove(&bucket);
            answer(204, &[], "")
        }
        ("PUT", false, false) => answer(200, &[], ""),
        ("DELETE", false, false) => {
            rules.remove(&bucket);
            answer(204, &[], "")
        }
        ("GET", false, false) if a.query.contains("list-type=2") => answer(
            200,
            &[],
            "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
        ),
        ("POST", false, false) if a.query == "delete" => answer(200, &[], "<DeleteResult/>"),
        ("PUT", true, false) if a.header("origin").is_none() => answer(200, &[], ""),
        ("DELETE", true, false) => answer(204, &[], ""),
        _ => return None,
    })
}

/// Reads one HTTP/1.1 request from the stream; None when the peer closed it.
pub async fn read(stream: &mut tokio::net::TcpStream) -> Option<Asked> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Asked {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}
