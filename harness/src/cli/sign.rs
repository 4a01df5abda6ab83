//! `corsprobe sign`: the signature a repro script needs, made when the script runs, from the
//! target's keys in the environment: a signed URL, or a form upload's signed fields. What it
//! prints works, so it refuses to print it to a terminal: a script keeps it in a variable.

use super::*;
use crate::model::vocabulary::{Form, Signing};
use crate::store::client::Request;
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub(super) struct SignArgs {
    /// Target name in the targets file.
    #[arg(long, default_value = "ceph")]
    target: String,
    /// Targets file (default: fixtures/targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
    /// The URL to sign (bucket and key in it as the target addresses them).
    #[arg(long, required_unless_present = "form")]
    url: Option<String>,
    /// Its method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// How: presign, expired-presign, bad-presign (a signed URL), or header, bad-signature,
    /// unknown-key (the signature's header lines).
    #[arg(long, default_value = "presign", value_parser = parse_signing)]
    signing: Signing,
    /// Instead: a form upload's fields, `name=value` a line (valid, forged-signature,
    /// extra-field, expired-policy).
    #[arg(long, value_parser = parse_form, requires_all = ["bucket", "key"])]
    form: Option<Form>,
    /// The form's bucket.
    #[arg(long)]
    bucket: Option<String>,
    /// The form's object key.
    #[arg(long)]
    key: Option<String>,
}

fn parse_signing(s: &str) -> Result<Signing, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("`{s}`: the signings are presign, expired-presign, bad-presign, header, bad-signature and unknown-key")
    })
}

fn parse_form(s: &str) -> Result<Form, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("`{s}`: the forms are valid, forged-signature, extra-field and expired-policy")
    })
}

pub(super) fn sign_cmd(root: &Path, args: &SignArgs) -> i32 {
    if std::io::stdout().is_terminal() {
        eprintln!(
            "corsprobe: sign prints a working signature: capture it (url=\"$(corsprobe sign ...)\") instead of showing it"
        );
        return EXIT_USAGE;
    }
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
    let client = &session.client;
    if let Some(form) = args.form {
        let (bucket, key) = (
            args.bucket.as_deref().unwrap_or(""),
            args.key.as_deref().unwrap_or(""),
        );
        let signed = crate::store::post_policy::form_fields(
            client.target(),
            bucket,
            key,
            client.now(),
            form,
            &[crate::store::post_policy::Condition::ContentLengthRange(
                0,
                1 << 20,
            )],
        );
        for (n, v) in &signed.fields {
            println!("{n}={v}");
        }
        return 0;
    }
    let url = match reqwest::Url::parse(args.url.as_deref().unwrap_or("")) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("corsprobe: --url: {e}");
            return EXIT_USAGE;
        }
    };
    let mut req = Request {
        method: args.method.clone(),
        url,
        headers: vec![],
        body: vec![],
    };
    if let Err(e) = client.sign(&mut req, args.signing) {
        eprintln!(
            "corsprobe: cannot sign: {}",
            crate::report::console::safe(&e)
        );
        return EXIT_USAGE;
    }
    match args.signing {
        Signing::Presign | Signing::ExpiredPresign | Signing::BadPresign => println!("{}", req.url),
        _ => {
            for (n, v) in &req.headers {
                println!("{n}: {v}");
            }
        }
    }
    0
}
