//! A scenario as a bash script of curl calls a maintainer can paste: the bucket, its objects
//! and rules, each step as the engine sends it, and what to look at. Credentials are read from
//! the target's environment variables when the script runs, and signatures are made then
//! (curl's `--aws-sigv4`, or `corsprobe sign` for signed URLs, forms and OSS), so the script
//! holds no secret and no signature, and prints none: signed URLs stay in shell variables.

use super::shell::{BUCKET_TOKEN, form_name, sh};
use crate::model::check::CheckResult;
use crate::model::place::{Place, Resolved};
use crate::model::scenario::{Action, BucketRef, Scenario, Step};
use crate::model::vocabulary::{Addressing, Dialect, Signing};
use crate::store::client::{Client, UNKNOWN_ACCESS_KEY};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Stands for an object key in the cleanup loop; the loop's `$k` replaces it.
const KEY_TOKEN: &str = "corsprobe-repro-key-token";

/// Where the lines a step prints begin: `== step <name>`; the request lines follow with `> `.
pub const STEP_MARK: &str = "== step ";

/// What the script says it reproduces, above the scenario.
#[derive(Debug, Clone, Default)]
pub struct Heading {
    /// `finding <id>: <title>` lines, the rule and its address.
    pub lines: Vec<String>,
    /// The checks to look at, each with what the recorded run saw.
    pub look_at: Vec<CheckResult>,
}

/// The script's comment lines: one `# ` per line, control characters dropped.
fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        let clean: String = line.chars().filter(|c| !c.is_control()).collect();
        let _ = writeln!(out, "# {clean}");
    }
}

