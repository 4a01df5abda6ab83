#!/usr/bin/env bash
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/credentials.env"
"$(dirname "$0")/stop.sh" || true
run="$state_dir/s3s-fs"; rm -rf "$run"; mkdir -p "$run/data"
nohup "$store_dir/s3s-fs/bin/s3s-fs" --host 127.0.0.1 --port 8014 --access-key "$CORSPROBE_S3SFS_ACCESS_KEY" \
  --secret-key "$CORSPROBE_S3SFS_SECRET_KEY" --domain s3.localhost "$run/data" >"$run/s3s-fs.log" 2>&1 &
echo $! > "$run/pid"
wait_http http://127.0.0.1:8014/ 30 || { echo "s3s-fs did not start; see $run/s3s-fs.log" >&2; exit 1; }
