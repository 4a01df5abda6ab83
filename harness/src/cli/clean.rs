//! `corsprobe clean`: removes the buckets named with a target's prefix, left by killed runs.

use super::*;
use crate::run::engine;
use crate::run::session::Session;
use std::path::Path;
use std::time::Duration;

pub(super) fn clean(root: &Path, target_name: &str, targets: Option<&Path>) -> i32 {
    let Session { target, client, .. } =
        match open_session(root, targets, target_name, Duration::from_secs(20), None) {
            Ok(s) => s,
            Err(code) => return code,
        };
    runtime().block_on(async {
        let (listing, names) = client
            .list_buckets(crate::model::exchange::Phase::Teardown)
            .await;
        if !listing.succeeded() {
            eprintln!(
                "corsprobe: ListBuckets on {}: {}",
                target.endpoint_host(),
                listing.outcome()
            );
            return EXIT_ERROR;
        }
        let ours: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with(&target.bucket_prefix))
            .collect();
        let mut failed = 0;
        for name in &ours {
            match engine::remove_bucket(&client, name).await.1 {
                Ok(()) => println!("removed {name}"),
                Err(e) => {
                    failed += 1;
                    eprintln!("corsprobe: {e}");
                }
            }
        }
        println!(
            "corsprobe: removed {} of {} bucket(s) named `{}*`; {} other bucket(s) left alone",
            ours.len() - failed,
            ours.len(),
            target.bucket_prefix,
            names.len() - ours.len()
        );
        if failed > 0 { EXIT_ERROR } else { 0 }
    })
}