/// Renders the script for `scenario` on the client's target. `root` is the repository (for
/// `corsprobe sign` and the store's key file); `targets` the targets file the run used.
pub fn render(
    client: &Client,
    scenario: &Scenario,
    heading: &Heading,
    root: &Path,
    targets: &Path,
) -> String {
    let t = client.target();
    let [ak, sk] = &t.credential_vars;
    let mut out = String::from("#!/usr/bin/env bash\n");
    comment(
        &mut out,
        "corsprobe repro, printed by `corsprobe repro`: run it with bash.",
    );
    for line in &heading.lines {
        comment(&mut out, line);
    }
    comment(
        &mut out,
        &format!(
            "Scenario {} ({}): {}\nWhat must hold: {}\nTarget {}: {} ({} dialect, {} addressing, region {})",
            scenario.id,
            scenario
                .file
                .strip_prefix(root)
                .unwrap_or(&scenario.file)
                .display(),
            scenario.title,
            scenario.requirement,
            t.name,
            t.endpoint,
            t.dialect.name(),
            match t.addressing {
                Addressing::Path => "path",
                Addressing::Virtual => "virtual-host",
            },
            t.region
        ),
    );
    comment(
        &mut out,
        &format!(
            "Needs curl and openssl; signed URLs and forms come from corsprobe (set CORSPROBE to its path).\nThe keys are read from ${ak} and ${sk} when it runs; nothing secret or signed is\nwritten here, and signed URLs are kept in variables, never printed. It makes one bucket and\ndeletes it at the end, whatever happens."
        ),
    );
    out.push_str("set -euo pipefail\n");
    if let Some(env_file) = &t.env_file {
        let _ = writeln!(
            out,
            "# A local store's throwaway keys, when the variables are not set.\nif [ -z \"${{{ak}:-}}\" ] && [ -f {f} ]; then set -a; . {f}; set +a; fi",
            f = sh(&std::fs::canonicalize(env_file)
                .unwrap_or_else(|_| env_file.clone())
                .display()
                .to_string())
        );
    }
    let _ = writeln!(
        out,
        ": \"${{{ak}:?export the access key}}\"\n: \"${{{sk}:?export the secret key}}\""
    );
    let _ = writeln!(
        out,
        "CORSPROBE=\"${{CORSPROBE:-corsprobe}}\"\nREGION={}\nBUCKET=\"{}repro-$(date +%s)-$$\"\nWORK=\"$(mktemp -d)\"\nPORT=\"${{REPRO_PORT:-8765}}\"\nservers=()",
        sh(&t.region),
        t.bucket_prefix
    );
    if let Some(ca) = &t.ca_file {
        // curl then trusts that file's CAs alone, which is what an endpoint with a private CA needs.
        let _ = writeln!(
            out,
            "export CURL_CA_BUNDLE={}",
            sh(&std::fs::canonicalize(ca)
                .unwrap_or_else(|_| ca.clone())
                .display()
                .to_string())
        );
    }
    // Signed with curl itself: what the maintainer's own tools do. curl signs `?cors` only
    // written `?cors=`, and Ceph wants the payload hash header curl leaves out.
    let _ = writeln!(
        out,
        "s3() {{ curl -sS --aws-sigv4 \"aws:amz:$REGION:s3\" --user \"${ak}:${sk}\" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \"$@\"; }}\nsigned() {{ \"$CORSPROBE\" --root {} sign --targets {} --target {} \"$@\"; }}",
        sh(&root.display().to_string()),
        sh(&targets.display().to_string()),
        sh(&t.name)
    );
    let bucket_url = client.url(BUCKET_TOKEN, None, None).to_string();
    let list_url = client
        .url(BUCKET_TOKEN, None, Some("list-type=2"))
        .to_string();
    let admin = |method: &str, url: &str| signed_call(t.dialect, method, "-o /dev/null ", url);
    let hook = t.bucket_hook.as_ref().map(|h| sh(&h.display().to_string()));
    let _ = writeln!(
        out,
        "cleanup() {{\n  set +e\n  [ ${{#servers[@]}} -eq 0 ] || kill \"${{servers[@]}}\" 2> /dev/null\n  for k in $({list} | grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's/<\\/Key>//'); do\n    {del_obj}\n  done\n  {del_bucket}\n{hook_deleted}  rm -rf \"$WORK\"\n}}\ntrap cleanup EXIT",
        list = signed_call(t.dialect, "GET", "", &list_url),
        del_obj = admin(
            "DELETE",
            client.url(BUCKET_TOKEN, Some(KEY_TOKEN), None).as_str()
        )
        .replace(KEY_TOKEN, "'\"$k\"'"),
        del_bucket = admin("DELETE", &bucket_url),
        hook_deleted = hook
            .as_ref()
            .map(|h| format!("  bash {h} deleted \"$BUCKET\"\n"))
            .unwrap_or_default(),
    );
    out.push_str("\necho \"== setup: bucket $BUCKET\"\n");
    let _ = writeln!(out, "{}", admin("PUT", &bucket_url));
    if let Some(h) = &hook {
        let _ = writeln!(out, "bash {h} created \"$BUCKET\"");
    }
    for o in &scenario.objects {
        let url = client.url(BUCKET_TOKEN, Some(&o.key), None).to_string();
        let _ = writeln!(
            out,
            "printf '%s' {} > \"$WORK/object\"\n{} -H {} --data-binary @\"$WORK/object\"",
            sh(&o.body),
            admin("PUT", &url),
            sh(&format!("Content-Type: {}", o.content_type))
        );
    }
    if let Some(cors) = &scenario.cors {
        let xml = cors.with_origins(&page_tokens()).to_xml();
        put_rules(&mut out, client, &xml, true, true);
    }
    let place = Place::Fresh(BUCKET_TOKEN.to_string());
    let vars = crate::run::engine::step_vars(client, &place);
    let mut page_done = false;
    for step in &scenario.steps {
        if step.action == Action::Page {
            if !page_done {
                render_page(&mut out, client, scenario, root, heading);
                page_done = true;
            }
            continue;
        }
        let looks: Vec<&CheckResult> = heading
            .look_at
            .iter()
            .filter(|c| c.step == step.name)
            .collect();
        render_step(&mut out, client, step, &place, &vars, &looks);
    }
    out
}

