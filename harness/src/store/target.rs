//! Targets: the endpoints the suite runs against, read from a TOML targets file.

use crate::model::vocabulary::{Addressing, Dialect, OssSignature};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    #[serde(default)]
    targets: BTreeMap<String, RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    vendor: String,
    dialect: Dialect,
    endpoint: String,
    region: String,
    #[serde(default)]
    addressing: Addressing,
    access_key_env: String,
    secret_key_env: String,
    #[serde(default)]
    session_token_env: Option<String>,
    #[serde(default)]
    env_file: Option<PathBuf>,
    #[serde(default = "default_prefix")]
    bucket_prefix: String,
    #[serde(default)]
    expectations: Option<PathBuf>,
    #[serde(default)]
    start: Option<PathBuf>,
    #[serde(default)]
    stop: Option<PathBuf>,
    #[serde(default = "default_ready_secs")]
    ready_timeout_secs: u64,
    #[serde(default)]
    existing_bucket: Option<String>,
    #[serde(default)]
    oss_signature: Option<OssSignature>,
    #[serde(default)]
    probe_only: Option<RawProbeOnly>,
    #[serde(default)]
    snapshots: Option<PathBuf>,
    #[serde(default)]
    bucket_hook: Option<PathBuf>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    propagation_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbeOnly {
    bucket: String,
    rules: PathBuf,
    #[serde(default)]
    objects: Vec<RawObject>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObject {
    key: String,
    #[serde(default)]
    body: Option<String>,
}

/// A bucket the suite may only read: its objects and the CORS rules it already has.
#[derive(Debug, Clone)]
pub struct ProbeOnly {
    /// The bucket.
    pub bucket: String,
    /// Its CORS rules, as declared.
    pub rules: crate::model::cors_config::CorsConfiguration,
    /// Where the rules were read from.
    pub rules_file: PathBuf,
    /// Objects it holds: key and, if declared, body.
    pub objects: Vec<(String, Option<String>)>,
}

fn default_prefix() -> String {
    "corsprobe-".to_string()
}

fn default_ready_secs() -> u64 {
    90
}

/// Keys to sign with; never printed.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Optional session (STS) token.
    pub session_token: Option<String>,
}

impl Credentials {
    /// The same keys with a wrong secret: what a forged or broken signature is made with.
    pub fn with_wrong_secret(&self) -> Credentials {
        Credentials {
            secret_key: format!("{}-wrong", self.secret_key),
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

/// A fully resolved target, credentials included.
#[derive(Debug, Clone)]
pub struct Target {
    /// The name given in the targets file; the column in reports.
    pub name: String,
    /// Human vendor name (e.g. "Ceph radosgw 16.2").
    pub vendor: String,
    /// Signing and API family.
    pub dialect: Dialect,
    /// Base URL, e.g. `http://127.0.0.1:7480`.
    pub endpoint: reqwest::Url,
    /// Signing region.
    pub region: String,
    /// Path-style or virtual-host URLs.
    pub addressing: Addressing,
    /// Keys from the environment.
    pub credentials: Credentials,
    /// Prefix of every bucket the suite creates.
    pub bucket_prefix: String,
    /// Known-failure list for this target.
    pub expectations: Option<PathBuf>,
    /// Command that starts the local store.
    pub start: Option<PathBuf>,
    /// Command that stops the local store.
    pub stop: Option<PathBuf>,
    /// How long to wait for a started store to answer.
    pub ready_timeout_secs: u64,
    /// Run inside this bucket instead of creating buckets (for keys that cannot create them).
    pub existing_bucket: Option<String>,
    /// OSS targets: the signature version.
    pub oss_signature: OssSignature,
    /// Read-only target: the suite never writes and runs only what the declared rules allow.
    pub probe_only: Option<ProbeOnly>,
    /// The target's own snapshot directory (a server project's), instead of `suites/`.
    pub snapshots: Option<PathBuf>,
    /// Run as `bash HOOK created|deleted BUCKET` after each CreateBucket and DeleteBucket: the
    /// store-side setup an S3 call cannot make (Garage's global bucket aliases).
    pub bucket_hook: Option<PathBuf>,
    /// The environment variables holding the access key and the secret (never their values).
    pub credential_vars: [String; 2],
    /// The file of local throwaway keys used when those variables are unset.
    pub env_file: Option<PathBuf>,
    /// PEM certificates of the CAs an HTTPS endpoint is trusted by, besides the system's.
    pub ca_file: Option<PathBuf>,
    /// After each rules change, wait up to this long for a preflight to show the new rules
    /// (0: no wait, for stores that apply a change to the next request).
    pub propagation_timeout_secs: u64,
}

/// Why a target could not be loaded: the file is wrong (exit 2), or the request is (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// The targets file cannot be read, does not parse, or a field is invalid: file and field named.
    File(String),
    /// No target of that name, or a credential variable is not set.
    Usage(String),
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::File(e) | TargetError::Usage(e) => f.write_str(e),
        }
    }
}

