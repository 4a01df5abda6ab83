//! Snapshots: the normalized, redacted CORS observation of a scenario, stored beside its suite.
//!
//! The files are insta's (`cargo test` compares through insta); the CLI compares against the
//! same files, so drift is reported the same way with or without Rust tooling. `cargo insta
//! review` cannot review them: it only looks inside the workspace's packages, and `suites/` is
//! none; pending files are reviewed with `diff` and accepted with `--accept-snapshots`.

use crate::cors_config::CorsConfiguration;
use crate::exchange::Phase;
use crate::result::ScenarioResult;
use crate::result::{SnapshotOutcome, SnapshotStatus};
use std::path::{Path, PathBuf};

/// Response headers that make up the CORS observation.
fn is_cors_header(name: &str) -> bool {
    name.starts_with("access-control-") || name == "vary"
}

/// Request headers worth showing: the ones a browser adds for CORS.
fn is_cors_request_header(name: &str) -> bool {
    name == "origin" || name.starts_with("access-control-request-")
}

/// Query parameters that name what a request asks for, shown in a snapshot by name.
const SUBRESOURCES: [&str; 4] = ["cors", "uploads", "uploadId", "partNumber"];

/// Where a run's snapshots live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotDir {
    /// Beside the scenarios: `suites/<group>/snapshots/<id>@<target>.snap` (corsprobe's own).
    Suites(PathBuf),
    /// A directory of the user's (a server project's own): `<dir>/<id>@<target>.snap`.
    Own(PathBuf),
}

impl SnapshotDir {
    /// The snapshot file of a scenario on a target.
    pub fn file(&self, id: &str, target: &str) -> PathBuf {
        let name = format!("{}@{target}.snap", id.replace('/', "__"));
        match self {
            SnapshotDir::Suites(suites) => {
                let group = id.split('/').next().unwrap_or(id);
                suites.join(group).join("snapshots").join(name)
            }
            SnapshotDir::Own(dir) => dir.join(name),
        }
    }
}

/// The snapshot file of a scenario on a target: `suites/<group>/snapshots/<id>@<target>.snap`.
pub fn path(suites: &Path, id: &str, target: &str) -> PathBuf {
    SnapshotDir::Suites(suites.to_path_buf()).file(id, target)
}

