//! Every scenario's repro script, for each dialect and addressing, is valid bash that holds no
//! key, leaves no template unfilled, and signs the way the target's dialect needs.

mod common;

use corsprobe::model::vocabulary::{Addressing, Dialect};
use corsprobe::repro::script::{Heading, render};
use corsprobe::store::client::Client;
use corsprobe::store::target::{Credentials, Target};
use std::time::Duration;

const SECRET: &str = "reprosecretvalue0123456789abcdef";
const ACCESS: &str = "REPROACCESSKEY0001";

fn client(dialect: Dialect, addressing: Addressing) -> Client {
    let endpoint = reqwest::Url::parse("http://s3.vendor.localhost:7480").unwrap();
    let creds = Credentials {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
        session_token: None,
    };
    let mut t = Target::new("vendor", dialect, endpoint, "us-east-1", creds);
    t.addressing = addressing;
    t.credential_vars = ["VENDOR_AK".into(), "VENDOR_SK".into()];
    Client::new(&t, Duration::from_secs(5)).unwrap()
}

#[test]
fn every_scenario_renders_as_valid_bash_in_every_dialect() {
    let root = common::repo();
    let targets = root.join("fixtures/targets.toml");
    let scenarios = common::all_scenarios();
    let mut checked = 0;
    let mut refused = 0;
    for (dialect, addressing) in [
        (Dialect::S3, Addressing::Path),
        (Dialect::S3, Addressing::Virtual),
        (Dialect::Oss, Addressing::Virtual),
    ] {
        let c = client(dialect, addressing);
        for s in &scenarios {
            if let Some(why) = corsprobe::repro::unscriptable(s) {
                assert!(why.contains("captures a value"), "{}: {why}", s.id);
                refused += 1;
                continue;
            }
            let script = render(&c, s, &Heading::default(), &root, &targets);
            let at = format!("{} ({dialect:?}, {addressing:?})", s.id);
            assert!(
                !script.contains(SECRET) && !script.contains(ACCESS),
                "{at}: a key"
            );
            assert!(!script.contains("{{"), "{at}: an unfilled template");
            assert!(
                !script.contains("corsprobe-repro-bucket-token"),
                "{at}: the bucket token left"
            );
            assert!(
                script.contains(": \"${VENDOR_SK:?"),
                "{at}: the key is read from its variable"
            );
            let syntax = std::process::Command::new("bash")
                .args(["-n", "-c", &script])
                .output()
                .unwrap();
            assert!(
                syntax.status.success(),
                "{at}: not valid bash: {}\n{script}",
                String::from_utf8_lossy(&syntax.stderr)
            );
            match (dialect, addressing) {
                (Dialect::Oss, _) => assert!(
                    !script.lines().any(|l| l.starts_with("s3 ")),
                    "{at}: the OSS dialect signs with corsprobe sign, not curl's sigv4"
                ),
                (_, Addressing::Virtual) => assert!(
                    script.contains("'http://'\"$BUCKET\"'.s3.vendor.localhost:7480/"),
                    "{at}: virtual-host URLs carry the bucket in the host\n{script}"
                ),
                _ => {}
            }
            checked += 1;
        }
    }
    // The multipart scenarios capture UploadIds and ETags: refused, and said why, not printed.
    assert!(refused >= 3 * 8, "{refused} scenarios refused");
    assert_eq!(checked + refused, 3 * scenarios.len());
}
