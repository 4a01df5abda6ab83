#!/usr/bin/env bash
# Installs the five other local stores (Ceph comes with scripts/install.sh). Each is installed
# once per machine under ${CORSPROBE_STORE_DIR:-/var/cache/corsprobe/stores}; a second run only
# checks. Garage compiles for about 16 minutes on 2 cores the first time.
set -euo pipefail
cd "$(dirname "$0")/stores"
for store in s3rver moto localstack s3s-fs garage; do
  start=$(date +%s)
  if ! bash "$store/install.sh"; then
    echo "install-stores: $store failed" >&2
    exit 1
  fi
  echo "install-stores: $store ready ($(( $(date +%s) - start )) s)"
done
