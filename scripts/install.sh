#!/usr/bin/env bash
# Installs what corsprobe needs on Debian 12: the local Ceph radosgw store, the build's system
# libraries, and the three browsers with their WebDriver servers. Idempotent: when everything is
# present it only checks and exits.
set -euo pipefail

# chromium, chromium-driver, firefox-esr: the browser scenarios and the HTML-report test;
# webkit2gtk-driver brings WebKitWebDriver and MiniBrowser, which has no headless mode and so
# runs on the virtual display xvfb gives.
packages=(radosgw ceph-mon ceph-osd ceph-common curl libssl-dev pkg-config
  chromium chromium-driver firefox-esr webkit2gtk-driver xvfb)
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

# geckodriver exists only as source on the crates registry; it is built once per machine
# (about 4 min on 2 cores) into a cache outside the clone, and corsprobe finds it there.
gecko_root="${CORSPROBE_CACHE:-/var/cache/corsprobe}/geckodriver"
gecko_version="0.37.1"
if ! "$gecko_root/bin/geckodriver" --version 2>/dev/null | grep -q "geckodriver $gecko_version"; then
  echo "building geckodriver $gecko_version into $gecko_root (once per machine)"
  mkdir -p "$gecko_root"
  cargo install geckodriver --version "$gecko_version" --locked --quiet --root "$gecko_root"
fi
echo "corsprobe prerequisites present"
