//! Malformed scenarios, targets and expectations: each gets one line naming file and line or
//! field, and nothing is sent before all input is valid.

use corsprobe::model::expectations::Expectations;
use corsprobe::model::scenario;
use corsprobe::store::target;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

const SCENARIO: &str = r#"title = "t"
requirement = "r"
level = "must"

[setup]
cors = "origin-exact.xml"

[[step]]
name = "preflight"
method = "OPTIONS"
key = "a.txt"
headers = { Origin = "http://a", Access-Control-Request-Method = "GET" }
expect = [
  { fetch = "allowed" },
  { status = 200, level = "reference" },
]
"#;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("corsprobe-bad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("suites/g")).unwrap();
    std::fs::create_dir_all(d.join("fixtures/cors-rules")).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::copy(
        repo.join("fixtures/cors-rules/origin-exact.xml"),
        d.join("fixtures/cors-rules/origin-exact.xml"),
    )
    .unwrap();
    std::fs::copy(
        repo.join("fixtures/cors-rules/pages-get.xml"),
        d.join("fixtures/cors-rules/pages-get.xml"),
    )
    .unwrap();
    std::fs::write(
        d.join("fixtures/cors-rules/not-cors.xml"),
        "<Error><Code>x</Code></Error>",
    )
    .unwrap();
    d
}

