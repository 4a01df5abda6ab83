#!/usr/bin/env bash
# moto's server mode from PyPI, in its own virtualenv.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
dir="$store_dir/moto"
[ -x "$dir/venv/bin/moto_server" ] && exit 0
mkdir -p "$dir"
python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install -q 'moto[server]==5.*'
