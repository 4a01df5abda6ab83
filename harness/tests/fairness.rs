//! Fair verdicts: for each rule of what a FAIL means, the real scenario runs against a store
//! scripted to behave one way that is only a hazard or a difference from AWS S3 (NON-STRICT or
//! INFO) and one way that breaks the page or loses rules (FAIL).

mod common;

use common::scripted_store::{self, Answer, Asked, LaterPuts, answer};
use corsprobe::model::verdict::Verdict;
use corsprobe::model::vocabulary::Dialect;
use corsprobe::run::engine::RunOptions;
use corsprobe::store::client::Client;
use corsprobe::store::target::{Credentials, Target};
use std::time::Duration;

/// Runs one scenario against a scripted store and gives its verdict and reason.
async fn verdict(
    id: &str,
    puts: LaterPuts,
    respond: impl Fn(&Asked, Option<&str>) -> Answer + Send + Sync + 'static,
) -> (Verdict, String) {
    let port = scripted_store::start(puts, respond).await;
    let creds = Credentials {
        access_key: "AKIDFAIR".into(),
        secret_key: "fair-secret".into(),
        session_token: None,
    };
    let endpoint = reqwest::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let target = Target::new("scripted", Dialect::S3, endpoint, "us-east-1", creds);
    let client = Client::new(&target, Duration::from_secs(5)).unwrap();
    let scenarios: Vec<_> = common::probe_scenarios(&[id])
        .into_iter()
        .filter(|s| s.id == id)
        .collect();
    assert_eq!(scenarios.len(), 1, "{id}");
    let r = common::run(
        &client,
        &scenarios,
        &RunOptions::new(1).with_run_id("fair0"),
    )
    .await
    .remove(0);
    let failed: Vec<String> = r
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("[{}] {}", c.level.name(), c.summary()))
        .collect();
    (r.verdict, format!("{}: {}", r.reason, failed.join("; ")))
}

/// A CORS answer that grants what was asked, echoing the origin, with `Vary: Origin`.
fn grant(a: &Asked) -> Answer {
    let origin = a.header("origin").unwrap_or("*").to_string();
    let mut h = vec![
        ("access-control-allow-origin".to_string(), origin),
        ("vary".to_string(), "Origin".to_string()),
    ];
    if let Some(m) = a.header("access-control-request-method") {
        h.push(("access-control-allow-methods".into(), m.to_string()));
    }
    if let Some(hs) = a.header("access-control-request-headers") {
        h.push(("access-control-allow-headers".into(), hs.to_string()));
    }
    let body = if a.method == "GET" {
        "just for test"
    } else {
        ""
    };
    (200, h, body.to_string())
}

/// A refusal without CORS headers, as AWS S3 answers a preflight no rule allows.
fn refuse(_: &Asked, _: Option<&str>) -> Answer {
    answer(
        403,
        &[],
        "<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>",
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn assert_verdict(got: (Verdict, String), want: Verdict, case: &str) {
    assert_eq!(got.0, want, "{case}: {}", got.1);
}

#[test]
fn accepting_an_invalid_document_is_a_hazard_unless_its_rules_then_fail_or_are_lost() {
    let rt = runtime();
    let id = "config/invalid-unknown-method";
    let works = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| grant(a)));
    assert_verdict(
        works,
        Verdict::NonStrict,
        "accepted, and its GET rule works",
    );
    let broken = rt.block_on(verdict(id, LaterPuts::Keep, refuse));
    assert_verdict(
        broken,
        Verdict::Fail,
        "accepted, then its own GET rule is refused",
    );
    let refused = rt.block_on(verdict(id, LaterPuts::Refuse, |a, _| grant(a)));
    assert_verdict(
        refused,
        Verdict::Info,
        "refused with MalformedXML, not InvalidRequest",
    );
    let lost = rt.block_on(verdict(id, LaterPuts::RefuseAndLose, |a, _| grant(a)));
    assert_verdict(
        lost,
        Verdict::Fail,
        "refused, yet the working rules are gone",
    );
    // An empty document has no rule whose consequence could break: accepting it is the hazard.
    let empty = rt.block_on(verdict("config/invalid-empty", LaterPuts::Keep, |a, _| {
        grant(a)
    }));
    assert_verdict(empty, Verdict::NonStrict, "an accepted empty document");
}

