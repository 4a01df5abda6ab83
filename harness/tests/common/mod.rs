//! What the test files share: where the repository is, its scenarios, and a plain run of them.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

pub mod scripted_store;
pub mod sockets;

use corsprobe::model::expectations::Expectations;
use corsprobe::model::result::ScenarioResult;
use corsprobe::model::scenario::{self, Scenario};
use corsprobe::run::engine::{self, Cancel, RunOptions};
use corsprobe::store::client::Client;
use std::path::{Path, PathBuf};

/// Listens on a free loopback port and hands each connection, numbered from 1, to `handle`
/// in a task of its own: the accept loop every test server shares. Returns the port.
pub async fn accept_loop<F, Fut>(handle: F) -> u16
where
    F: Fn(tokio::net::TcpStream, u32) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut turn = 0u32;
        while let Ok((stream, _)) = listener.accept().await {
            turn += 1;
            tokio::spawn(handle(stream, turn));
        }
    });
    port
}

/// The repository root (suites/, fixtures/, scripts/).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ sits in the repository")
        .to_path_buf()
}

/// Every scenario of the repository, or the test stops with the loader's errors.
pub fn all_scenarios() -> Vec<Scenario> {
    let root = repo();
    scenario::load_all(&root.join("suites"), &root.join("fixtures"))
        .unwrap_or_else(|errors| panic!("the suites do not load:\n{}", errors.join("\n")))
}

/// The raw-probe scenarios whose ids start with one of `filters` (all of them for none).
pub fn probe_scenarios(filters: &[&str]) -> Vec<Scenario> {
    let filters: Vec<String> = filters.iter().map(|f| f.to_string()).collect();
    scenario::select(all_scenarios(), &filters)
        .into_iter()
        .filter(|s| !s.is_browser())
        .collect()
}

/// Runs scenarios with no known failures and no interruption.
pub async fn run(
    client: &Client,
    scenarios: &[Scenario],
    opts: &RunOptions,
) -> Vec<ScenarioResult> {
    engine::run_all(
        client,
        scenarios,
        &Expectations::default(),
        opts,
        &Cancel::default(),
        |_, _| {},
    )
    .await
}
