#!/usr/bin/env bash
# Installs cargo-insta, which `cargo insta review` needs, into cargo's own bin directory, once per
# machine. Idempotent: when the pinned version answers it only checks. Neither the tests nor the
# main job need it, and `corsprobe run --accept-snapshots` accepts snapshots without it.
set -euo pipefail
# The insta version in Cargo.lock: the review tool reads the files that version writes.
version="1.49.0"
if cargo insta --version 2>/dev/null | grep -q "cargo-insta $version"; then
  echo "cargo-insta $version present"
  exit 0
fi
echo "building cargo-insta $version (once per machine)"
cargo install cargo-insta --version "$version" --locked --quiet
cargo insta --version