/// The pending file beside a snapshot, named as insta names them: `<file>.new`.
pub fn pending_file(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// Run-specific names and what replaces them, longest first, so every run renders alike.
fn run_names(result: &ScenarioResult) -> Vec<(String, &'static str)> {
    let bucket = &result.bucket;
    if result.key_prefix.is_empty() {
        return vec![
            (format!("{bucket}-none"), "[bucket]"),
            (bucket.clone(), "[bucket]"),
        ];
    }
    let prefix = &result.key_prefix;
    vec![
        (format!("{bucket}/{prefix}"), "[bucket]/"),
        (format!("{}-none", prefix.trim_end_matches('/')), "[bucket]"),
        (prefix.clone(), ""),
        (bucket.clone(), "[bucket]"),
    ]
}

/// Renders the normalized observation: CORS headers only, lower-case names, bucket redacted.
pub fn render(result: &ScenarioResult) -> String {
    let names = run_names(result);
    let redact = |s: &str| {
        let mut out = s.to_string();
        for (name, replacement) in &names {
            if !name.is_empty() {
                out = out.replace(name.as_str(), replacement);
            }
        }
        out
    };
    let mut out = format!("title: {}\n", result.title);
    for ex in result.exchanges.iter().filter(|e| e.phase == Phase::Step) {
        out.push_str(&format!("---\nstep: {}\n", ex.label));
        let path = ex.request.path_and_query();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        // Only sub-resources (`?cors`, `?partNumber&uploadId`) say what was asked; their values
        // (an UploadId) and signed query values are volatile, so names alone are kept.
        let subresource = if !query.is_empty() && !query.contains('=') {
            format!("?{query}")
        } else {
            let names: Vec<&str> = query
                .split('&')
                .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
                .filter(|n| SUBRESOURCES.contains(n))
                .collect();
            if names.is_empty() {
                String::new()
            } else {
                format!("?{}", names.join("&"))
            }
        };
        out.push_str(&format!(
            "request: {} {}{}\n",
            ex.request.method,
            redact(path),
            subresource
        ));
        let mut sent: Vec<&(String, String)> = ex
            .request
            .headers
            .iter()
            .filter(|(n, _)| is_cors_request_header(n))
            .collect();
        sent.sort();
        for (n, v) in sent {
            out.push_str(&format!("  > {n}: {}\n", redact(v)));
        }
        match &ex.response {
            Some(r) => {
                out.push_str(&format!("status: {}\n", r.status));
                if let Some(code) = r.error_code() {
                    out.push_str(&format!("error: {code}\n"));
                }
                let mut headers: Vec<&(String, String)> = r
                    .headers
                    .iter()
                    .filter(|(n, _)| is_cors_header(n))
                    .collect();
                headers.sort_by(|a, b| a.0.cmp(&b.0));
                for (n, v) in headers {
                    out.push_str(&format!("  < {n}: {}\n", redact(v)));
                }
                if ex.label.ends_with("(GetBucketCors)")
                    && (200..300).contains(&r.status)
                    && let Ok(cfg) = CorsConfiguration::from_xml(&r.body)
                {
                    out.push_str(&format!("configuration: {}\n", cfg.summary()));
                }
            }
            None => out.push_str(&format!(
                "transport error: {}\n",
                ex.error.as_deref().unwrap_or("none")
            )),
        }
    }
    out
}

/// The content of a stored snapshot file (after insta's header), if it exists.
pub fn read_stored(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let body = match text.strip_prefix("---\n") {
        Some(rest) => rest
            .split_once("\n---\n")
            .map(|(_, content)| content.to_string())
            .unwrap_or_default(),
        None => text,
    };
    Some(body)
}

/// Compares an observation with its stored snapshot.
pub fn compare(
    root: &Path,
    dir: &SnapshotDir,
    id: &str,
    target: &str,
    rendered: &str,
) -> SnapshotOutcome {
    let file = dir.file(id, target);
    let status = match read_stored(&file) {
        None => SnapshotStatus::New,
        Some(stored) if stored.trim_end() == rendered.trim_end() => SnapshotStatus::Match,
        Some(_) => SnapshotStatus::Changed,
    };
    SnapshotOutcome {
        name: format!("{id}@{target}"),
        file: file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string(),
        status,
    }
}

/// Writes an observation as an accepted snapshot, in the format `cargo insta` reads, and
/// removes a pending one it replaces.
pub fn accept(
    dir: &SnapshotDir,
    id: &str,
    target: &str,
    rendered: &str,
) -> Result<PathBuf, String> {
    let file = dir.file(id, target);
    write_snapshot(&file, rendered)?;
    let _ = std::fs::remove_file(pending_file(&file));
    Ok(file)
}

/// Writes an observation that differs from the accepted one (or has none) as pending, beside
/// it, for review: the accepted snapshot stays as it is.
pub fn write_pending(
    dir: &SnapshotDir,
    id: &str,
    target: &str,
    rendered: &str,
) -> Result<PathBuf, String> {
    let file = pending_file(&dir.file(id, target));
    write_snapshot(&file, rendered)?;
    Ok(file)
}

fn write_snapshot(file: &Path, rendered: &str) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = format!(
        "---\nsource: harness/tests/conformance.rs\nexpression: observation\n---\n{}\n",
        rendered.trim_end()
    );
    std::fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Exchange, RecordedRequest, RecordedResponse};
    use crate::vocabulary::Level;

    fn result() -> ScenarioResult {
        ScenarioResult {
            exchanges: vec![Exchange {
                phase: Phase::Step,
                label: "preflight".into(),
                request: RecordedRequest {
                    method: "OPTIONS".into(),
                    url:
                        "http://127.0.0.1:7480/corsprobe-ab12-001/k.txt?X-Amz-Signature=[redacted]"
                            .into(),
                    headers: vec![
                        ("origin".into(), "http://a".into()),
                        ("x-amz-date".into(), "20260101T000000Z".into()),
                    ],
                    body_bytes: 0,
                },
                response: Some(RecordedResponse {
                    status: 200,
                    headers: vec![
                        ("date".into(), "Sat, 28 Nov 2026 00:00:00 GMT".into()),
                        ("x-amz-request-id".into(), "tx0001".into()),
                        ("vary".into(), "Origin".into()),
                        ("access-control-allow-origin".into(), "http://a".into()),
                    ],
                    body: String::new(),
                    body_cut_from: None,
                    body_sha256: None,
                }),
                error: None,
                duration_ms: 1.0,
            }],
            duration_ms: 1.0,
            bucket: "corsprobe-ab12-001".into(),
            ..ScenarioResult::named("g/case", "A preflight", "r", Level::Must)
        }
    }

    #[test]
    fn renders_only_cors_headers_with_volatile_values_removed() {
        let text = render(&result());
        assert_eq!(
            text,
            "title: A preflight\n---\nstep: preflight\nrequest: OPTIONS /[bucket]/k.txt\n  > origin: http://a\nstatus: 200\n  < access-control-allow-origin: http://a\n  < vary: Origin\n"
        );
    }

    #[test]
    fn sub_resources_show_by_name_and_their_values_do_not() {
        let mut r = result();
        r.exchanges[0].request.url = "http://127.0.0.1:7480/corsprobe-ab12-001/k.txt?partNumber=1&uploadId=2~Xy&X-Amz-Signature=[redacted]".into();
        let text = render(&r);
        assert!(
            text.contains("request: OPTIONS /[bucket]/k.txt?partNumber&uploadId\n"),
            "{text}"
        );
        assert!(!text.contains("2~Xy"), "{text}");
        r.exchanges[0].request.url =
            "http://127.0.0.1:7480/corsprobe-ab12-001/k.txt?uploads".into();
        assert!(render(&r).contains("k.txt?uploads\n"));
    }

    #[test]
    fn a_run_inside_an_existing_bucket_renders_like_a_fresh_bucket() {
        let fresh = render(&result());
        let mut r = result();
        r.bucket = "their-bucket".into();
        r.key_prefix = "corsprobe-ab12-001/".into();
        for ex in r.exchanges.iter_mut() {
            ex.request.url = "http://127.0.0.1:7480/their-bucket/corsprobe-ab12-001/k.txt".into();
        }
        assert_eq!(render(&r), fresh);
    }

    #[test]
    fn compare_detects_new_match_and_drift() {
        let root = std::env::temp_dir().join(format!("corsprobe-snap-{}", std::process::id()));
        let suites = SnapshotDir::Suites(root.join("suites"));
        let text = render(&result());
        assert_eq!(
            compare(&root, &suites, "g/case", "t", &text).status,
            SnapshotStatus::New
        );
        let file = accept(&suites, "g/case", "t", &text).unwrap();
        assert!(
            file.ends_with("suites/g/snapshots/g__case@t.snap"),
            "{}",
            file.display()
        );
        let outcome = compare(&root, &suites, "g/case", "t", &text);
        assert_eq!(outcome.status, SnapshotStatus::Match);
        assert_eq!(outcome.file, "suites/g/snapshots/g__case@t.snap");
        let drifted = text.replace("vary: Origin", "vary: Accept");
        assert_eq!(
            compare(&root, &suites, "g/case", "t", &drifted).status,
            SnapshotStatus::Changed
        );
        let pending = write_pending(&suites, "g/case", "t", &drifted).unwrap();
        assert!(
            pending.ends_with("g__case@t.snap.new"),
            "{}",
            pending.display()
        );
        assert_eq!(
            read_stored(&file).unwrap().trim_end(),
            text.trim_end(),
            "the accepted one stays"
        );
        accept(&suites, "g/case", "t", &drifted).unwrap();
        assert!(!pending.exists(), "accepting removes the pending file");
    }

    #[test]
    fn an_own_directory_holds_snapshots_flat() {
        let dir = SnapshotDir::Own(PathBuf::from("/x/ci/snapshots"));
        assert_eq!(
            dir.file("preflight/origin/exact", "srv"),
            PathBuf::from("/x/ci/snapshots/preflight__origin__exact@srv.snap")
        );
    }
}
