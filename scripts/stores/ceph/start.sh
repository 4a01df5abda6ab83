#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster (one memstore OSD) with radosgw on 127.0.0.1:7480.
# Every start wipes the previous cluster: the store holds nothing worth keeping.
set -euo pipefail

dir="${CORSPROBE_STATE_DIR:-${TMPDIR:-/tmp}/corsprobe}/ceph"
port="${CORSPROBE_CEPH_PORT:-7480}"
# The keys live in one place, shared with the targets file's env_file.
# shellcheck source=credentials.env
. "$(dirname "$0")/credentials.env"
ak="$CORSPROBE_CEPH_ACCESS_KEY"
sk="$CORSPROBE_CEPH_SECRET_KEY"

# Every `ceph` call is bounded: commands routed to a mgr hang forever here (there is no mgr).
# It is also retried, at most 5 times, when it meets the fsid race: Ceph 16's MonClient may send
# its first command before the monitor's map reaches it (nothing makes it wait with auth none),
# so the command carries the zero fsid and the monitor refuses it ("handle_command on fsid
# 00000000-... != ..." in mon.a.log; `Error EPERM: wrong fsid` or "problem getting command
# descriptions" here). That race failed about one start in six.
ceph_cmd() {
  local out rc try
  for try in 1 2 3 4 5; do
    out=$(timeout 30 ceph -c "$dir/ceph.conf" "$@" 2>&1)
    rc=$?
    case "$rc:$out" in
      0:*) printf '%s\n' "$out"; return 0 ;;
      *"wrong fsid"* | *"problem getting command descriptions"*)
        echo "ceph $*: refused for the zero fsid (try $try of 5)" >&2
        sleep 0.2 ;;
      *) printf '%s\n' "$out" >&2; return "$rc" ;;
    esac
  done
  return "$rc"
}

"$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
# Daemons of an earlier cluster still shutting down hold the mon and gateway ports; a new
# ceph-mon then aborts. Make sure none is left before starting afresh.
pkill -9 -f -- "-c $dir/ceph.conf" 2>/dev/null || true
for _ in $(seq 1 40); do
  ss -ltn 2>/dev/null | grep -qE '127.0.0.1:(6789|'"$port"')\b' || break
  sleep 0.25
done
rm -rf "$dir"
mkdir -p "$dir"/{mon,osd/ceph-0,run,log}
log="$dir/log/start.log"
trap 'echo "ceph start failed; last lines of $log:" >&2; tail -n 20 "$log" >&2' ERR
fsid=$(cat /proc/sys/kernel/random/uuid)

cat > "$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:6789
mon initial members = a
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush initial weight = 1
# The OSD would place itself in the CRUSH map with its own first commands, which meet the same
# fsid race and end its start ("mon_cmd_maybe_osd_create fail: 'wrong fsid'"); the script
# places it with ceph_cmd instead, before starting it.
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw dns name = s3.vendor.localhost
# One bucket index shard, not Pacific's 11: on one memstore OSD the shards buy nothing, and each
# bucket's creation and removal wrote and removed all 11 (DeleteBucket's median 19.6 ms against
# 8.8 ms with one). CORS does not depend on the index.
rgw override bucket index max shards = 1
CONF

monmaptool --create --add a v1:127.0.0.1:6789 --fsid "$fsid" "$dir/monmap" >>"$log" 2>&1
ceph-mon -c "$dir/ceph.conf" --mkfs -i a --monmap "$dir/monmap" >>"$log" 2>&1
ceph-mon -c "$dir/ceph.conf" -i a >>"$log" 2>&1
# ceph-mon daemonizes before it listens: wait until it answers (at most 20 s).
mon_up=""
for _ in $(seq 1 80); do
  ceph_cmd mon stat >>"$log" 2>&1 && { mon_up=1; break; }
  sleep 0.25
done
[ -n "$mon_up" ] || { echo "ceph-mon did not answer within 20 s; logs in $dir/log" >&2; exit 1; }

ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs >>"$log" 2>&1
# memstore ignores --osd-uuid, so the OSD is registered under the fsid it wrote itself.
ceph_cmd osd new "$(cat "$dir/osd/ceph-0/fsid")" >>"$log" 2>&1
# Weight 1: a small memstore OSD would get weight 0 and no placement group would map to it.
ceph_cmd osd crush create-or-move osd.0 1.0 host=localhost root=default >>"$log" 2>&1
ceph-osd -c "$dir/ceph.conf" -i 0 >>"$log" 2>&1

radosgw -c "$dir/ceph.conf" -n client.rgw.a >>"$log" 2>&1

for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "radosgw did not answer on 127.0.0.1:$port; logs in $dir/log" >&2; exit 1; }

timeout 60 radosgw-admin -c "$dir/ceph.conf" user create --uid probe --display-name probe \
  --access-key "$ak" --secret-key "$sk" >>"$log" 2>&1
echo "radosgw ready on http://127.0.0.1:$port (state in $dir)"
