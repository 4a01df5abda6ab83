#!/usr/bin/env bash
# LocalStack (host mode, S3 only) from PyPI. Its runtime needs Python 3.13, and a few pins
# (cbor2 6 dropped an internal module; pyOpenSSL 24.3 and cryptography 44 broke its TLS setup).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
dir="$store_dir/localstack"
[ -x "$dir/venv/bin/python" ] && "$dir/venv/bin/python" -c 'import localstack.runtime.main' 2>/dev/null && exit 0
py=""
# A pyenv shim may exist without running, so each candidate must actually start.
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 python3.13; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then py="$candidate"; break; fi
done
[ -n "$py" ] || { echo "LocalStack needs Python 3.13 (not found)" >&2; exit 1; }
mkdir -p "$dir"
"$py" -m venv "$dir/venv"
"$dir/venv/bin/pip" install -q 'localstack-core[runtime]==2026.3.0'
"$dir/venv/bin/pip" install -q 'cbor2<6' 'pyopenssl<24.3' 'cryptography<44' 'service-identity<25'