#[test]
fn a_refusal_the_page_can_read_is_no_failure_and_serving_the_object_is() {
    let rt = runtime();
    let id = "errors/expired-presign-403";
    let readable = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| {
        let mut g = grant(a);
        g.0 = 400;
        g.2 = "<Error><Code>InvalidRequest</Code></Error>".into();
        g
    }));
    assert_verdict(
        readable,
        Verdict::Info,
        "400 InvalidRequest with the CORS headers",
    );
    let served = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| grant(a)));
    assert_verdict(
        served,
        Verdict::Fail,
        "the expired link still serves the object",
    );
}

#[test]
fn a_missing_bucket_refused_as_403_is_a_reference_difference_and_served_is_a_failure() {
    let rt = runtime();
    let id = "errors/missing-bucket-get";
    let forbidden = rt.block_on(verdict(id, LaterPuts::Keep, |_, _| answer(403, &[], "")));
    assert_verdict(
        forbidden,
        Verdict::Info,
        "403 with an empty body, no CORS headers",
    );
    let served = rt.block_on(verdict(id, LaterPuts::Keep, |_, _| answer(200, &[], "x")));
    assert_verdict(
        served,
        Verdict::Fail,
        "200 for a bucket that does not exist",
    );
}

#[test]
fn a_permissive_preflight_for_a_missing_bucket_differs_from_aws_and_breaks_nothing() {
    let rt = runtime();
    let id = "preflight/request/missing-bucket";
    let permissive = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| grant(a)));
    assert_verdict(permissive, Verdict::Info, "a permissive answer");
    let refused = rt.block_on(verdict(id, LaterPuts::Keep, refuse));
    assert_verdict(refused, Verdict::Pass, "403 AccessForbidden, as AWS S3");
}

#[test]
fn a_header_list_no_browser_sends_is_a_hazard_and_one_browsers_send_must_pass() {
    let rt = runtime();
    let odd = rt.block_on(verdict(
        "preflight/headers/formatting-spaces-empty-items",
        LaterPuts::Keep,
        refuse,
    ));
    assert_verdict(
        odd,
        Verdict::NonStrict,
        "`x-amz-date, ,x-amz-meta-color` refused",
    );
    let browser_shape = rt.block_on(verdict(
        "preflight/headers/formatting-case-no-space",
        LaterPuts::Keep,
        refuse,
    ));
    assert_verdict(
        browser_shape,
        Verdict::Fail,
        "`X-Amz-Date,X-Amz-Meta-Color` refused",
    );
}

#[test]
fn vary_is_demanded_only_where_the_answer_depends_on_origin() {
    let rt = runtime();
    let id = "preflight/response/vary";
    let star = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| {
        let mut g = grant(a);
        g.1.retain(|(n, _)| n != "vary");
        g.1[0].1 = "*".into();
        g
    }));
    assert_verdict(star, Verdict::Pass, "a static `*` without Vary");
    let echoed = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| {
        let mut g = grant(a);
        g.1.retain(|(n, _)| n != "vary");
        g
    }));
    assert_verdict(echoed, Verdict::NonStrict, "an echoed origin without Vary");
    let refused = rt.block_on(verdict(id, LaterPuts::Keep, refuse));
    assert_verdict(refused, Verdict::Fail, "the listed origin refused");
}

#[test]
fn star_against_authorization_is_a_hazard_and_an_unanswered_listed_header_a_failure() {
    let rt = runtime();
    let star = rt.block_on(verdict(
        "preflight/headers/star-and-authorization",
        LaterPuts::Keep,
        |a, _| {
            let mut g = grant(a);
            for h in
                g.1.iter_mut()
                    .filter(|(n, _)| n == "access-control-allow-headers")
            {
                h.1 = "*".into();
            }
            g
        },
    ));
    assert_verdict(
        star,
        Verdict::NonStrict,
        "`Access-Control-Allow-Headers: *` for authorization",
    );
    let named = rt.block_on(verdict(
        "preflight/headers/star-and-authorization",
        LaterPuts::Keep,
        |a, _| grant(a),
    ));
    assert_verdict(named, Verdict::Pass, "authorization named");
    let unanswered = rt.block_on(verdict(
        "preflight/headers/listed",
        LaterPuts::Keep,
        |a, _| {
            let mut g = grant(a);
            g.1.retain(|(n, _)| n != "access-control-allow-headers");
            g
        },
    ));
    assert_verdict(
        unanswered,
        Verdict::Fail,
        "a header the rule lists, not allowed",
    );
}

