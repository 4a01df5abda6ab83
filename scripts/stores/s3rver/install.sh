#!/usr/bin/env bash
# s3rver 3.7 from the npm registry.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
dir="$store_dir/s3rver"
[ -x "$dir/node_modules/.bin/s3rver" ] && exit 0
mkdir -p "$dir" && cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-audit --no-fund s3rver@3.7 >/dev/null