/// The page steps: the page written, its URLs signed now, served from the page origins until
/// the reader (or `$REPRO_OPEN`, a command given the page's address) is done with it.
fn render_page(
    out: &mut String,
    client: &Client,
    scenario: &Scenario,
    root: &Path,
    heading: &Heading,
) {
    let js = std::fs::read_to_string(root.join("fixtures/pages/corsprobe.js")).unwrap_or_default();
    let _ = writeln!(
        out,
        "\necho\necho '== page: the page steps, in a browser'\nmkdir -p \"$WORK/page\"\ncat > \"$WORK/page/repro.html\" <<'CORSPROBE_PAGE'\n{}CORSPROBE_PAGE",
        super::page::html(scenario, &js)
    );
    let signed_url = |step: &Step| -> String {
        let url = client
            .url(BUCKET_TOKEN, step.key.as_deref(), step.query.as_deref())
            .to_string();
        match step.sign {
            Signing::None => format!("printf %s {}", sh(&url)),
            mode => format!(
                "signed --signing {} --method {} --url {}",
                serde_json::to_value(mode)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                step.method,
                sh(&url)
            ),
        }
    };
    out.push_str(&super::page::urls_script(scenario, signed_url));
    let mut look = String::new();
    let on_page = |name: &str| {
        scenario
            .steps
            .iter()
            .any(|s| s.name == name && s.action == Action::Page)
    };
    for c in heading.look_at.iter().filter(|c| on_page(&c.step)) {
        let _ = writeln!(look, "{}", look_at(c));
    }
    // The page opens where the first page step runs: a file page from the directory itself.
    let first_origin = scenario
        .steps
        .iter()
        .find_map(|s| s.page.as_ref())
        .map(|p| p.origin.as_str());
    let address = if first_origin == Some(crate::model::vocabulary::FILE_ORIGIN) {
        "file://$WORK/page/repro.html"
    } else {
        "http://127.0.0.1:$PORT/repro.html"
    };
    let specs: Vec<String> = super::page::origins()
        .map(|(_, ip, offset)| format!("\"{ip} {offset}\""))
        .collect();
    let specs = specs.join(" ");
    let _ = write!(
        out,
        r#"for spec in {specs}; do
  set -- $spec
  python3 -m http.server "$((PORT + $2))" --bind "$1" --directory "$WORK/page" > /dev/null 2>&1 &
  servers+=("$!")
done
sleep 1
echo "served by: python3 -m http.server $PORT --bind 127.0.0.1 --directory $WORK/page (and ports $((PORT + 1)), $((PORT + 2)) on 127.0.0.1, 127.0.0.2)"
echo "open {address} in the browser; it writes what the page saw"
{look}if [ -n "${{REPRO_OPEN:-}}" ]; then
  # A command line, quotes and all, given the page's address.
  bash -c "$REPRO_OPEN \"\$1\"" repro-open "{address}"
else
  read -r -p "press Enter when done (the bucket is deleted then) " _ < /dev/tty || true
fi
"#
    );
}

/// Rules name the page origins; in a repro they are its own servers, whose `$PORT` is known
/// when it runs: tokens now, replaced by the script.
fn page_tokens() -> Vec<(String, String)> {
    super::page::origins()
        .map(|(n, _, _)| (format!("page_{n}"), super::page::token(n)))
        .collect()
}

/// A URL for curl's signer: a query name without a value written `name=`.
fn curl_query(quoted_url: &str) -> String {
    match quoted_url.split_once('?') {
        Some((base, query)) => {
            let q: Vec<String> = query
                .trim_end_matches('\'')
                .split('&')
                .map(|p| {
                    if p.contains('=') || p.is_empty() {
                        p.to_string()
                    } else {
                        format!("{p}=")
                    }
                })
                .collect();
            format!("{base}?{}'", q.join("&"))
        }
        None => quoted_url.to_string(),
    }
}

