//! Real browsers over WebDriver: start the driver, open a session whose browser stays off the
//! network, run page operations, and end both, also when the caller fails.

use crate::model::result::BrowserInfo;
use crate::model::vocabulary::BrowserKind;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Process groups of the drivers this process started: each driver and the browser it
/// launches share one group, so ending the group ends both.
struct DriverGroups {
    /// Groups not ended yet, each with the virtual display it runs on, if any.
    live: Vec<(u32, Option<u32>)>,
    /// Every group ever started, for the check that none outlives its run.
    seen: Vec<u32>,
    /// Every virtual display ever started, for the same check.
    displays: Vec<u32>,
}

static DRIVER_GROUPS: std::sync::Mutex<DriverGroups> = std::sync::Mutex::new(DriverGroups {
    live: Vec::new(),
    seen: Vec::new(),
    displays: Vec::new(),
});

fn kill_group(pgid: u32, display: Option<u32>) {
    // Group 0 would mean this process's own group: never signal it.
    if pgid == 0 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
    if let Some(n) = display {
        forget_display(n);
    }
}

/// Removes what a killed X server leaves of display `n`, so no display outlives its run.
fn forget_display(n: u32) {
    let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
}

/// Ends every driver and browser still running (for exits that skip destructors).
pub fn kill_all_drivers() {
    let live: Vec<(u32, Option<u32>)> = DRIVER_GROUPS
        .lock()
        .map(|mut g| g.live.drain(..).collect())
        .unwrap_or_default();
    for (pgid, display) in live {
        kill_group(pgid, display);
    }
}

/// Every driver process group this process started, ended or not.
pub fn driver_groups_seen() -> Vec<u32> {
    DRIVER_GROUPS
        .lock()
        .map(|g| g.seen.clone())
        .unwrap_or_default()
}

/// Every virtual display this process started, ended or not.
pub fn displays_seen() -> Vec<u32> {
    DRIVER_GROUPS
        .lock()
        .map(|g| g.displays.clone())
        .unwrap_or_default()
}

/// The driver process, in its own process group with the browser it starts (and, for
/// WebKit, the virtual display the browser draws on).
struct Driver {
    child: tokio::process::Child,
    pgid: u32,
    display: Option<Display>,
    /// The driver's standard error, kept for the message when a session does not open.
    log: PathBuf,
}

impl Driver {
    /// The last lines the driver wrote to standard error, for an error message.
    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return "the driver wrote nothing to standard error".into();
        }
        let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
        format!(
            "the driver's standard error ends: {}",
            crate::model::redact::Redactor::default().text(&tail)
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
        kill_group(self.pgid, self.display.as_ref().map(|d| d.number));
        let _ = self.child.start_kill();
        if let Ok(mut g) = DRIVER_GROUPS.lock() {
            g.live.retain(|(p, _)| *p != self.pgid);
        }
    }
}

/// A private X server for a browser without a headless mode; it leads the process group the
/// driver and the browser then join.
struct Display {
    _server: tokio::process::Child,
    number: u32,
    pgid: u32,
}

impl Display {
    /// Starts Xvfb on a display number it picks itself, so runs side by side never collide.
    async fn start() -> Result<Display, String> {
        use tokio::io::AsyncBufReadExt;
        let mut server = tokio::process::Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e} (scripts/install.sh installs it)"))?;
        let pgid = server.id().unwrap_or(0);
        if let Ok(mut g) = DRIVER_GROUPS.lock() {
            g.live.push((pgid, None));
            g.seen.push(pgid);
        }
        let stdout = server.stdout.take().expect("piped");
        let mut line = String::new();
        let read = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await;
        let number = match (read, line.trim().parse::<u32>()) {
            (Ok(Ok(_)), Ok(n)) => n,
            _ => {
                kill_group(pgid, None);
                return Err("Xvfb did not name a display within 10 s".into());
            }
        };
        if let Ok(mut g) = DRIVER_GROUPS.lock() {
            for entry in g.live.iter_mut().filter(|(p, _)| *p == pgid) {
                entry.1 = Some(number);
            }
            g.displays.push(number);
        }
        Ok(Display {
            _server: server,
            number,
            pgid,
        })
    }
}

