#!/usr/bin/env bash
# LocalStack phones home (analytics, certificates, DNS): run it, and the suite, inside a
# loopback-only network namespace (scripts/run-matrix.sh does `unshare -n`).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
"$(dirname "$0")/stop.sh" || true
run="$state_dir/localstack"; rm -rf "$run"; mkdir -p "$run/fs"
GATEWAY_LISTEN=127.0.0.1:4566 SERVICES=s3 EAGER_SERVICE_LOADING=1 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
  DNS_ADDRESS=0 S3_SKIP_SIGNATURE_VALIDATION=0 FILESYSTEM_ROOT="$run/fs" LOCALSTACK_TELEMETRY_DISABLED=1 \
  nohup "$store_dir/localstack/venv/bin/python" -m localstack.runtime.main >"$run/localstack.log" 2>&1 &
echo $! > "$run/pid"
wait_http http://127.0.0.1:4566/ 90 || { echo "LocalStack did not start; see $run/localstack.log" >&2; exit 1; }
