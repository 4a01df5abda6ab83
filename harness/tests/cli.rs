//! The CLI's contract: exit codes, listing, and located errors for bad input. No store needed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::repo;

fn corsprobe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of suites/ and fixtures/ in a temporary root, to break on purpose.
fn scratch_root(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsprobe-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["suites", "fixtures"] {
        copy_dir(&repo().join(sub), &dir.join(sub));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn list_shows_at_least_sixty_scenarios_with_titles() {
    let o = corsprobe(&["--root", repo().to_str().unwrap(), "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    let last = out.lines().last().unwrap();
    let n: usize = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 60, "{last}");
    assert!(
        out.contains("preflight/origin/exact") && out.contains("Preflight for PUT"),
        "{out}"
    );
}

#[test]
fn validate_passes_on_the_repository() {
    let o = corsprobe(&["--root", repo().to_str().unwrap(), "validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_broken_scenario_exits_2_naming_file_and_line() {
    let root = scratch_root("broken");
    let file = root.join("suites/preflight/origin/exact.toml");
    let body = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\nkey = \"test.txt\"\n", "\nkey = \"test.txt\"\nkee = 1\n");
    std::fs::write(&file, body).unwrap();
    for cmd in ["validate", "list", "run"] {
        let o = corsprobe(&["--root", root.to_str().unwrap(), cmd]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", text(&o));
        let out = text(&o);
        assert!(
            out.contains("suites/preflight/origin/exact.toml:14:") && out.contains("kee"),
            "{cmd}: {out}"
        );
    }
}

#[test]
fn an_expectations_entry_for_an_unknown_scenario_exits_2() {
    let root = scratch_root("exp");
    std::fs::write(
        root.join("fixtures/expectations/ceph.toml"),
        "[[known]]\nid = \"no/such\"\nreason = \"r\"\n",
    )
    .unwrap();
    let o = corsprobe(&["--root", root.to_str().unwrap(), "validate"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("ceph.toml:1: `id = \"no/such\"` is not a scenario"),
        "{}",
        text(&o)
    );
}

#[test]
fn usage_and_configuration_errors_exit_1() {
    let r = repo();
    let root = r.to_str().unwrap();
    let o = corsprobe(&["--root", root, "run", "--jobs", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = corsprobe(&["--root", root, "run", "--target", "nowhere"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no target named `nowhere`"),
        "{}",
        text(&o)
    );
    let o = corsprobe(&["--root", root, "run", "no/such/scenario"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = corsprobe(&["--root", root, "frobnicate"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// Writes a one-target file for an endpoint where nothing listens (port 9), keys in `<VAR>_AK`/`_SK`.
fn dead_target(root: &Path, name: &str, var: &str) -> PathBuf {
    let targets = root.join("fixtures/t.toml");
    std::fs::write(
        &targets,
        format!(
            "[targets.{name}]\nvendor = \"v\"\ndialect = \"s3\"\nendpoint = \"http://127.0.0.1:9\"\nregion = \"us-east-1\"\naccess_key_env = \"{var}_AK\"\nsecret_key_env = \"{var}_SK\"\n"
        ),
    )
    .unwrap();
    targets
}

#[test]
fn a_missing_credential_variable_is_named_and_nothing_is_sent() {
    let root = scratch_root("creds");
    let targets = dead_target(&root, "x", "CORSPROBE_UNSET");
    let o = corsprobe(&[
        "--root",
        root.to_str().unwrap(),
        "run",
        "--targets",
        targets.to_str().unwrap(),
        "--target",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("CORSPROBE_UNSET_AK"), "{}", text(&o));
}

#[test]
fn an_endpoint_that_does_not_answer_exits_3_without_hanging() {
    let root = scratch_root("dead");
    let targets = dead_target(&root, "dead", "CORSPROBE_DEAD");
    let start = std::time::Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args([
            "--root",
            root.to_str().unwrap(),
            "run",
            "--targets",
            targets.to_str().unwrap(),
            "--target",
            "dead",
        ])
        .env("CORSPROBE_DEAD_AK", "canary-access-key")
        .env("CORSPROBE_DEAD_SK", "canary-secret-key-0123456789")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("does not answer"), "{}", text(&o));
    assert!(
        !text(&o).contains("canary-secret-key"),
        "secret printed: {}",
        text(&o)
    );
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn the_dry_run_of_put_bucket_cors_to_oss_is_pinned_byte_for_byte() {
    let r = repo();
    let targets = r.join("fixtures/targets.oss.example.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args([
            "--root",
            r.to_str().unwrap(),
            "run",
            "config/round-trip",
            "--targets",
            targets.to_str().unwrap(),
        ])
        .args([
            "--target",
            "oss-hangzhou",
            "--dry-run",
            "--run-id",
            "pinned",
            "--at",
            "1702743657",
        ])
        .env("OSS_ACCESS_KEY_ID", "LTAIexampleaccesskey")
        .env("OSS_ACCESS_KEY_SECRET", "exampleSecretNotReal0123456789")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let golden =
        std::fs::read_to_string(r.join("harness/tests/golden/dry-run-oss-round-trip.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), golden);
    let out = text(&o);
    assert!(
        !out.contains("exampleSecretNotReal") && !out.contains("LTAIexampleaccesskey"),
        "{out}"
    );
    assert!(
        out.contains("PUT https://corsprobe-pinned-001.oss-cn-hangzhou.aliyuncs.com/?cors"),
        "{out}"
    );
}

/// `corsprobe validate` passes a targets file of the repository with this many targets.
fn assert_validates(file: &str, targets: usize) {
    let r = repo();
    let path = r.join(file);
    let o = corsprobe(&[
        "--root",
        r.to_str().unwrap(),
        "validate",
        "--targets",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{targets} target(s)")),
        "{}",
        text(&o)
    );
}

#[test]
fn the_oss_targets_example_validates() {
    assert_validates("fixtures/targets.oss.example.toml", 2);
}

/// The vendor presets' credential variables, each given a made-up value for the dry runs.
const VENDOR_KEYS: [&str; 17] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "OSS_ACCESS_KEY_ID",
    "OSS_ACCESS_KEY_SECRET",
    "R2_ACCESS_KEY_ID",
    "R2_SECRET_ACCESS_KEY",
    "GCS_HMAC_ACCESS_ID",
    "GCS_HMAC_SECRET",
    "WASABI_ACCESS_KEY_ID",
    "WASABI_SECRET_ACCESS_KEY",
    "B2_APPLICATION_KEY_ID",
    "B2_APPLICATION_KEY",
    "SPACES_ACCESS_KEY_ID",
    "SPACES_SECRET_ACCESS_KEY",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
];

#[test]
fn the_vendor_presets_validate_and_their_dry_runs_are_pinned() {
    assert_validates("fixtures/targets.vendors.toml", 9);
    let r = repo();
    let targets = r.join("fixtures/targets.vendors.toml");
    let mut pinned = String::new();
    for name in [
        "aws-us-east-1",
        "aws-eu-central-1",
        "oss-hangzhou",
        "r2",
        "gcs",
        "wasabi",
        "b2",
        "spaces",
        "minio",
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_corsprobe"));
        cmd.args([
            "--root",
            r.to_str().unwrap(),
            "run",
            "actual/get-matching-origin",
        ])
        .args(["--targets", targets.to_str().unwrap(), "--target", name])
        .args(["--dry-run", "--run-id", "pinned", "--at", "1702743657"]);
        for (i, var) in VENDOR_KEYS.iter().enumerate() {
            cmd.env(var, format!("exampleKeyNotReal{i:02}{var}"));
        }
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
        assert!(
            !text(&o).contains("exampleKeyNotReal"),
            "{name}: a key printed: {}",
            text(&o)
        );
        pinned.push_str(&format!(
            "== {name}\n{}",
            String::from_utf8_lossy(&o.stdout)
        ));
    }
    let golden_path = r.join("harness/tests/golden/dry-run-vendors.txt");
    if std::env::var("CORSPROBE_UPDATE_GOLDEN").is_ok() {
        std::fs::write(&golden_path, &pinned).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap_or_default();
    assert!(
        golden == pinned,
        "the vendors' dry runs changed (CORSPROBE_UPDATE_GOLDEN=1 rewrites {}):\n{pinned}",
        golden_path.display()
    );
}

#[test]
fn matrix_writes_every_format_from_run_records() {
    let r = repo();
    let sample = r.join("harness/tests/golden/sample-run.json");
    let out = std::env::temp_dir().join(format!("corsprobe-matrix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let p = |f: &str| out.join(f).to_str().unwrap().to_string();
    let o = corsprobe(&[
        "matrix",
        sample.to_str().unwrap(),
        sample.to_str().unwrap(),
        "--report-md",
        &p("m.md"),
        "--report-junit",
        &p("j.xml"),
        "--report-tap",
        &p("t.tap"),
        "--report-html",
        &p("html"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("m.md")).unwrap();
    assert!(
        md.contains("| ceph | ceph #2 |"),
        "two runs of one target get distinct columns: {md}"
    );
    assert!(
        out.join("html/index.html").is_file()
            && out.join("j.xml").is_file()
            && out.join("t.tap").is_file()
    );
    let o = corsprobe(&["matrix", "/nonexistent.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn expectations_update_proposes_entries_without_editing_anything() {
    let r = repo();
    let sample = r.join("harness/tests/golden/sample-run.json");
    let o = corsprobe(&["expectations", "update", sample.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let proposal = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        proposal.contains("id = \"errors/bad-signature-403\"\nverdict = \"NON-STRICT\""),
        "{proposal}"
    );
    assert!(proposal.contains("id = \"preflight/method/decides-rule\"\nverdict = \"FAIL\"\nreason = \"radosgw picks the first rule"), "{proposal}");
    assert!(
        !proposal.contains("preflight/origin/exact"),
        "INFO is no failure: {proposal}"
    );
    // The proposal is a valid expectations file for these scenarios.
    let file = std::env::temp_dir().join(format!("corsprobe-proposal-{}.toml", std::process::id()));
    std::fs::write(&file, &proposal).unwrap();
    let all = corsprobe::model::scenario::load_all(&r.join("suites"), &r.join("fixtures")).unwrap();
    let ids = all.iter().map(|s| s.id.clone()).collect();
    corsprobe::model::expectations::Expectations::load(&file, &ids).expect("the proposal loads");
}

/// Runs the binary with the dead target's keys set.
fn corsprobe_with_keys(var: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corsprobe"))
        .args(args)
        .env(format!("{var}_AK"), "canary-access-key")
        .env(format!("{var}_SK"), "canary-secret-key-0123456789")
        .output()
        .expect("the binary runs")
}

/// `corsprobe run` against the dead target of a scratch root, with its keys and `extra`.
fn run_dead(root: &Path, var: &str, extra: &[&str]) -> Output {
    let targets = dead_target(root, "dead", var);
    let mut args = vec![
        "--root",
        root.to_str().unwrap(),
        "run",
        "--targets",
        targets.to_str().unwrap(),
        "--target",
        "dead",
    ];
    args.extend(extra);
    corsprobe_with_keys(var, &args)
}

#[test]
fn an_unreachable_target_still_gets_every_report_with_error_verdicts() {
    let root = scratch_root("unreachable");
    let out = root.join("out");
    let p = |f: &str| out.join(f).to_str().unwrap().to_string();
    let o = run_dead(
        &root,
        "CORSPROBE_UNR",
        &[
            "--mode",
            "all",
            "--report-json",
            &p("run.json"),
            "--report-md",
            &p("run.md"),
            "--report-junit",
            &p("junit.xml"),
            "--report-tap",
            &p("run.tap"),
            "--report-html",
            &p("html"),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("connection refused"),
        "the cause is named: {}",
        text(&o)
    );
    let record: corsprobe::report::record::RunRecord =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(
        record.results.len() > 90,
        "{} results",
        record.results.len()
    );
    assert!(
        record
            .results
            .iter()
            .all(|r| r.verdict == corsprobe::model::verdict::Verdict::Error
                && r.reason.contains("connection refused")),
        "every scenario is ERROR with the cause"
    );
    assert!(
        record.results.iter().any(|r| r.browser == "firefox"),
        "browser columns too"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<error"), "{junit}");
    assert!(
        std::fs::read_to_string(out.join("run.tap"))
            .unwrap()
            .contains("not ok")
    );
    assert!(
        std::fs::read_to_string(out.join("run.md"))
            .unwrap()
            .contains("ERROR")
    );
    assert!(out.join("html/index.html").is_file());
    assert!(!text(&o).contains("canary-secret-key"));
}

#[test]
fn the_gate_inputs_are_checked_before_anything_is_sent() {
    // The target is unreachable: reaching it would exit 3, so exit 1 proves nothing was tried.
    let root = scratch_root("gate-inputs");
    let run = |extra: &[&str]| run_dead(&root, "CORSPROBE_GATE", extra);
    let o = run(&["--baseline", "/nonexistent/base.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("--baseline") && text(&o).contains("/nonexistent/base.json"),
        "{}",
        text(&o)
    );
    let blocker = root.join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let under_a_file = blocker.join("report.md");
    let o = run(&["--report-md", under_a_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot write the report"), "{}", text(&o));
    assert!(
        !text(&o).contains("does not answer"),
        "nothing was sent: {}",
        text(&o)
    );
}

#[test]
fn a_dry_run_names_the_browser_scenarios_it_leaves_out() {
    let r = repo();
    let o = corsprobe(&[
        "--root",
        r.to_str().unwrap(),
        "run",
        "--mode",
        "all",
        "--dry-run",
        "--run-id",
        "d1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    let line = out
        .lines()
        .find(|l| l.contains("left out"))
        .unwrap_or_default();
    assert!(
        line.contains("browser/get-example") && line.contains("browser scenario(s) left out"),
        "{out}"
    );
}

#[test]
fn faults_with_no_matching_scenario_exits_1_like_run() {
    let r = repo();
    let o = corsprobe(&["--root", r.to_str().unwrap(), "faults", "no/such/scenario"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no probe scenario id starts with no/such/scenario"),
        "{}",
        text(&o)
    );
    let o = corsprobe(&["--root", r.to_str().unwrap(), "faults", "--fault", "nope"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("faults --list"), "{}", text(&o));
}

#[test]
fn validate_checks_what_run_checks_with_one_exit_code() {
    let root = scratch_root("validate-targets");
    let ids_ok = "[[known]]\nid = \"preflight/origin/exact\"\nreason = \"r\"\n";
    let bad_id = "[[known]]\nid = \"no/such/scenario\"\nreason = \"r\"\n";
    std::fs::write(root.join("fixtures/ok.toml"), ids_ok).unwrap();
    std::fs::write(root.join("fixtures/stale.toml"), bad_id).unwrap();
    let target = |extra: &str| {
        format!(
            "[targets.t]\nvendor = \"v\"\ndialect = \"s3\"\nendpoint = \"http://127.0.0.1:9\"\nregion = \"us-east-1\"\naccess_key_env = \"CORSPROBE_VAL_AK\"\nsecret_key_env = \"CORSPROBE_VAL_SK\"\n{extra}"
        )
    };
    let file = root.join("fixtures/t.toml");
    let cases = [
        ("expectations = \"stale.toml\"\n", "no/such/scenario"),
        ("expectations = \"gone.toml\"\n", "targets.t.expectations"),
        (
            "[targets.t.probe_only]\nbucket = \"b\"\nrules = \"cors-rules/none.xml\"\n",
            "targets.t.probe_only.rules",
        ),
        ("addressing = \"virtual\"\n", "targets.t.addressing"),
    ];
    std::fs::write(&file, target("expectations = \"ok.toml\"\n")).unwrap();
    let o = corsprobe(&[
        "--root",
        root.to_str().unwrap(),
        "validate",
        "--targets",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "validate needs no credentials: {}",
        text(&o)
    );
    for (extra, needle) in cases {
        std::fs::write(&file, target(extra)).unwrap();
        for cmd in ["validate", "run"] {
            let mut args = vec![
                "--root",
                root.to_str().unwrap(),
                cmd,
                "--targets",
                file.to_str().unwrap(),
            ];
            if cmd == "run" {
                args.extend(["--target", "t"]);
            }
            let o = corsprobe_with_keys("CORSPROBE_VAL", &args);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{cmd} with {extra:?}: {}",
                text(&o)
            );
            assert!(
                text(&o).contains(needle),
                "{cmd} with {extra:?}: `{needle}` not in {}",
                text(&o)
            );
        }
    }
}

/// The synopsis block of the README's "Commands" section.
fn readme_commands() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let from = readme.find("## Commands").expect("a Commands section");
    let block = &readme[from..];
    let start = block.find("```\n").unwrap() + 4;
    let end = block[start..].find("```").unwrap() + start;
    block[start..end].to_string()
}

/// Every long flag a piece of text names.
fn flags(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(String::from)
        .collect()
}

#[test]
fn the_readme_synopsis_and_help_name_the_same_flags() {
    let synopsis = readme_commands();
    for sub in [
        "run", "list", "validate", "clean", "matrix", "faults", "repro", "sign", "diagnose",
    ] {
        let o = corsprobe(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        // The options a --help lists: lines that start with a flag (`-j, --jobs`, `--mode`).
        let options: String = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
            .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut help = flags(&options);
        help.remove("--help");
        help.remove("--root");
        let line: String = synopsis
            .split("\ncorsprobe ")
            .find(|l| {
                l.trim_start_matches("corsprobe ")
                    .starts_with(&format!("{sub} "))
            })
            .unwrap_or_else(|| panic!("no `corsprobe {sub}` in the README synopsis"))
            .to_string();
        let documented = flags(&line);
        assert_eq!(
            documented, help,
            "`corsprobe {sub}`: README synopsis vs --help"
        );
    }
}

#[test]
fn faults_list_names_every_fault_the_readme_lists() {
    let o = corsprobe(&["faults", "--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let names: Vec<&str> = out
        .lines()
        .filter(|l| !l.ends_with(" faults"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names.len(), 21, "{out}");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for n in &names {
        assert!(
            readme.contains(&format!("`{n}`")),
            "the README does not list fault `{n}`"
        );
    }
}

#[test]
fn a_report_that_cannot_be_written_keeps_the_console_verdicts_and_the_gate_code() {
    let root = scratch_root("unwritable");
    let html = root.join("html");
    // The directory can be made before the run; its index cannot be written after it.
    std::fs::create_dir_all(html.join("index.html")).unwrap();
    let json = root.join("run.json");
    let o = run_dead(
        &root,
        "CORSPROBE_UNW",
        &[
            "preflight/origin",
            "--report-html",
            html.to_str().unwrap(),
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "the ERROR verdicts' code, not the report's: {}",
        text(&o)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("corsprobe: 0 passed, "),
        "the console verdicts are printed: {stdout}"
    );
    assert!(text(&o).contains("cannot write the report"), "{}", text(&o));
    assert!(json.is_file(), "the other reports are still written");
}

/// Answers every request 403 with an error body full of terminal escape sequences.
fn serve_escapes() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 16384];
            let _ = stream.read(&mut buf);
            let body = "<Error><Code>Access\x1b[2JDenied</Code><Message>\x1b]0;pwned\x07\x1b[31mred</Message></Error>";
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn terminal_escapes_from_a_store_reach_the_console_escaped() {
    let root = scratch_root("escapes");
    let port = serve_escapes();
    let targets = root.join("fixtures/t.toml");
    std::fs::write(
        &targets,
        format!("[targets.esc]\nvendor = \"v\"\ndialect = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\nregion = \"us-east-1\"\naccess_key_env = \"CORSPROBE_ESC_AK\"\nsecret_key_env = \"CORSPROBE_ESC_SK\"\n"),
    )
    .unwrap();
    let o = corsprobe_with_keys(
        "CORSPROBE_ESC",
        &[
            "--root",
            root.to_str().unwrap(),
            "run",
            "--targets",
            targets.to_str().unwrap(),
            "--target",
            "esc",
            "-v",
        ],
    );
    let all = text(&o);
    assert!(
        !all.contains('\x1b') && !all.contains('\x07'),
        "a raw escape reached the terminal"
    );
    assert!(
        all.contains("Access\\x1b[2JDenied"),
        "the store's text is shown, escaped: {all}"
    );
}

#[test]
fn clean_reads_no_known_failure_list() {
    // A target whose expectations file is valid for the suite: clean must not check it against
    // an empty scenario list (it exited 2 when it did); it reaches for the store and says so.
    let root = scratch_root("clean-expectations");
    std::fs::write(
        root.join("fixtures/known.toml"),
        "[[known]]\nid = \"preflight/origin/exact\"\nreason = \"r\"\n",
    )
    .unwrap();
    let targets = dead_target(&root, "dead", "CORSPROBE_CLEAN");
    let with_known = std::fs::read_to_string(&targets).unwrap() + "expectations = \"known.toml\"\n";
    std::fs::write(&targets, with_known).unwrap();
    let o = corsprobe_with_keys(
        "CORSPROBE_CLEAN",
        &[
            "--root",
            root.to_str().unwrap(),
            "clean",
            "--targets",
            targets.to_str().unwrap(),
            "--target",
            "dead",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("ListBuckets"), "{}", text(&o));
}

#[test]
fn diagnose_names_the_argument_it_cannot_use_before_sending_anything() {
    for (args, needle) in [
        (
            &["--bucket", "b", "--origin", "https://app.example/page"][..],
            "--origin `https://app.example/page`: an origin such as",
        ),
        (
            &[
                "--bucket",
                "b",
                "--origin",
                "https://app.example",
                "--header",
                "x y",
            ][..],
            "--header `x y`: `name` or `name: value`",
        ),
        (
            &[
                "--bucket",
                "b",
                "--origin",
                "https://app.example",
                "--method",
                "G3T",
            ][..],
            "--method `G3T`",
        ),
        (
            &["--origin", "https://app.example"][..],
            "diagnose needs the bucket the page uses: --bucket NAME",
        ),
    ] {
        let mut all = vec!["diagnose", "--target", "ceph"];
        all.extend(args);
        let o = corsprobe(&all);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    }
}
