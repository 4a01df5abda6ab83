//! `corsprobe diagnose`: the seed guide's troubleshooting steps for a web developer whose
//! request fails with a CORS error. It sends the preflight and the request as a browser would,
//! reads the bucket's rules, says which rule matched or why none did and whether the status
//! itself is the problem, then (unless `--no-change`) tries the loosest rules and restores the
//! bucket's own byte for byte. Writes go to a scratch key that is removed afterwards.

use super::*;
use crate::model::cors_config::CorsConfiguration;
use crate::model::diagnosis::{Ask, Cause, Line, Observed, diagnose, loosest};
use crate::model::exchange::{BODY_LIMIT, Exchange, Phase};
use crate::model::vocabulary::Signing;
use crate::report::console;
use crate::run::engine;
use crate::store::client::{Client, Request};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub(super) struct DiagnoseArgs {
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
    /// The bucket the page uses (default: the target's existing_bucket).
    #[arg(long)]
    bucket: Option<String>,
    /// The page's origin, e.g. https://app.example.com (`null` for a page opened as a file).
    #[arg(long)]
    origin: String,
    /// The method the page uses.
    #[arg(long, default_value = "GET")]
    method: String,
    /// A header the page sets, `name` or `name: value` (repeatable).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// A response header the page reads, e.g. ETag (repeatable).
    #[arg(long = "expose")]
    expose: Vec<String>,
    /// The object key (default: the bucket itself).
    #[arg(long)]
    key: Option<String>,
    /// The query the page sends, e.g. `uploads` or `partNumber=1&uploadId=ID`.
    #[arg(long)]
    query: Option<String>,
    /// The page uses a presigned URL (default: an unsigned request).
    #[arg(long)]
    presigned: bool,
    /// How the request is signed instead: none, presign, expired-presign, bad-presign.
    #[arg(long, value_parser = signing)]
    sign: Option<Signing>,
    /// Read only: never change the bucket's rules and send no write (the preflight only).
    #[arg(long)]
    no_change: bool,
}