/// PutBucketCors of this document, from a file the script writes; `quiet` (the setup's)
/// shows no answer.
fn put_rules(out: &mut String, client: &Client, xml: &str, md5: bool, quiet: bool) {
    let url = client.url(BUCKET_TOKEN, None, Some("cors")).to_string();
    let _ = writeln!(
        out,
        "cat > \"$WORK/rules.xml\" <<'CORSPROBE_RULES'\n{xml}\nCORSPROBE_RULES"
    );
    // The heredoc adds a newline the harness does not send.
    out.push_str("printf '%s' \"$(cat \"$WORK/rules.xml\")\" > \"$WORK/rules.xml\"\n");
    let named: Vec<String> = super::page::origins()
        .filter(|(n, _, _)| xml.contains(&super::page::token(n)))
        .map(|(n, ip, offset)| {
            format!(
                " -e \"s#{}#{}#g\"",
                super::page::token(n),
                super::page::served(ip, offset)
            )
        })
        .collect();
    if !named.is_empty() {
        let _ = writeln!(out, "sed -i{} \"$WORK/rules.xml\"", named.concat());
    }
    let md5_header = if md5 {
        " -H \"Content-MD5: $(openssl md5 -binary \"$WORK/rules.xml\" | base64)\""
    } else {
        ""
    };
    let flags = format!(
        "{}{md5_header} --data-binary @\"$WORK/rules.xml\" ",
        if quiet { "-o /dev/null" } else { "-i" }
    );
    let _ = writeln!(
        out,
        "{}",
        signed_call(client.target().dialect, "PUT", &flags, &url)
    );
}

/// A request of the script's own (bucket, objects, rules, listing) signed as the dialect is:
/// by curl's sigv4 (`s3`) for S3, by a URL `corsprobe sign` makes when it runs for OSS.
/// `flags` go before the method, a trailing space included.
fn signed_call(dialect: Dialect, method: &str, flags: &str, url: &str) -> String {
    match dialect {
        Dialect::S3 => format!("s3 {flags}-X {method} {}", curl_query(&sh(url))),
        Dialect::Oss => format!(
            "curl -sS {flags}-X {method} \"$(signed --method {method} --url {})\"",
            sh(url)
        ),
    }
}

fn render_step(
    out: &mut String,
    client: &Client,
    step: &Step,
    place: &Place,
    vars: &BTreeMap<&str, String>,
    looks: &[&CheckResult],
) {
    let t = client.target();
    let _ = writeln!(
        out,
        "\necho\necho {}",
        sh(&format!("{STEP_MARK}{}", step.name))
    );
    if let Some(when) = &step.when {
        comment(
            out,
            &format!(
                "The suite asks this step only when step `{}` was answered {}.",
                when.step,
                when.status.text()
            ),
        );
    }
    let resolved = Resolved::of(step, place, vars);
    let bucket = match step.bucket {
        BucketRef::Own => BUCKET_TOKEN.to_string(),
        BucketRef::Missing => format!("{BUCKET_TOKEN}-none"),
    };
    match step.action {
        Action::PutCors => {
            let _ = writeln!(out, "echo '> PUT ?cors'");
            let xml = step
                .cors
                .as_ref()
                .map(|c| c.with_origins(&page_tokens()).to_xml())
                .unwrap_or_default();
            put_rules(out, client, &xml, step.content_md5, false);
        }
        Action::GetCors | Action::DeleteCors => {
            let method = if step.action == Action::GetCors {
                "GET"
            } else {
                "DELETE"
            };
            let url = client.url(&bucket, None, Some("cors")).to_string();
            let _ = writeln!(out, "echo '> {method} ?cors'");
            let _ = writeln!(out, "{}", signed_call(t.dialect, method, "-i ", &url));
        }
        Action::Page => unreachable!("page steps are rendered together, as one page"),
        Action::Request => {
            let key = resolved.key.clone();
            let url = client
                .url(&bucket, key.as_deref(), step.query.as_deref())
                .to_string();
            let method = if step.form.is_some() {
                "POST"
            } else {
                step.method.as_str()
            };
            let shown_path = url.split_once(BUCKET_TOKEN).map(|(_, p)| p).unwrap_or("");
            let _ = writeln!(out, "echo {}", sh(&format!("> {method} {shown_path}")));
            let mut headers = String::new();
            for (n, v) in &resolved.headers {
                let _ = writeln!(out, "echo {}", sh(&format!("> {n}: {v}")));
                let _ = write!(headers, " -H {}", sh(&format!("{n}: {v}")));
            }
            let typed = resolved.headers.iter().any(|(n, _)| n == "content-type");
            let body = match &resolved.body {
                Some(b) if step.form.is_none() => {
                    let _ = writeln!(out, "printf '%s' {} > \"$WORK/body\"", sh(b));
                    // curl would add a form Content-Type the engine does not send.
                    let untyped = if typed { "" } else { " -H 'Content-Type:'" };
                    format!(" --data-binary @\"$WORK/body\"{untyped}")
                }
                _ => String::new(),
            };
            let request = format!("-X {method}{headers}{body}");
            if let Some(form) = step.form {
                let key = key.unwrap_or_else(|| "upload.txt".to_string());
                let _ = writeln!(
                    out,
                    "printf '%s' {} > \"$WORK/file\"\nargs=()\nwhile IFS= read -r field; do args+=(--form-string \"$field\"); done < <(signed --form {} --bucket \"$BUCKET\" --key {})\ncurl -sS -i{headers} \"${{args[@]}}\" -F \"file=@$WORK/file;filename={};type=text/plain\" {}",
                    sh(resolved.body.as_deref().unwrap_or("")),
                    form_name(form),
                    sh(&key),
                    key.rsplit('/').next().unwrap_or(&key),
                    sh(client.url(&bucket, None, None).as_str())
                );
            } else {
                let _ = writeln!(
                    out,
                    "{}",
                    signed_request(
                        t.dialect,
                        step.sign,
                        (&t.credential_vars[0], &t.credential_vars[1]),
                        &request,
                        &url
                    )
                );
            }
        }
    }
    // A body without a final newline would run into the next line.
    out.push_str("echo\n");
    for c in looks {
        let _ = writeln!(out, "{}", look_at(c));
    }
}

