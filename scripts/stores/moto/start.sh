#!/usr/bin/env bash
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
"$(dirname "$0")/stop.sh" || true
run="$state_dir/moto"; rm -rf "$run"; mkdir -p "$run"
# moto answers every request with permissive CORS unless told not to; the bucket rules must decide.
MOTO_DISABLE_GLOBAL_CORS=1 nohup "$store_dir/moto/venv/bin/moto_server" -H 127.0.0.1 -p 5000 >"$run/moto.log" 2>&1 &
echo $! > "$run/pid"
wait_http http://127.0.0.1:5000/ 60 || { echo "moto did not start; see $run/moto.log" >&2; exit 1; }