impl From<TargetError> for String {
    fn from(e: TargetError) -> String {
        e.to_string()
    }
}

/// Whether loading needs the credentials (a run) or only checks the file (`validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentialed {
    /// Every credential variable must be set.
    Required,
    /// Missing variables leave empty keys: nothing is sent.
    Optional,
}

impl Target {
    /// A target built in code (tests, embedding): path-style, `corsprobe-` prefix, no local store.
    pub fn new(
        name: &str,
        dialect: Dialect,
        endpoint: reqwest::Url,
        region: &str,
        credentials: Credentials,
    ) -> Target {
        Target {
            name: name.to_string(),
            vendor: name.to_string(),
            dialect,
            endpoint,
            region: region.to_string(),
            addressing: Addressing::Path,
            credentials,
            bucket_prefix: default_prefix(),
            expectations: None,
            start: None,
            stop: None,
            bucket_hook: None,
            ready_timeout_secs: default_ready_secs(),
            existing_bucket: None,
            oss_signature: OssSignature::default(),
            probe_only: None,
            snapshots: None,
            credential_vars: ["ACCESS_KEY".to_string(), "SECRET_KEY".to_string()],
            env_file: None,
            ca_file: None,
            propagation_timeout_secs: 0,
        }
    }

    /// True when the endpoint is on this machine, where the store shares its cores.
    pub fn on_loopback(&self) -> bool {
        match self.endpoint.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(name)) => is_localhost_name(&name.to_ascii_lowercase()),
            None => false,
        }
    }

    /// `host:port` of the endpoint, for reports.
    pub fn endpoint_host(&self) -> String {
        let host = self.endpoint.host_str().unwrap_or("");
        match self.endpoint.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }
}

/// True for `localhost` and every `*.localhost` name: loopback, as browsers resolve them.
pub fn is_localhost_name(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

fn parse_file(file: &Path) -> Result<TargetsFile, TargetError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        TargetError::File(format!("{}: cannot read targets file: {e}", file.display()))
    })?;
    toml::from_str(&text)
        .map_err(|e| TargetError::File(crate::model::located::toml_error(file, &text, &e)))
}

/// Reads a targets file and resolves one target by name, credentials included.
///
/// Relative paths in the file are resolved from the file's own directory.
pub fn load(file: &Path, name: &str) -> Result<Target, TargetError> {
    let parsed = parse_file(file)?;
    let Some(raw) = parsed.targets.get(name) else {
        let names: Vec<&str> = parsed.targets.keys().map(String::as_str).collect();
        return Err(TargetError::Usage(format!(
            "{}: no target named `{name}` (defined: {})",
            file.display(),
            names.join(", ")
        )));
    };
    resolve(file, name, raw, Credentialed::Required)
}

