#!/usr/bin/env bash
# A one-node Garage on 127.0.0.1:3900 with a key allowed to create buckets.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/credentials.env"
"$(dirname "$0")/stop.sh" || true
run="$state_dir/garage"; rm -rf "$run"; mkdir -p "$run/meta" "$run/data"
bin="$store_dir/garage/bin/garage"
cat > "$run/garage.toml" <<CONF
metadata_dir = "$run/meta"
data_dir = "$run/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:3901"
rpc_public_addr = "127.0.0.1:3901"
rpc_secret = "4425f5c26c5e11581d3223904324dcb5b5d5dfb14e5e7f35e38c595424f5f1e6"
[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:3900"
root_domain = ".s3.localhost"
[admin]
api_bind_addr = "127.0.0.1:3903"
admin_token = "probe-admin-token"
CONF
chmod 600 "$run/garage.toml"
export GARAGE_CONFIG_FILE="$run/garage.toml"
nohup "$bin" server >"$run/garage.log" 2>&1 &
echo $! > "$run/pid"
for _ in $(seq 1 40); do "$bin" status >/dev/null 2>&1 && break; sleep 0.25; done
node=$("$bin" node id -q | cut -d@ -f1)
"$bin" layout assign -z dc1 -c 1G "$node" >/dev/null
"$bin" layout apply --version 1 >/dev/null
"$bin" key import --yes -n probe "$CORSPROBE_GARAGE_ACCESS_KEY" "$CORSPROBE_GARAGE_SECRET_KEY" >/dev/null
"$bin" key allow --create-bucket probe >/dev/null
wait_http http://127.0.0.1:3900/ 30 || { echo "Garage did not start; see $run/garage.log" >&2; exit 1; }
