#!/usr/bin/env bash
# Stops the cluster started by start.sh. radosgw goes first: it hangs on SIGTERM once its OSD is gone.
set -uo pipefail

dir="${CORSPROBE_STATE_DIR:-${TMPDIR:-/tmp}/corsprobe}/ceph"

stop_daemon() {
  local pidfile="$dir/run/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null
  rm -f "$pidfile"
}

stop_daemon client.rgw.a
stop_daemon osd.0
stop_daemon mon.a