/// Resolves every target of a file as a run would, without needing its credentials: every
/// field, path and rules document is checked. Errors name file and field.
pub fn load_all(file: &Path) -> Result<Vec<Target>, Vec<String>> {
    let parsed = parse_file(file).map_err(|e| vec![e.to_string()])?;
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for (name, raw) in &parsed.targets {
        match resolve(file, name, raw, Credentialed::Optional) {
            Ok(t) => targets.push(t),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(targets)
    } else {
        Err(errors)
    }
}

fn resolve(
    file: &Path,
    name: &str,
    raw: &RawTarget,
    credentialed: Credentialed,
) -> Result<Target, TargetError> {
    let at = |field: &str| format!("{}: targets.{name}.{field}", file.display());
    let base = file.parent().unwrap_or(Path::new("."));
    let bad = |field: &str, why: String| TargetError::File(format!("{}: {why}", at(field)));
    let endpoint = reqwest::Url::parse(&raw.endpoint)
        .map_err(|e| bad("endpoint", format!("`{}` is not a URL: {e}", raw.endpoint)))?;
    if !matches!(endpoint.scheme(), "http" | "https") {
        return Err(bad("endpoint", "scheme must be http or https".into()));
    }
    if raw.addressing == Addressing::Virtual
        && matches!(
            endpoint.host(),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))
        )
    {
        return Err(bad(
            "addressing",
            format!(
                "virtual-host addressing puts the bucket in the host name, and `{}` is an IP address; use a DNS name (for a local store, `s3.localhost` reaches loopback) or addressing = \"path\"",
                endpoint.host_str().unwrap_or_default()
            ),
        ));
    }
    if raw.oss_signature.is_some() && raw.dialect != Dialect::Oss {
        return Err(bad(
            "oss_signature",
            "only `oss` targets choose an OSS signature".into(),
        ));
    }
    let bucket_prefix = raw.bucket_prefix.clone();
    if bucket_prefix.is_empty()
        || bucket_prefix.len() > 30
        || !bucket_prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(bad(
            "bucket_prefix",
            format!("`{bucket_prefix}` must be 1-30 characters of a-z, 0-9 and '-'"),
        ));
    }
    // Every relative path names a file beside the targets file; a missing one is shown resolved.
    let path = |field: &str, p: &Option<PathBuf>| -> Result<Option<PathBuf>, TargetError> {
        match p {
            None => Ok(None),
            Some(p) => {
                let resolved = base.join(p);
                if resolved.exists() {
                    Ok(Some(resolved))
                } else {
                    Err(bad(
                        field,
                        format!(
                            "`{}` does not exist (resolved against the targets file's directory: {})",
                            p.display(),
                            resolved.display()
                        ),
                    ))
                }
            }
        }
    };
    let env_file = match path("env_file", &raw.env_file)? {
        Some(p) => read_env_file(&p).map_err(TargetError::File)?,
        None => BTreeMap::new(),
    };
    let var = |field: &str, var: &str| -> Result<String, TargetError> {
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => match (env_file.get(var), credentialed) {
                (Some(v), _) => Ok(v.clone()),
                (None, Credentialed::Optional) => Ok(String::new()),
                (None, Credentialed::Required) => Err(TargetError::Usage(format!(
                    "{}: environment variable `{var}` is not set (it holds the credential; export it)",
                    at(field)
                ))),
            },
        }
    };
    let credentials = Credentials {
        access_key: var("access_key_env", &raw.access_key_env)?,
        secret_key: var("secret_key_env", &raw.secret_key_env)?,
        session_token: match &raw.session_token_env {
            Some(v) => Some(var("session_token_env", v)?),
            None => None,
        },
    };
    let snapshots = raw.snapshots.as_ref().map(|p| base.join(p));
    Ok(Target {
        name: name.to_string(),
        vendor: raw.vendor.clone(),
        dialect: raw.dialect,
        endpoint,
        region: raw.region.clone(),
        addressing: raw.addressing,
        credentials,
        bucket_prefix,
        expectations: path("expectations", &raw.expectations)?,
        start: path("start", &raw.start)?,
        stop: path("stop", &raw.stop)?,
        bucket_hook: path("bucket_hook", &raw.bucket_hook)?,
        credential_vars: [raw.access_key_env.clone(), raw.secret_key_env.clone()],
        env_file: path("env_file", &raw.env_file)?,
        ca_file: match path("ca_file", &raw.ca_file)? {
            Some(p) => {
                ca_certificates(&p).map_err(|e| bad("ca_file", e))?;
                Some(p)
            }
            None => None,
        },
        ready_timeout_secs: raw.ready_timeout_secs,
        propagation_timeout_secs: match raw.propagation_timeout_secs {
            0..=600 => raw.propagation_timeout_secs,
            n => {
                return Err(bad(
                    "propagation_timeout_secs",
                    format!("{n}: at most 600 (0 turns the wait off)"),
                ));
            }
        },
        existing_bucket: raw.existing_bucket.clone(),
        oss_signature: raw.oss_signature.unwrap_or_default(),
        probe_only: match &raw.probe_only {
            Some(p) => {
                let rules_path =
                    path("probe_only.rules", &Some(p.rules.clone()))?.unwrap_or_default();
                let rules = crate::model::cors_config::CorsConfiguration::load(&rules_path)
                    .map_err(|e| bad("probe_only.rules", e))?;
                if raw.existing_bucket.is_some() {
                    return Err(bad(
                        "probe_only",
                        "a probe-only target takes no existing_bucket".into(),
                    ));
                }
                Some(ProbeOnly {
                    bucket: p.bucket.clone(),
                    rules,
                    rules_file: p.rules.clone(),
                    objects: p
                        .objects
                        .iter()
                        .map(|o| (o.key.clone(), o.body.clone()))
                        .collect(),
                })
            }
            None => None,
        },
        snapshots,
    })
}