/// A live browser session and the driver process behind it (both killed on drop).
pub struct Browser {
    client: fantoccini::Client,
    _driver: Driver,
    profile: Option<PathBuf>,
    /// Which browser.
    pub kind: BrowserKind,
    /// Browser name as the driver reports it.
    pub name: String,
    /// Browser version as the driver reports it.
    pub version: String,
    /// Time from spawning the driver to a ready session, in milliseconds.
    pub start_ms: f64,
    /// A window per page, so a step goes back to its page's window instead of loading it.
    windows: tokio::sync::Mutex<Windows>,
}

/// The session's windows: one per page, each showing its page once a step there settled.
///
/// A load per step cost 40-90 ms, and a load on another site 80-140 ms (the browser starts a
/// renderer for the site); switching to a window that already shows the page costs a few.
/// The page script keeps no state between steps, so a settled page serves the next step.
#[derive(Default)]
struct Windows {
    /// The window of each page.
    of: std::collections::HashMap<String, fantoccini::wd::WindowHandle>,
    /// Pages whose window shows them after a step that settled.
    settled: std::collections::HashSet<String>,
    /// The page whose window is current.
    current: Option<String>,
    /// The driver refused a new window: every page then shares the one window.
    single: bool,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(p) = &self.profile {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Spawns a driver in a new process group (or in the display's) and waits until it listens;
/// errors name the driver.
async fn spawn_driver(
    program: &str,
    args: &[String],
    port: u16,
    display: Option<Display>,
) -> Result<Driver, String> {
    let log = std::env::temp_dir().join(format!(
        "corsprobe-driver-{}-{port}.log",
        std::process::id()
    ));
    let stderr =
        std::fs::File::create(&log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .process_group(display.as_ref().map_or(0, |d| d.pgid as i32))
        .kill_on_drop(true);
    if let Some(d) = &display {
        command.env("DISPLAY", format!(":{}", d.number));
    }
    let child = command.spawn().map_err(|e| {
        if let Some(d) = &display {
            kill_group(d.pgid, Some(d.number));
        }
        let _ = std::fs::remove_file(&log);
        format!("cannot start {program}: {e} (scripts/install.sh installs it)")
    })?;
    let pgid = match &display {
        Some(d) => d.pgid,
        None => {
            let pgid = child.id().unwrap_or(0);
            if let Ok(mut g) = DRIVER_GROUPS.lock() {
                g.live.push((pgid, None));
                g.seen.push(pgid);
            }
            pgid
        }
    };
    let mut driver = Driver {
        child,
        pgid,
        display,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(driver);
        }
        if let Ok(Some(status)) = driver.child.try_wait() {
            return Err(format!("{program} exited before listening: {status}"));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(format!(
        "{program} did not listen on 127.0.0.1:{port} within 10 s"
    ))
}

/// The driver program: `$CORSPROBE_CHROMEDRIVER` / `$CORSPROBE_GECKODRIVER` /
/// `$CORSPROBE_WEBKITDRIVER` when set, else chromedriver or WebKitWebDriver from PATH,
/// geckodriver from the install cache or PATH.
fn driver_path(kind: BrowserKind) -> String {
    let var = match kind.engine() {
        BrowserKind::Firefox => "CORSPROBE_GECKODRIVER",
        BrowserKind::Webkit => "CORSPROBE_WEBKITDRIVER",
        _ => "CORSPROBE_CHROMEDRIVER",
    };
    if let Ok(p) = std::env::var(var) {
        return p;
    }
    match kind.engine() {
        BrowserKind::Firefox => {
            let cache = std::env::var("CORSPROBE_CACHE")
                .unwrap_or_else(|_| "/var/cache/corsprobe".to_string());
            let built = PathBuf::from(cache).join("geckodriver/bin/geckodriver");
            if built.is_file() {
                built.display().to_string()
            } else {
                "geckodriver".to_string()
            }
        }
        BrowserKind::Webkit => "WebKitWebDriver".to_string(),
        _ => "chromedriver".to_string(),
    }
}

/// Chromium's DevTools log: each read drains the driver's buffer.
#[derive(Debug)]
struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or("")))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (hyper::Method, Option<String>) {
        (
            hyper::Method::POST,
            Some(r#"{"type":"performance"}"#.to_string()),
        )
    }
}

/// The script every step runs: the page's `corsprobe.run`, answered through the callback.
const RUN_OP: &str = "const done = arguments[arguments.length - 1]; \
     window.corsprobe.run(arguments[0]).then(done, e => done({outcome: 'page-error', status: 0, error: String(e)}));";

/// What one page operation returned, as the page script reports it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageResult {
    /// `loaded`, `network-error`, ...
    pub outcome: String,
    /// Status the page could read.
    #[serde(default)]
    pub status: u16,
    /// Body the page read.
    #[serde(default)]
    pub body: Option<String>,
    /// Readable response headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Error name (e.g. `TypeError`).
    #[serde(default)]
    pub error_name: Option<String>,
    /// Error text in the browser's words.
    #[serde(default)]
    pub error: Option<String>,
    /// Time inside the page.
    #[serde(default)]
    pub ms: f64,
    /// Chromium's reasons for blocking, from its DevTools log.
    #[serde(skip)]
    pub cors_errors: Vec<String>,
}

/// The proxy a browser sends every request to, and the key its certificates are made with.
#[derive(Clone, Debug)]
pub struct ViaProxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Base64 SHA-256 of the public key of every certificate it presents.
    pub spki_sha256: String,
}

impl Browser {
    /// Starts a browser: a driver on a free port and one session with a fresh profile, whose
    /// every request goes to the proxy when one is given.
    pub async fn start(kind: BrowserKind, proxy: Option<&ViaProxy>) -> Result<Browser, String> {
        let started = Instant::now();
        let port = free_port()?;
        let program = driver_path(kind);
        let (driver, caps, profile) = match kind.engine() {
            BrowserKind::Firefox => {
                // Its BiDi socket defaults to 9222; two runs at once would collide there.
                let args = vec![
                    "--port".to_string(),
                    port.to_string(),
                    "--websocket-port".to_string(),
                    free_port()?.to_string(),
                ];
                let driver = spawn_driver(&program, &args, port, None).await?;
                (driver, firefox_caps(kind.standard()), None)
            }
            BrowserKind::Webkit => {
                // MiniBrowser has no headless mode: it draws on a private virtual display.
                let display = Display::start().await?;
                let driver =
                    spawn_driver(&program, &[format!("--port={port}")], port, Some(display))
                        .await?;
                (driver, webkit_caps()?, None)
            }
            _ => {
                let driver =
                    spawn_driver(&program, &[format!("--port={port}")], port, None).await?;
                let profile = std::env::temp_dir()
                    .join(format!("corsprobe-chromium-{}-{port}", std::process::id()));
                (
                    driver,
                    chromium_caps(&profile, kind.standard()),
                    Some(profile),
                )
            }
        };
        let serde_json::Value::Object(mut caps) = caps else {
            unreachable!("a JSON object literal")
        };
        // The standard capabilities all three drivers take. The proxy presents certificates
        // from the run's own authority, which no browser profile trusts: the browser accepts
        // them, and the proxy verifies the real endpoint's certificate in its place.
        if let Some(proxy) = proxy {
            let address = format!("127.0.0.1:{}", proxy.port);
            caps.insert("acceptInsecureCerts".into(), true.into());
            caps.insert(
                "proxy".into(),
                serde_json::json!({"proxyType": "manual", "httpProxy": address, "sslProxy": address}),
            );
            // Chromium keeps nothing in its HTTP cache from a site whose certificate error was
            // ignored, which would hide the cache collisions: trusting the key instead makes
            // the certificates valid to it.
            if let Some(args) = caps
                .get_mut("goog:chromeOptions")
                .and_then(|o| o.get_mut("args"))
                .and_then(|a| a.as_array_mut())
            {
                args.push(
                    format!(
                        "--ignore-certificate-errors-spki-list={}",
                        proxy.spki_sha256
                    )
                    .into(),
                );
            }
        }
        let mut builder = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        );
        builder.capabilities(caps);
        let webdriver = format!("http://127.0.0.1:{port}");
        // A browser that cannot start (MiniBrowser given an unknown option) makes the driver
        // wait forever rather than answer: the limit turns that into an error.
        let client = match tokio::time::timeout(
            Duration::from_secs(60),
            builder.connect(&webdriver),
        )
        .await
        {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => {
                return Err(format!(
                    "{} refused a session: {e}; {}",
                    kind.name(),
                    driver.stderr_tail()
                ));
            }
            Err(_) => {
                return Err(format!(
                    "{} did not open a session within 60 s; {}",
                    kind.name(),
                    driver.stderr_tail()
                ));
            }
        };
        let timeouts = fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(30)),
            Some(Duration::from_secs(20)),
            Some(Duration::from_secs(0)),
        );
        if let Err(e) = client.update_timeouts(timeouts).await {
            let _ = client.clone().close().await;
            return Err(format!("{}: cannot set timeouts: {e}", kind.name()));
        }
        let reported = client.capabilities().cloned().unwrap_or_default();
        let field = |k: &str| {
            reported
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .to_string()
        };
        Ok(Browser {
            kind,
            name: field("browserName"),
            version: field("browserVersion"),
            start_ms: (started.elapsed().as_secs_f64() * 1000.0).round(),
            client,
            _driver: driver,
            profile,
            windows: tokio::sync::Mutex::new(Windows::default()),
        })
    }

    /// Headless Chromium through chromedriver, with a fresh profile, no outside network and
    /// no proxy (for pages on loopback or on disk).
    pub async fn chromium() -> Result<Browser, String> {
        Self::start(BrowserKind::Chromium, None).await
    }

    /// What a run record says about this browser.
    pub fn info(&self) -> BrowserInfo {
        BrowserInfo {
            name: self.kind.name().to_string(),
            version: self.version.clone(),
            start_ms: self.start_ms,
        }
    }

    /// The WebDriver client.
    pub fn client(&self) -> &fantoccini::Client {
        &self.client
    }

    /// Opens `page` and runs one operation in it; the result is what the page saw.
    pub async fn run(&self, page: &str, op: serde_json::Value) -> Result<PageResult, String> {
        let chromium = self.kind.engine() == BrowserKind::Chromium;
        if chromium {
            // Drain what earlier steps left, so the reasons read below are this step's.
            self.devtools_events().await;
        }
        let mut windows = self.windows.lock().await;
        self.show(&mut windows, page).await?;
        let value = self
            .client
            .execute_async(RUN_OP, vec![op])
            .await
            .map_err(|e| format!("{}: the page script failed: {e}", self.kind.name()))?;
        let mut result: PageResult = serde_json::from_value(value.clone())
            .map_err(|e| format!("{}: unexpected page result {value}: {e}", self.kind.name()))?;
        // A step that did not settle may still have requests in flight: load its page again.
        if !matches!(result.outcome.as_str(), "timeout" | "page-error") {
            windows.settled.insert(page.to_string());
        }
        if chromium {
            result.cors_errors = cors_errors(&self.devtools_events().await);
        }
        Ok(result)
    }

    /// Makes `page` the current window's settled page: its own window, switched to, made or
    /// loaded as needed.
    async fn show(&self, windows: &mut Windows, page: &str) -> Result<(), String> {
        let name = self.kind.name();
        if windows.current.as_deref() != Some(page) {
            let mut replace_current = false;
            match windows.of.get(page).cloned() {
                Some(handle) => {
                    self.client.switch_to_window(handle).await.map_err(|e| {
                        format!("{name}: cannot go back to the window of {page}: {e}")
                    })?
                }
                None if windows.current.is_none() => {
                    let handle = self
                        .client
                        .window()
                        .await
                        .map_err(|e| format!("{name}: no current window: {e}"))?;
                    windows.of.insert(page.to_string(), handle);
                }
                None if windows.single => replace_current = true,
                None => match self.client.new_window(true).await {
                    Ok(made) => {
                        self.client
                            .switch_to_window(made.handle.clone())
                            .await
                            .map_err(|e| format!("{name}: cannot open a window for {page}: {e}"))?;
                        windows.of.insert(page.to_string(), made.handle);
                    }
                    // Without windows every page shares the one, and loads on each change.
                    Err(_) => {
                        windows.single = true;
                        replace_current = true;
                    }
                },
            }
            if replace_current && let Some(shown) = &windows.current {
                windows.settled.remove(shown);
            }
            windows.current = Some(page.to_string());
        }
        if !windows.settled.remove(page) {
            self.client
                .goto(page)
                .await
                .map_err(|e| format!("{name}: cannot open {page}: {e}"))?;
        }
        Ok(())
    }

    /// Chromium's DevTools events since the last read (empty where the driver has none).
    async fn devtools_events(&self) -> Vec<serde_json::Value> {
        match self.client.issue_cmd(PerformanceLog).await {
            Ok(serde_json::Value::Array(entries)) => entries
                .into_iter()
                .filter_map(|e| {
                    e.get("message")
                        .and_then(|m| m.as_str())
                        .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
                        .and_then(|m| m.get("message").cloned())
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Ends the session; the driver process ends when the value is dropped.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
    }
}

/// The CORS reasons in `Network.loadingFailed` events, e.g. `MissingAllowOriginHeader`.
pub fn cors_errors(events: &[serde_json::Value]) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .filter(|e| e.get("method").and_then(|m| m.as_str()) == Some("Network.loadingFailed"))
        .filter_map(|e| {
            e.pointer("/params/corsErrorStatus/corsError")
                .and_then(|c| c.as_str())
                .map(String::from)
        })
        .collect();
    out.dedup();
    out
}

fn chromium_caps(profile: &std::path::Path, standard: bool) -> serde_json::Value {
    let binary = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("chromium");
    // Every flag keeps the browser quiet on the network: only loopback is ever contacted.
    let mut args: Vec<String> = [
                // Loopback goes through the proxy too (Chromium bypasses it by default).
                "--proxy-bypass-list=<-loopback>",
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--disable-quic", "--disable-extensions",
                "--mute-audio", "--password-store=basic", "--use-mock-keychain", "--window-size=1280,1000",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE *.localhost , EXCLUDE 127.*",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    if standard {
        // The standard's rule Chromium 156 does not enforce by default: `*` in
        // Access-Control-Allow-Headers does not cover Authorization.
        args.push("--enable-features=CorsNonWildcardRequestHeadersSupport".into());
    }
    serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": args,
            "perfLoggingPrefs": {"enableNetwork": true, "enablePage": false}
        },
        "goog:loggingPrefs": {"performance": "ALL"}
    })
}

