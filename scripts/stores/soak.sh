#!/usr/bin/env bash
# Starts and stops a local store N times in a row (default 20) and prints the time of each
# start; stops at the first failure with the start script's output. A flaky start fails CI for
# every store-backed test, so this is how a start script earns trust: `scripts/stores/soak.sh ceph 20`.
set -uo pipefail
store="${1:?usage: soak.sh STORE [N]}"
n="${2:-20}"
dir="$(cd "$(dirname "$0")" && pwd)/$store"
[ -x "$dir/start.sh" ] || { echo "no start script at $dir/start.sh" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
times=()
for i in $(seq 1 "$n"); do
  t0=$(date +%s%N)
  if ! "$dir/start.sh" >"$out" 2>&1; then
    echo "start $i of $n FAILED after $(( ($(date +%s%N) - t0) / 1000000 )) ms:" >&2
    cat "$out" >&2
    "$dir/stop.sh" >/dev/null 2>&1
    exit 1
  fi
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  times+=("$ms")
  "$dir/stop.sh" >/dev/null 2>&1 || { echo "stop $i of $n failed" >&2; exit 1; }
  printf 'start %2d of %d: %5d ms\n' "$i" "$n" "$ms"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
printf '%s: %d of %d starts green; start time min %s ms, median %s ms, max %s ms\n' "$store" "$n" "$n" \
  "$(echo "$sorted" | head -n1)" "$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")" "$(echo "$sorted" | tail -n1)"