/// The certificates of a PEM file, for the client to trust; an error names what is wrong.
pub fn ca_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "`{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("`{}`: not a PEM certificate bundle: {e}", path.display()))
}

/// Reads `NAME=value` lines; used for the fixed throwaway keys of local stores.
fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read env file: {e}", path.display()))?;
    let mut vars = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("{}:{}: expected NAME=value", path.display(), n + 1));
        };
        vars.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_endpoint_on_this_machine_is_on_loopback() {
        let at = |url: &str| {
            let endpoint = reqwest::Url::parse(url).unwrap();
            let keys = Credentials {
                access_key: String::new(),
                secret_key: String::new(),
                session_token: None,
            };
            Target::new("t", Dialect::S3, endpoint, "us-east-1", keys).on_loopback()
        };
        for near in [
            "http://127.0.0.1:7480",
            "http://127.9.0.2",
            "http://[::1]:9000",
            "https://s3.vendor.localhost:8443",
            "http://LOCALHOST:9000",
        ] {
            assert!(at(near), "{near}");
        }
        for far in [
            "https://s3.us-east-1.amazonaws.com",
            "https://oss-cn-hangzhou.aliyuncs.com",
            "http://10.0.0.5:9000",
            "http://localhost.example.com",
            "http://[2001:db8::1]",
        ] {
            assert!(!at(far), "{far}");
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("corsprobe-target-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const BASE: &str = r#"
[targets.local]
vendor = "Test"
dialect = "s3"
endpoint = "http://127.0.0.1:1"
region = "us-east-1"
access_key_env = "CORSPROBE_TEST_AK_UNSET_1"
secret_key_env = "CORSPROBE_TEST_SK_UNSET_1"
"#;

    #[test]
    fn missing_credential_variable_is_named() {
        let d = tempdir("missing");
        let f = write(&d, "t.toml", BASE);
        let err = load(&f, "local").unwrap_err().to_string();
        assert!(err.contains("CORSPROBE_TEST_AK_UNSET_1"), "{err}");
        assert!(err.contains("targets.local.access_key_env"), "{err}");
    }

    #[test]
    fn env_file_supplies_local_keys_without_putting_them_in_the_targets_file() {
        let d = tempdir("envfile");
        write(
            &d,
            "keys.env",
            "# local\nCORSPROBE_TEST_AK_UNSET_1=ak\nexport CORSPROBE_TEST_SK_UNSET_1=\"sk\"\n",
        );
        let f = write(&d, "t.toml", &format!("{BASE}env_file = \"keys.env\"\n"));
        let t = load(&f, "local").unwrap();
        assert_eq!(t.credentials.access_key, "ak");
        assert_eq!(t.credentials.secret_key, "sk");
        assert_eq!(t.endpoint_host(), "127.0.0.1:1");
        assert!(
            !format!("{t:?}").contains("sk\""),
            "Debug must not print keys"
        );
    }

    #[test]
    fn unknown_key_and_unknown_target_are_located() {
        let d = tempdir("unknown");
        let f = write(&d, "t.toml", &format!("{BASE}colour = \"red\"\n"));
        let err = load(&f, "local").unwrap_err().to_string();
        assert!(err.contains("t.toml:") && err.contains("colour"), "{err}");
        let f = write(&d, "t2.toml", BASE);
        let err = load(&f, "nope").unwrap_err().to_string();
        assert!(
            err.contains("no target named `nope`") && err.contains("local"),
            "{err}"
        );
    }

    #[test]
    fn bad_endpoint_and_prefix_name_the_field() {
        let d = tempdir("bad");
        let f = write(&d, "t.toml", &BASE.replace("http://127.0.0.1:1", "ftp://x"));
        assert!(
            load(&f, "local")
                .unwrap_err()
                .to_string()
                .contains("targets.local.endpoint")
        );
        let f = write(
            &d,
            "t2.toml",
            &format!("{BASE}bucket_prefix = \"Bad_Prefix\"\n"),
        );
        assert!(
            load(&f, "local")
                .unwrap_err()
                .to_string()
                .contains("bucket_prefix")
        );
    }

    #[test]
    fn virtual_host_addressing_with_an_ip_endpoint_is_refused() {
        let d = tempdir("vhost-ip");
        let f = write(&d, "t.toml", &format!("{BASE}addressing = \"virtual\"\n"));
        let err = load_all(&f).unwrap_err().join("\n");
        assert!(
            err.contains("targets.local.addressing") && err.contains("127.0.0.1"),
            "{err}"
        );
        let named = BASE.replace("127.0.0.1:1", "s3.localhost:1");
        let f = write(&d, "t2.toml", &format!("{named}addressing = \"virtual\"\n"));
        assert!(load_all(&f).is_ok());
    }

    #[test]
    fn relative_paths_resolve_beside_the_targets_file_and_a_missing_one_is_shown_resolved() {
        let d = tempdir("relative");
        let ci = d.join("ci");
        std::fs::create_dir_all(&ci).unwrap();
        write(&ci, "known.toml", "");
        let f = write(
            &ci,
            "t.toml",
            &format!("{BASE}expectations = \"known.toml\"\n"),
        );
        let t = &load_all(&f).unwrap()[0];
        assert_eq!(
            t.expectations.as_deref(),
            Some(ci.join("known.toml").as_path())
        );
        let f = write(&ci, "t2.toml", &format!("{BASE}start = \"start.sh\"\n"));
        let err = load_all(&f).unwrap_err().join("\n");
        assert!(
            err.contains("targets.local.start")
                && err.contains(&ci.join("start.sh").display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_file_error_and_a_usage_error_are_told_apart() {
        let d = tempdir("kinds");
        let f = write(&d, "t.toml", &format!("{BASE}colour = 1\n"));
        assert!(matches!(load(&f, "local"), Err(TargetError::File(_))));
        let f = write(&d, "t2.toml", BASE);
        assert!(matches!(load(&f, "local"), Err(TargetError::Usage(_))));
        assert!(matches!(load(&f, "other"), Err(TargetError::Usage(_))));
        assert!(load_all(&f).is_ok(), "validate needs no credentials");
    }
}