fn signing(s: &str) -> Result<Signing, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}`: one of none, presign, expired-presign, bad-presign"))
}

/// Where the diagnosis sends a write, so the bucket's objects are never touched.
fn scratch_prefix() -> String {
    format!("corsprobe-diagnose-{}/", engine::new_run_id())
}

pub(super) fn diagnose_cmd(root: &Path, args: &DiagnoseArgs) -> i32 {
    let session = match open_session(
        root,
        args.targets.as_deref(),
        &args.target,
        Duration::from_secs(20),
        None,
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(bucket) = args
        .bucket
        .clone()
        .or_else(|| session.target.existing_bucket.clone())
    else {
        eprintln!(
            "corsprobe: diagnose needs the bucket the page uses: --bucket NAME (or the target's existing_bucket)"
        );
        return EXIT_USAGE;
    };
    let ask = match ask_of(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("corsprobe: {e}");
            return EXIT_USAGE;
        }
    };
    let sign = args.sign.unwrap_or(if args.presigned {
        Signing::Presign
    } else {
        Signing::None
    });
    let client = session.client;
    runtime().block_on(async {
        if let Err(e) = client.reach().await {
            eprintln!("corsprobe: target `{}` does not answer: {}", args.target, console::safe(&e));
            return EXIT_ERROR;
        }
        let saved = match engine::save_cors(&client, &bucket).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("corsprobe: {}", console::safe(&e));
                return EXIT_ERROR;
            }
        };
        let rules = saved.body.as_deref().and_then(|b| CorsConfiguration::from_xml(b).ok());
        let writes = !matches!(ask.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        let scratch = scratch_prefix();
        let key = match (writes, &args.key) {
            (true, k) => Some(format!("{scratch}{}", k.as_deref().unwrap_or("object"))),
            (false, k) => k.clone(),
        };
        let send_actual = !(writes && args.no_change);
        let path = format!(
            "/{bucket}/{}{}",
            args.key.as_deref().unwrap_or(""),
            args.query.as_deref().map(|q| format!("?{}", query_names(q))).unwrap_or_default()
        );
        println!(
            "diagnose: {} {path} from {} on {} ({}){}",
            ask.method,
            ask.origin,
            client.target().name,
            client.target().endpoint_host(),
            if writes { format!("; the write goes to the scratch key {scratch}…, removed afterwards") } else { String::new() }
        );
        let probe = Probe { client: &client, bucket: &bucket, key: key.as_deref(), query: args.query.as_deref(), sign };
        let (pre, act) = probe.observe(&ask, send_actual).await;
        let seen = Observed { rules: rules.as_ref(), preflight: pre.as_ref(), actual: act.as_ref() };
        let (lines, mut cause) = diagnose(&ask, &seen);
        print_lines(&lines);
        if !send_actual {
            println!("  {:<9}  not sent: --no-change sends no write", "request");
        }
        let mut code = 0;
        let cut = saved.body.as_ref().is_some_and(|b| b.len() >= BODY_LIMIT);
        let try_loosest = !args.no_change && !cut && cause != Cause::Nothing && !matches!(cause, Cause::Status(_));
        if try_loosest {
            let put = client.put_cors(Phase::Setup, &bucket, &loosest(&ask)).await;
            if put.succeeded() {
                let (pre2, act2) = probe.observe(&ask, send_actual).await;
                let seen2 = Observed { rules: None, preflight: pre2.as_ref(), actual: act2.as_ref() };
                let (_, with_loosest) = diagnose(&ask, &seen2);
                if with_loosest == Cause::Nothing {
                    println!("loosest rules (any origin, every method, any header, {} exposed): the request passes, so the cause is in the rules", if ask.expose.is_empty() { "nothing".to_string() } else { ask.expose.join(", ") });
                } else {
                    println!("loosest rules: it still fails ({}), so the cause is not the CORS rules", with_loosest.text(&ask));
                    if cause.in_rules() {
                        cause = with_loosest;
                    }
                }
            } else {
                println!("loosest rules: not tried, PutBucketCors answered {}", console::safe(&put.outcome()));
            }
            match engine::restore_cors(&client, &saved).await {
                Ok(()) => println!(
                    "restored the bucket's CORS rules: GetBucketCors returns the same {} as before",
                    saved.body.as_ref().map(|b| format!("{} bytes", b.len())).unwrap_or_else(|| "NoSuchCORSConfiguration".into())
                ),
                Err(e) => {
                    eprintln!("corsprobe: {}", console::safe(&e));
                    code = EXIT_ERROR;
                }
            }
        } else if cut {
            println!("loosest rules: not tried, the bucket's rules are longer than {BODY_LIMIT} bytes and could not be restored byte for byte");
        }
        if writes && send_actual && let Err(e) = engine::clear_prefix(&client, &bucket, &scratch).await {
            eprintln!("corsprobe: {}", console::safe(&e));
            code = EXIT_ERROR;
        }
        println!("diagnosis: {}", cause.text(&ask));
        match (code, &cause) {
            (0, Cause::Nothing) => 0,
            (0, _) => EXIT_FAIL,
            (c, _) => c,
        }
    })
}

/// The page's request from the arguments.
fn ask_of(args: &DiagnoseArgs) -> Result<Ask, String> {
    let method = args.method.to_ascii_uppercase();
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "--method `{}`: a method such as GET or PUT",
            args.method
        ));
    }
    let origin = args.origin.trim_end_matches('/').to_string();
    if origin != "null"
        && reqwest::Url::parse(&origin)
            .map(|u| u.origin().ascii_serialization() != origin)
            .unwrap_or(true)
    {
        return Err(format!(
            "--origin `{}`: an origin such as https://app.example.com (scheme, host, port; no path), or null",
            args.origin
        ));
    }
    let mut headers = Vec::new();
    for h in &args.headers {
        let (name, value) = match h.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim().to_string())),
            None => (h.trim(), None),
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!("--header `{h}`: `name` or `name: value`"));
        }
        headers.push((name.to_ascii_lowercase(), value));
    }
    Ok(Ask {
        origin,
        method,
        headers,
        expose: args.expose.iter().map(|h| h.to_ascii_lowercase()).collect(),
    })
}

/// The query's parameter names only: an UploadId or a signature is not printed.
fn query_names(q: &str) -> String {
    q.split('&')
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
        .collect::<Vec<_>>()
        .join("&")
}

fn print_lines(lines: &[Line]) {
    for l in lines {
        println!("  {:<9}  {}", l.topic, console::safe(&l.text));
        println!("  {:<9}  ← {}", "", console::safe(&l.from));
    }
}

/// The requests of one diagnosis, as the page sends them.
struct Probe<'a> {
    client: &'a Client,
    bucket: &'a str,
    key: Option<&'a str>,
    query: Option<&'a str>,
    sign: Signing,
}

impl Probe<'_> {
    /// The preflight when a browser sends one, then the request unless it must not be sent.
    async fn observe(&self, ask: &Ask, send_actual: bool) -> (Option<Exchange>, Option<Exchange>) {
        let url = self.client.url(self.bucket, self.key, self.query);
        let pre = if ask.preflighted() {
            let mut headers = vec![
                ("origin".to_string(), ask.origin.clone()),
                (
                    "access-control-request-method".to_string(),
                    ask.method.clone(),
                ),
            ];
            let unsafe_headers = ask.unsafe_headers();
            if !unsafe_headers.is_empty() {
                headers.push((
                    "access-control-request-headers".to_string(),
                    unsafe_headers.join(","),
                ));
            }
            let req = Request {
                method: "OPTIONS".into(),
                url: url.clone(),
                headers,
                body: vec![],
            };
            Some(self.client.send(Phase::Step, "preflight", req).await)
        } else {
            None
        };
        if !send_actual {
            return (pre, None);
        }
        let mut headers = vec![("origin".to_string(), ask.origin.clone())];
        for (n, v) in &ask.headers {
            let value = v.clone().unwrap_or_else(|| match n.as_str() {
                "content-type" => "application/octet-stream".into(),
                _ => "corsprobe".into(),
            });
            headers.push((n.clone(), value));
        }
        let body = if matches!(ask.method.as_str(), "PUT" | "POST")
            && !self.query.is_some_and(|q| q.contains("uploadId"))
        {
            b"written by corsprobe diagnose".to_vec()
        } else {
            vec![]
        };
        let mut req = Request {
            method: ask.method.clone(),
            url,
            headers,
            body,
        };
        if let Err(e) = self.client.sign(&mut req, self.sign) {
            let ex = self.client.unsent(Phase::Step, "request", &req, e);
            return (pre, Some(ex));
        }
        (
            pre,
            Some(self.client.send(Phase::Step, "request", req).await),
        )
    }
}
