#!/usr/bin/env bash
# Installs what corsprobe needs on Debian 12: the local Ceph radosgw store and the build's
# system libraries. Idempotent: when everything is present it only checks and exits.
set -euo pipefail

# chromium + chromium-driver: the HTML report is checked in a real browser.
packages=(radosgw ceph-mon ceph-osd ceph-common curl libssl-dev pkg-config chromium chromium-driver)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "cargo is required (Rust 1.95 or newer)" >&2; exit 1; }
echo "corsprobe prerequisites present"