/// (what is wrong, how the file is changed, text the error must contain besides the file name)
const BAD_SCENARIOS: &[(&str, &str, &str, &str)] = &[
    (
        "unknown top-level key",
        "title = \"t\"",
        "title = \"t\"\ncolour = 1",
        ":2:",
    ),
    (
        "unknown step key",
        "key = \"a.txt\"",
        "key = \"a.txt\"\nkee = 1",
        ":12:",
    ),
    (
        "unknown check key",
        "{ fetch = \"allowed\" }",
        "{ fetch = \"allowed\", becuase = 1 }",
        ":14:",
    ),
    (
        "level of wrong type",
        "level = \"must\"",
        "level = 3",
        ":3:",
    ),
    (
        "unknown level",
        "level = \"must\"",
        "level = \"maybe\"",
        ":3:",
    ),
    (
        "status of wrong type",
        "{ status = 200,",
        "{ status = true,",
        ":15:",
    ),
    (
        "status class out of range",
        "{ status = 200,",
        "{ status = \"6xx\",",
        ":15:",
    ),
    (
        "unknown template variable",
        "http://a",
        "http://{{host}}",
        "`headers.Origin`",
    ),
    (
        "unclosed template",
        "http://a",
        "http://{{bucket",
        "unclosed",
    ),
    (
        "unknown rules fixture",
        "origin-exact.xml",
        "missing.xml",
        ":6:",
    ),
    (
        "rules fixture that is not CORS",
        "origin-exact.xml",
        "not-cors.xml",
        "not <CORSConfiguration>",
    ),
    (
        "unknown cors_config fixture",
        "{ fetch = \"allowed\" }",
        "{ cors_config = \"missing.xml\" }",
        "cors_config",
    ),
    (
        "put-cors without rules",
        "method = \"OPTIONS\"",
        "action = \"put-cors\"",
        "needs `cors`",
    ),
    (
        "request without method",
        "method = \"OPTIONS\"\n",
        "",
        "needs `method`",
    ),
    (
        "unknown signing mode",
        "key = \"a.txt\"",
        "key = \"a.txt\"\nsign = \"magic\"",
        ":12:",
    ),
    (
        "unknown bucket reference",
        "key = \"a.txt\"",
        "key = \"a.txt\"\nbucket = \"theirs\"",
        ":12:",
    ),
    (
        "unknown action",
        "method = \"OPTIONS\"",
        "action = \"list-cors\"",
        ":10:",
    ),
    (
        "check with two subjects",
        "{ fetch = \"allowed\" }",
        "{ fetch = \"allowed\", status = 200 }",
        "one thing only",
    ),
    (
        "check without subject",
        "{ fetch = \"allowed\" }",
        "{ level = \"must\" }",
        "nothing to check",
    ),
    (
        "header without predicate",
        "{ fetch = \"allowed\" }",
        "{ header = \"vary\" }",
        "needs exactly one of",
    ),
    (
        "predicate without header",
        "{ fetch = \"allowed\" }",
        "{ equals = \"x\" }",
        "need `header`",
    ),
    (
        "credentials without fetch",
        "{ fetch = \"allowed\" }",
        "{ status = 200, credentials = true }",
        "`credentials` goes with",
    ),
    (
        "fetch on a bucket API step",
        "method = \"OPTIONS\"",
        "action = \"get-cors\"",
        "bucket API steps take no",
    ),
    (
        "level below its checks",
        "{ fetch = \"allowed\" }",
        "{ fetch = \"allowed\", level = \"should\" }",
        "most severe check is `should`",
    ),
    ("no steps", "[[step]]", "[[nostep]]", "nostep"),
    (
        "empty title",
        "title = \"t\"",
        "title = \"\"",
        "must not be empty",
    ),
    (
        "step without checks",
        "expect = [",
        "expected = [",
        "expected",
    ),
    ("invalid TOML", "level = \"must\"", "level = \"must", ":3:"),
    (
        "page step without `via`",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"",
        "needs `via`",
    ),
    (
        "page field on a request step",
        "key = \"a.txt\"",
        "key = \"a.txt\"\nvia = \"xhr\"",
        "`via` is only for `page` steps",
    ),
    (
        "page step signed in a header",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"\nsign = \"header\"",
        "a page cannot sign in a header",
    ),
    (
        "unknown page origin",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"\norigin = \"c\"",
        "the page origins are a, a2, b",
    ),
    (
        "same_url_as naming no earlier step",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"\nsame_url_as = \"first\"",
        "names no earlier `page` step",
    ),
    (
        "raw check on a page step",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"",
        "`fetch` judges a raw request",
    ),
    (
        "page step pausing too long",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"\npause_ms = 60000",
        "`pause_ms = 60000`: at most 10000",
    ),
    (
        "unknown browser in a page check's list",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"fetch\"\nexpect = [{ page = \"loaded\", browser = [\"chromium\", \"safari\"] }]\n[[step]]\nname = \"x\"",
        "unknown variant `safari`, expected one of `chromium`, `firefox`, `webkit`",
    ),
    (
        "page check on a raw step",
        "{ fetch = \"allowed\" }",
        "{ page = \"loaded\" }",
        "judge `page` steps only",
    ),
    (
        "capture without a source",
        "name = \"preflight\"",
        "name = \"preflight\"\ncapture = { name = \"upload_id\" }",
        "`capture`: give one of `element` (in the body) or `header`",
    ),
    (
        "capture named like a run variable",
        "name = \"preflight\"",
        "name = \"preflight\"\ncapture = { name = \"bucket\", header = \"etag\" }",
        "`bucket` is already a template variable",
    ),
    (
        "template of a value no earlier step captured",
        "key = \"a.txt\"",
        "key = \"{{upload_id}}\"",
        "unknown template variable `upload_id`",
    ),
    (
        "body_of naming no earlier step",
        "{ fetch = \"allowed\" }",
        "{ body_of = [\"part-1\"] }",
        "`body_of`: `part-1` is no earlier step",
    ),
    (
        "body_size without a body",
        "name = \"preflight\"",
        "name = \"preflight\"\nbody_size = 10",
        "`body_size` repeats `body`: give a `body`",
    ),
    (
        "sent Origin check on a raw step",
        "{ fetch = \"allowed\" }",
        "{ sent_origin = \"null\" }",
        "judge `page` steps only",
    ),
    (
        "unknown page origin",
        "name = \"preflight\"",
        "name = \"preflight\"\naction = \"page\"\nvia = \"xhr\"\norigin = \"files\"",
        "the page origins are a, a2, b, file",
    ),
    (
        "page origins in a probe scenario's rules",
        "cors = \"origin-exact.xml\"",
        "cors = \"pages-get.xml\"",
        "is a page origin, known only to scenarios with `page` steps",
    ),
    (
        "duplicate key",
        "title = \"t\"",
        "title = \"t\"\ntitle = \"u\"",
        ":2:",
    ),
];