/// MiniBrowser, which `libwebkit2gtk-4.1-0` puts in its multiarch library directory.
fn minibrowser() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("CORSPROBE_MINIBROWSER") {
        return Ok(PathBuf::from(p));
    }
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("webkit2gtk-4.1/MiniBrowser"))
        .find(|p| p.is_file());
    found.ok_or_else(|| {
        "MiniBrowser not found under /usr/lib/*/webkit2gtk-4.1 (scripts/install.sh installs webkit2gtk-driver)".to_string()
    })
}

fn webkit_caps() -> Result<serde_json::Value, String> {
    // WebKit has no switch for background traffic: MiniBrowser in automation mode opens only
    // what the session asks for, and the pages name loopback addresses, so no lookup is made.
    Ok(serde_json::json!({
        "browserName": "MiniBrowser",
        "webkitgtk:browserOptions": {
            "binary": minibrowser()?.display().to_string(),
            "args": ["--automation"]
        }
    }))
}

/// Hosts a browser asks for on its own, whatever the page does: Firefox ESR 153 fetches its
/// remote settings from Mozilla although `services.settings.server` points elsewhere (release
/// builds ignore the pref). The proxy refuses them like any other host; they are not a page
/// step's doing, so a step's error does not list them.
pub const BACKGROUND_HOSTS: &[&str] = &[
    "firefox.settings.services.mozilla.com",
    // Chromium 156 asks it once, at the first page step, in a fresh profile.
    "accounts.google.com",
];

