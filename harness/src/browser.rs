//! Real browsers over WebDriver: start the driver, open a session whose browser stays off the
//! network, and end both, also when the caller fails.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A live browser session and the driver process behind it (killed on drop).
pub struct Browser {
    client: fantoccini::Client,
    _driver: tokio::process::Child,
    profile: PathBuf,
    /// Browser name as the driver reports it.
    pub name: String,
    /// Browser version as the driver reports it.
    pub version: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Spawns a driver and waits until it listens; its errors name the driver.
async fn spawn_driver(
    program: &str,
    args: &[String],
    port: u16,
) -> Result<tokio::process::Child, String> {
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e} (scripts/install.sh installs it)"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(format!(
        "{program} did not listen on 127.0.0.1:{port} within 10 s"
    ))
}

impl Browser {
    /// Headless Chromium through chromedriver, with a fresh profile and no outside network.
    pub async fn chromium() -> Result<Browser, String> {
        let port = free_port()?;
        let driver = spawn_driver("chromedriver", &[format!("--port={port}")], port).await?;
        let profile =
            std::env::temp_dir().join(format!("corsprobe-chromium-{}-{port}", std::process::id()));
        let binary = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("chromium");
        // Every flag keeps the browser quiet on the network: only loopback is ever contacted.
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--no-default-browser-check", "--disable-quic", "--disable-extensions",
                    "--mute-audio", "--password-store=basic", "--use-mock-keychain", "--window-size=1280,1000",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.*",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("chromedriver refused a session: {e}"))?;
        let reported = client.capabilities().cloned().unwrap_or_default();
        let field = |k: &str| {
            reported
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .to_string()
        };
        Ok(Browser {
            name: field("browserName"),
            version: field("browserVersion"),
            client,
            _driver: driver,
            profile,
        })
    }

    /// The WebDriver client.
    pub fn client(&self) -> &fantoccini::Client {
        &self.client
    }

    /// Ends the session; the driver process ends when the value is dropped.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