#[test]
fn every_bad_scenario_gets_one_line_naming_file_and_place() {
    let d = dir("scenarios");
    let file = d.join("suites/g/case.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    scenario::load(&file, &d.join("suites"), &d.join("fixtures"))
        .expect("the base scenario is valid");
    for (what, from, to, needle) in BAD_SCENARIOS {
        assert!(
            SCENARIO.contains(from),
            "{what}: `{from}` not in the base scenario"
        );
        std::fs::write(&file, SCENARIO.replacen(from, to, 1)).unwrap();
        let err = scenario::load(&file, &d.join("suites"), &d.join("fixtures")).expect_err(what);
        assert!(
            err.contains("suites/g/case.toml:"),
            "{what}: no file and line in `{err}`"
        );
        assert!(err.contains(needle), "{what}: `{needle}` not in `{err}`");
        assert!(!err.contains('\n'), "{what}: not one line: `{err}`");
    }
    println!("{} bad scenario files tried", BAD_SCENARIOS.len());
}

const TARGETS: &str = r#"[targets.t]
vendor = "v"
dialect = "s3"
endpoint = "http://127.0.0.1:9"
region = "us-east-1"
access_key_env = "CORSPROBE_BAD_AK"
secret_key_env = "CORSPROBE_BAD_SK"
env_file = "keys.env"
"#;

const BAD_TARGETS: &[(&str, &str, &str, &str)] = &[
    (
        "unknown key",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nzone = 1",
        ":6:",
    ),
    (
        "missing endpoint",
        "endpoint = \"http://127.0.0.1:9\"\n",
        "",
        "endpoint",
    ),
    (
        "unknown dialect",
        "dialect = \"s3\"",
        "dialect = \"gcs\"",
        ":3:",
    ),
    (
        "unknown addressing",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\naddressing = \"dns\"",
        ":6:",
    ),
    (
        "endpoint not a URL",
        "http://127.0.0.1:9",
        "not a url",
        "targets.t.endpoint",
    ),
    (
        "endpoint not http",
        "http://127.0.0.1:9",
        "ftp://127.0.0.1:9",
        "targets.t.endpoint",
    ),
    (
        "bad bucket prefix",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nbucket_prefix = \"UP_\"",
        "targets.t.bucket_prefix",
    ),
    (
        "start script missing",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nstart = \"nope.sh\"",
        "targets.t.start",
    ),
    ("env file missing", "keys.env", "nope.env", "nope.env"),
    (
        "virtual-host addressing with an IP endpoint",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\naddressing = \"virtual\"",
        "targets.t.addressing",
    ),
    (
        "expectations file missing",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nexpectations = \"known.toml\"",
        "targets.t.expectations",
    ),
    (
        "credential variable unset",
        "CORSPROBE_BAD_SK",
        "CORSPROBE_BAD_UNSET",
        "`CORSPROBE_BAD_UNSET`",
    ),
    (
        "propagation wait too long",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\npropagation_timeout_secs = 3600",
        "targets.t.propagation_timeout_secs: 3600: at most 600",
    ),
    (
        "CA file missing",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nca_file = \"ca.pem\"",
        "targets.t.ca_file",
    ),
    (
        "CA file without a certificate",
        "region = \"us-east-1\"",
        "region = \"us-east-1\"\nca_file = \"keys.env\"",
        "targets.t.ca_file: `",
    ),
    (
        "malformed env file",
        "env_file = \"keys.env\"",
        "env_file = \"broken.env\"",
        "broken.env:1",
    ),
];

#[test]
fn every_bad_targets_file_names_file_and_field() {
    let d = dir("targets");
    std::fs::write(
        d.join("keys.env"),
        "CORSPROBE_BAD_AK=a\nCORSPROBE_BAD_SK=b\n",
    )
    .unwrap();
    std::fs::write(d.join("broken.env"), "this line has no equals sign\n").unwrap();
    let file = d.join("targets.toml");
    std::fs::write(&file, TARGETS).unwrap();
    target::load(&file, "t").expect("the base targets file is valid");
    for (what, from, to, needle) in BAD_TARGETS {
        assert!(TARGETS.contains(from), "{what}");
        std::fs::write(&file, TARGETS.replacen(from, to, 1)).unwrap();
        let err = target::load(&file, "t").expect_err(what).to_string();
        assert!(
            err.contains("targets.toml") || err.contains(".env"),
            "{what}: no file in `{err}`"
        );
        assert!(err.contains(needle), "{what}: `{needle}` not in `{err}`");
        assert!(!err.contains('\n'), "{what}: not one line: `{err}`");
    }
    println!("{} bad targets files tried", BAD_TARGETS.len());
}

const BAD_EXPECTATIONS: &[(&str, &str, &str)] = &[
    (
        "unknown scenario",
        "[[known]]\nid = \"g/none\"\nreason = \"r\"\n",
        ":1:",
    ),
    (
        "verdict not a failure",
        "[[known]]\nid = \"g/case\"\nverdict = \"PASS\"\nreason = \"r\"\n",
        "FAIL, NON-STRICT or ERROR",
    ),
    (
        "unknown key",
        "[[known]]\nid = \"g/case\"\nreason = \"r\"\nbug = 1\n",
        ":4:",
    ),
    (
        "empty reason",
        "[[known]]\nid = \"g/case\"\nreason = \" \"\n",
        "`reason` must say why",
    ),
    (
        "listed twice",
        "[[known]]\nid = \"g/case\"\nreason = \"r\"\n[[known]]\nid = \"g/case\"\nreason = \"r\"\n",
        "listed twice",
    ),
    ("missing reason", "[[known]]\nid = \"g/case\"\n", "reason"),
    ("invalid TOML", "[[known]\nid = \"g/case\"\n", ":1:"),
];

#[test]
fn every_bad_expectations_file_names_file_and_line() {
    let d = dir("expectations");
    let file = d.join("t.toml");
    let ids: BTreeSet<String> = ["g/case".to_string()].into();
    for (what, text, needle) in BAD_EXPECTATIONS {
        std::fs::write(&file, text).unwrap();
        let err = Expectations::load(&file, &ids).expect_err(what);
        assert!(err.contains("t.toml"), "{what}: no file in `{err}`");
        assert!(err.contains(needle), "{what}: `{needle}` not in `{err}`");
        assert!(!err.contains('\n'), "{what}: not one line: `{err}`");
    }
    println!("{} bad expectations files tried", BAD_EXPECTATIONS.len());
}

#[test]
fn a_bad_findings_catalog_is_named_by_file_and_line_and_stops_a_run() {
    let d = dir("catalog");
    std::fs::write(d.join("suites/g/case.toml"), SCENARIO).unwrap();
    let validate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"))
            .args(["--root", d.to_str().unwrap(), "validate", "--targets"])
            .arg(d.join("fixtures/none.toml"))
            .output()
            .unwrap()
    };
    for (what, text, needle) in [
        (
            "an unknown field",
            "[[cause]]\nid = \"x\"\ncolour = 1\n",
            "colour",
        ),
        (
            "a pattern that matches no scenario",
            "\n[[cause]]\nid = \"x\"\ntitle = \"t\"\nrule = \"r\"\nlink = \"https://a\"\npage = \"p\"\nwhen = [{ scenario = \"nothing/*\" }]\n",
            "findings.toml:2:",
        ),
    ] {
        std::fs::write(d.join("suites/findings.toml"), text).unwrap();
        let out = validate();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains("suites/findings.toml") && err.contains(needle),
            "{what}: {err}"
        );
    }
}

#[test]
fn nothing_is_sent_while_any_input_is_invalid() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let d = dir("nothing-sent");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::write(d.join("suites/g/case.toml"), SCENARIO).unwrap();
    std::fs::write(
        d.join("suites/g/broken.toml"),
        SCENARIO.replace("level = \"must\"", "level = 3"),
    )
    .unwrap();
    let targets = d.join("targets.toml");
    std::fs::write(
        &targets,
        TARGETS
            .replace(":9", &format!(":{port}"))
            .replace("env_file = \"keys.env\"\n", ""),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args([
            "--root",
            d.to_str().unwrap(),
            "run",
            "--targets",
            targets.to_str().unwrap(),
            "--target",
            "t",
        ])
        .env("CORSPROBE_BAD_AK", "a")
        .env("CORSPROBE_BAD_SK", "b")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut accepted = 0;
    while let Ok((mut s, _)) = listener.accept() {
        accepted += 1;
        let _ = s.read(&mut [0u8; 16]);
    }
    assert_eq!(
        accepted, 0,
        "a connection was made although a scenario was invalid"
    );
    let _ = repo;
}