/// True when a destination (`host:port`) is one a browser asks for on its own.
pub fn background(destination: &str) -> bool {
    let host = destination
        .rsplit_once(':')
        .map_or(destination, |(host, _)| host);
    BACKGROUND_HOSTS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
}

fn firefox_caps(standard: bool) -> serde_json::Value {
    let binary = ["/usr/bin/firefox-esr", "/usr/bin/firefox"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("firefox");
    // Without these prefs Firefox looks up Mozilla's hosts in the background.
    serde_json::json!({
        "browserName": "firefox",
        "moz:firefoxOptions": {
            "binary": binary,
            "args": ["-headless"],
            "prefs": {
                "network.http.http3.enable": false,
                "network.dns.disablePrefetch": true,
                "network.dns.localDomains": "firefox.settings.services.mozilla.com",
                "services.settings.server": "http://127.0.0.1:9/v1",
                "messaging-system.rsexperimentloader.enabled": false,
                "app.normandy.enabled": false,
                "network.captive-portal-service.enabled": false,
                "network.connectivity-service.enabled": false,
                "browser.safebrowsing.malware.enabled": false,
                "browser.safebrowsing.phishing.enabled": false,
                "datareporting.policy.dataSubmissionEnabled": false,
                "toolkit.telemetry.enabled": false,
                "app.update.enabled": false,
                "browser.shell.checkDefaultBrowser": false,
                // Loopback goes through the proxy too (Firefox bypasses it by default).
                "network.proxy.allow_hijacking_localhost": true,
                "network.proxy.no_proxies_on": "",
                // The standard's rule Firefox ESR 153 does not enforce by default.
                "network.cors_preflight.authorization_covered_by_wildcard": !standard
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_reasons_come_from_failed_loads_only() {
        let events = vec![
            serde_json::json!({"method": "Network.requestWillBeSent", "params": {}}),
            serde_json::json!({"method": "Network.loadingFailed",
                "params": {"corsErrorStatus": {"corsError": "MissingAllowOriginHeader"}}}),
            serde_json::json!({"method": "Network.loadingFailed", "params": {"errorText": "net::ERR_ABORTED"}}),
        ];
        assert_eq!(cors_errors(&events), vec!["MissingAllowOriginHeader"]);
        assert!(cors_errors(&events[..1]).is_empty());
    }

    #[test]
    fn only_the_browsers_own_hosts_are_background() {
        assert!(background("firefox.settings.services.mozilla.com:443"));
        assert!(background("Firefox.Settings.Services.Mozilla.com:443"));
        assert!(!background("settings.services.mozilla.com.example:443"));
        assert!(!background("corsprobe-elsewhere.example:443"));
        assert!(!background("198.51.100.7:80"));
    }

    #[tokio::test]
    async fn a_driver_that_cannot_start_is_an_error_naming_it() {
        let missing = spawn_driver("/nonexistent/chromedriver", &[], free_port().unwrap(), None)
            .await
            .err()
            .unwrap();
        assert!(
            missing.contains("cannot start /nonexistent/chromedriver"),
            "{missing}"
        );
        let started = Instant::now();
        let quits = spawn_driver("false", &[], free_port().unwrap(), None)
            .await
            .err()
            .unwrap();
        assert!(quits.contains("false exited before listening"), "{quits}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no waiting on a dead driver"
        );
    }

    #[test]
    fn browser_names_parse_back() {
        for b in BrowserKind::ALL {
            assert_eq!(BrowserKind::parse(b.name()), Some(b));
        }
        assert_eq!(BrowserKind::parse("safari"), None);
    }
}
