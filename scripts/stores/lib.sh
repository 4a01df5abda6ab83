# Shared by the store scripts: where installs and state live, and how to wait for a port.
# Installs are cached per machine (built once); state is thrown away on every start.
store_dir="${CORSPROBE_STORE_DIR:-/var/cache/corsprobe/stores}"
state_dir="${CORSPROBE_STATE_DIR:-${TMPDIR:-/tmp}/corsprobe}"

# wait_http URL SECONDS: true once anything answers HTTP there.
wait_http() {
  local url="$1" n=$(( $2 * 4 ))
  for _ in $(seq 1 "$n"); do
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.25
  done
  return 1
}

# stop_pidfile FILE: SIGTERM, then SIGKILL after 10 s.
stop_pidfile() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
}