/// `corsprobe run` in probe mode against a scripted store, with its exit code and output.
fn cli_run(port: u16, tag: &str, known: Option<&str>) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("corsprobe-fair-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut targets = format!(
        "[targets.scripted]\nvendor = \"scripted\"\ndialect = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\nregion = \"us-east-1\"\naccess_key_env = \"FAIR_AK\"\nsecret_key_env = \"FAIR_SK\"\n"
    );
    if let Some(entry) = known {
        std::fs::write(dir.join("known.toml"), entry).unwrap();
        targets.push_str("expectations = \"known.toml\"\n");
    }
    std::fs::write(dir.join("targets.toml"), targets).unwrap();
    let json = dir.join("run.json");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args([
            "--root",
            common::repo().to_str().unwrap(),
            "run",
            "--mode",
            "probe",
        ])
        .args(["--targets", dir.join("targets.toml").to_str().unwrap()])
        .args([
            "--target",
            "scripted",
            "--snapshots",
            dir.join("snaps").to_str().unwrap(),
        ])
        .args(["--report-json", json.to_str().unwrap()])
        .env("FAIR_AK", "AKIDFAIR")
        .env("FAIR_SK", "fair-secret")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    let record = std::fs::read_to_string(&json).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    (o.status.code(), out + &record)
}

#[test]
fn a_store_without_a_bucket_cors_api_fails_the_gate_unless_listed() {
    let rt = runtime();
    let port = rt.block_on(scripted_store::start(LaterPuts::NoApi, refuse));
    let (code, out) = cli_run(port, "noapi", None);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("capability/bucket-cors"), "{out}");
    assert!(
        out.contains("\"verdict\": \"FAIL\""),
        "the record holds the FAIL: {out}"
    );
    assert!(
        out.contains("scenario(s) that need rules were skipped"),
        "{out}"
    );
    let listed =
        "[[known]]\nid = \"capability/bucket-cors\"\nreason = \"no CORS API in this release\"\n";
    let (code, out) = cli_run(port, "noapi-listed", Some(listed));
    assert_eq!(
        code,
        Some(0),
        "a listed missing capability is a known failure: {out}"
    );
    assert!(out.contains("\"verdict\": \"XFAIL\""), "{out}");
    // Listed as the finding it is, the missing API is known the same way.
    let by_finding =
        "[[known]]\nfinding = \"no-cors-api\"\nreason = \"no CORS API in this release\"\n";
    let (code, out) = cli_run(port, "noapi-finding", Some(by_finding));
    assert_eq!(code, Some(0), "a listed finding is a known failure: {out}");
    assert!(out.contains("by finding no-cors-api"), "{out}");
    // A store that has the API gets no capability verdict at all.
    let port = rt.block_on(scripted_store::start(LaterPuts::Keep, |a, _| grant(a)));
    let (_, out) = cli_run(port, "api", None);
    assert!(!out.contains("capability/bucket-cors"), "{out}");
}

#[test]
fn a_forged_form_upload_or_an_unknown_key_must_be_refused() {
    let rt = runtime();
    for kind in ["forged-signature", "extra-field", "expired-policy"] {
        let id = format!("errors/form-{kind}");
        let accepts = rt.block_on(verdict(&id, LaterPuts::Keep, |a, _| {
            let mut g = grant(a);
            g.0 = 204;
            g
        }));
        assert_verdict(accepts, Verdict::Fail, &format!("{kind} accepted"));
        let refuses = rt.block_on(verdict(&id, LaterPuts::Keep, |a, _| {
            let mut g = grant(a);
            if !a.body.contains("honest.txt") {
                g.0 = 403;
                g.2 = "<Error><Code>AccessDenied</Code></Error>".into();
            } else {
                g.0 = 204;
            }
            g
        }));
        assert_verdict(refuses, Verdict::Pass, &format!("{kind} refused, readably"));
        // A store that takes no form uploads at all is not asked the forged one.
        let none = rt.block_on(verdict(&id, LaterPuts::Keep, |_, _| answer(405, &[], "")));
        assert_verdict(none, Verdict::Info, &format!("{kind}: no form uploads"));
    }
    let id = "errors/unknown-access-key";
    let served = rt.block_on(verdict(id, LaterPuts::Keep, |a, _| grant(a)));
    assert_verdict(served, Verdict::Fail, "an unknown key served");
    let unreadable = rt.block_on(verdict(id, LaterPuts::Keep, |_, _| {
        answer(403, &[], "<Error><Code>InvalidAccessKeyId</Code></Error>")
    }));
    assert_verdict(
        unreadable,
        Verdict::NonStrict,
        "refused without CORS headers",
    );
}

