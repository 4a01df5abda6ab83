#!/usr/bin/env bash
# The cost benchmark: the probe suite against the local Ceph, N runs (default 5) at --jobs 1
# and 4, one tab-separated line a run and a median per configuration. Not a timed test: run it
# by hand before and after a change and compare. Extra arguments go to `corsprobe bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p corsprobe
exec target/release/corsprobe bench --target ceph "$@"
