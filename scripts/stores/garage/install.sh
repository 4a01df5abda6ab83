#!/usr/bin/env bash
# Garage 2.5.0 from the crates registry: about 16 minutes on 2 cores, so the binary is cached
# per machine and the build directory removed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
dir="$store_dir/garage"
[ -x "$dir/bin/garage" ] && exit 0
CARGO_TARGET_DIR="$dir/target" cargo install garage --version 2.5.0 --locked --root "$dir" \
  --no-default-features --features bundled-libs,sqlite,lmdb >/dev/null
rm -rf "$dir/target"
