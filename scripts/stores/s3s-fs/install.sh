#!/usr/bin/env bash
# s3s-fs 0.14.1 from the crates registry (0.15+ need a newer Rust than the machine's 1.95).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
dir="$store_dir/s3s-fs"
[ -x "$dir/bin/s3s-fs" ] && exit 0
CARGO_TARGET_DIR="$dir/target" cargo install s3s-fs --version 0.14.1 --locked --features binary --root "$dir" >/dev/null
rm -rf "$dir/target"
