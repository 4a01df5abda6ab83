//! A target's bucket hook: a script run after each CreateBucket and DeleteBucket, for the
//! store-side setup no S3 call can make (a Garage bucket's global alias, and its removal).

use std::path::Path;
use std::time::Duration;

/// How long one hook call may take.
const LIMIT: Duration = Duration::from_secs(30);

/// What happened to the bucket, as the hook's first argument says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// CreateBucket succeeded.
    Created,
    /// DeleteBucket was sent (whatever it answered): the hook removes what it added.
    Deleted,
}

impl Event {
    fn arg(self) -> &'static str {
        match self {
            Event::Created => "created",
            Event::Deleted => "deleted",
        }
    }
}

/// Runs `bash HOOK EVENT BUCKET`; a failure names the hook, its exit and its last output lines.
pub async fn run(hook: &Path, event: Event, bucket: &str) -> Result<(), String> {
    let child = tokio::process::Command::new("bash")
        .arg(hook)
        .arg(event.arg())
        .arg(bucket)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(LIMIT, child).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(format!(
                "cannot run the bucket hook {}: {e}",
                hook.display()
            ));
        }
        Err(_) => {
            return Err(format!(
                "the bucket hook {} did not finish within {} s",
                hook.display(),
                LIMIT.as_secs()
            ));
        }
    };
    if out.status.success() {
        return Ok(());
    }
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    Err(format!(
        "the bucket hook {} {} {bucket} exited with {}: {}",
        hook.display(),
        event.arg(),
        out.status,
        lines[lines.len().saturating_sub(5)..].join(" | ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hook_gets_its_event_and_bucket_and_a_failure_says_why() {
        let dir = std::env::temp_dir().join(format!("corsprobe-hook-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hook = dir.join("hook.sh");
        let seen = dir.join("seen");
        std::fs::write(
            &hook,
            format!(
                "echo \"$1 $2\" >> {}\n[ \"$2\" != bad ] || {{ echo nope >&2; exit 3; }}\n",
                seen.display()
            ),
        )
        .unwrap();
        run(&hook, Event::Created, "b1").await.unwrap();
        run(&hook, Event::Deleted, "b1").await.unwrap();
        let e = run(&hook, Event::Created, "bad").await.unwrap_err();
        assert!(e.contains("created bad") && e.contains("nope"), "{e}");
        let text = std::fs::read_to_string(&seen).unwrap();
        assert_eq!(text, "created b1\ndeleted b1\ncreated bad\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