/// The line that says which check to look at and what the recorded run saw.
fn look_at(c: &CheckResult) -> String {
    format!(
        "echo {}",
        sh(&format!(
            "look at ({}, {}): step {}: {}: expected {}; the recorded run saw {}",
            c.level.name(),
            c.source,
            c.step,
            c.check,
            c.expected,
            c.actual.lines().next().unwrap_or("")
        ))
    )
}

/// The curl call of a raw request signed as the step says; `ak` and `sk` name the key variables.
fn signed_request(
    dialect: Dialect,
    sign: Signing,
    (ak, sk): (&str, &str),
    request: &str,
    url: &str,
) -> String {
    let url_q = sh(url);
    let presigned = |mode: &str| {
        let method = request
            .split_whitespace()
            .nth(1)
            .unwrap_or("GET")
            .to_string();
        format!(
            "url=\"$(signed --signing {mode} --method {method} --url {url_q})\"\ncurl -sS -i {request} \"$url\""
        )
    };
    match (dialect, sign) {
        (_, Signing::None) => format!("curl -sS -i {request} {url_q}"),
        (Dialect::S3, Signing::Header) => format!("s3 -i {request} {}", curl_query(&url_q)),
        (Dialect::S3, Signing::BadSignature) => format!(
            "s3 -i {request} --user \"${{{ak}}}:${{{sk}}}-wrong\" {}",
            curl_query(&url_q)
        ),
        (Dialect::S3, Signing::UnknownKey) => format!(
            "s3 -i {request} --user \"{UNKNOWN_ACCESS_KEY}:${{{sk}}}\" {}",
            curl_query(&url_q)
        ),
        (_, Signing::Presign) => presigned("presign"),
        (_, Signing::ExpiredPresign) => presigned("expired-presign"),
        (_, Signing::BadPresign) => presigned("bad-presign"),
        (Dialect::Oss, Signing::Header) => presigned("presign"),
        (Dialect::Oss, Signing::BadSignature) => presigned("bad-presign"),
        (Dialect::Oss, Signing::UnknownKey) => presigned("unknown-key"),
    }
}
