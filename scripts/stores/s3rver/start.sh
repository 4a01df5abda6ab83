#!/usr/bin/env bash
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
"$(dirname "$0")/stop.sh" || true
run="$state_dir/s3rver"; rm -rf "$run"; mkdir -p "$run/data"
cd "$run"
nohup "$store_dir/s3rver/node_modules/.bin/s3rver" -d "$run/data" -a 127.0.0.1 -p 4568 --service-endpoint localhost >"$run/s3rver.log" 2>&1 &
echo $! > "$run/pid"
wait_http http://127.0.0.1:4568/ 30 || { echo "s3rver did not start; see $run/s3rver.log" >&2; exit 1; }