#[test]
fn an_unanchored_wildcard_and_head_outside_the_rule_must_not_let_a_page_in() {
    let rt = runtime();
    let open = rt.block_on(verdict(
        "security/unanchored-wildcard",
        LaterPuts::Keep,
        |a, _| grant(a),
    ));
    assert_verdict(open, Verdict::Fail, "attacker.net let in");
    let closed = rt.block_on(verdict(
        "security/unanchored-wildcard",
        LaterPuts::Keep,
        refuse,
    ));
    assert_verdict(closed, Verdict::Pass, "attacker.net refused");
    let head = rt.block_on(verdict(
        "actual/head-not-allowed",
        LaterPuts::Keep,
        |a, _| grant(a),
    ));
    assert_verdict(
        head,
        Verdict::Fail,
        "HEAD answered with CORS headers the rule does not give",
    );
    let star_errors = rt.block_on(verdict(
        "security/error-readable-from-unlisted-origin",
        LaterPuts::Keep,
        |_, _| {
            answer(
                404,
                &[("access-control-allow-origin", "*")],
                "<Error><Code>NoSuchKey</Code></Error>",
            )
        },
    ));
    assert_verdict(
        star_errors,
        Verdict::NonStrict,
        "errors readable by any site",
    );
}

#[test]
fn one_answer_to_every_preflight_is_said_once_at_the_top() {
    let rt = runtime();
    // Garage's fallback for buckets it cannot resolve: every preflight 200 with `*`.
    let star = rt.block_on(scripted_store::start(LaterPuts::Keep, |a, _| {
        if a.method == "OPTIONS" {
            answer(
                200,
                &[
                    ("access-control-allow-origin", "*"),
                    ("access-control-allow-methods", "*"),
                    ("access-control-allow-headers", "*"),
                ],
                "",
            )
        } else {
            grant(a)
        }
    }));
    let (_, out) = cli_run(star, "uniform", None);
    assert!(
        out.starts_with("NOTICE     store/same-preflight-answer"),
        "the cause comes first: {out}"
    );
    assert!(
        out.contains("see store/same-preflight-answer)"),
        "verdicts point to it: {out}"
    );
    // The verdicts it explains are its finding's: listed, they are known failures.
    let listed = "[[known]]\nfinding = \"same-preflight-answer\"\nreason = \"unresolved bucket\"\n";
    let (_, out) = cli_run(star, "uniform-known", Some(listed));
    assert!(
        out.contains("by finding same-preflight-answer (unresolved bucket)"),
        "{out}"
    );
    // A store whose answers follow its rules gets no notice.
    let (_, out) = cli_run(
        rt.block_on(scripted_store::start(LaterPuts::Keep, |a, stored| {
            match (a.method.as_str(), stored) {
                ("OPTIONS", Some(rules)) if rules.contains(a.header("origin").unwrap_or("-")) => {
                    grant(a)
                }
                ("OPTIONS", _) => refuse(a, stored),
                _ => grant(a),
            }
        })),
        "follows",
        None,
    );
    assert!(!out.contains("same-preflight-answer"), "{out}");
}

#[test]
fn a_refused_preflight_says_whether_the_rules_or_a_gate_ahead_of_them_refused_it() {
    let rt = runtime();
    // moto: an OPTIONS on an existing private object meets the object's ACL before any rule.
    let gated = rt.block_on(verdict(
        "preflight/origin/exact",
        LaterPuts::Keep,
        |a, stored| {
            if a.method == "OPTIONS" && a.path.ends_with("/test.txt") {
                refuse(a, stored)
            } else {
                grant(a)
            }
        },
    ));
    assert_verdict(
        gated.clone(),
        Verdict::Fail,
        "refused on the existing object",
    );
    assert!(
        gated.1.contains("cause: a gate ahead of the rules"),
        "{}",
        gated.1
    );
    let by_rules = rt.block_on(verdict("preflight/origin/exact", LaterPuts::Keep, refuse));
    assert_verdict(by_rules.clone(), Verdict::Fail, "refused everywhere");
    assert!(
        by_rules.1.contains("cause: the rules themselves"),
        "{}",
        by_rules.1
    );
}
