#!/usr/bin/env bash
# The garage-global target's bucket hook: `bucket-hook.sh created|deleted BUCKET`.
# S3 CreateBucket gives a Garage bucket only a local alias (the creating key's), and Garage's
# anonymous handlers (every preflight) cannot resolve local aliases: they answer 200 with `*`
# whatever the rules say. A global alias of the same name lets them reach the bucket and its
# rules. S3 DeleteBucket then removes the local alias only, so the bucket is deleted here.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/credentials.env"
export GARAGE_CONFIG_FILE="$state_dir/garage/garage.toml"
bin="$store_dir/garage/bin/garage"
event="$1" bucket="$2"
case "$event" in
  created)
    id=$("$bin" bucket list | awk -v a="$CORSPROBE_GARAGE_ACCESS_KEY:$bucket" '$NF == a { print $1 }')
    [ -n "$id" ] || { echo "no bucket with local alias $bucket" >&2; exit 1; }
    "$bin" bucket alias "$id" "$bucket" >/dev/null
    ;;
  deleted)
    if "$bin" bucket info "$bucket" >/dev/null 2>&1; then
      "$bin" bucket delete --yes "$bucket" >/dev/null
    fi
    ;;
  *) echo "unknown event $event (created or deleted)" >&2; exit 2 ;;
esac
