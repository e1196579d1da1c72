#!/usr/bin/env bash
# A throwaway S3 server for tests: a one-node Ceph cluster (one mon, one
# memstore OSD, no mgr, pool size 1, auth off) and a RADOS Gateway on free
# loopback ports, all living in one directory.
#
#   tests/support/rgw.sh start DIR   starts it; prints the S3 settings as
#                                    shell assignments (also kept in DIR/env):
#                                    RGW_ENDPOINT, RGW_ACCESS_KEY, RGW_SECRET_KEY
#   tests/support/rgw.sh stop DIR    stops the daemons started in DIR
#
# Start takes about 20 s. Needs the Debian packages ceph-mon, ceph-osd,
# radosgw and ceph-common (scripts/setup.sh installs them).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cmd="$1"
dir="$(realpath -m "$2")"

# A port nobody listens on, in a range away from the ephemeral ports.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(shuf -i 20000-30999 -n 1)
    if ! ss -Hltn "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
  echo "rgw.sh: no free port found" >&2
  exit 1
}

stop_all() {
  # Read every pid first: the daemons delete their pid files as they exit.
  local pidfile pids=()
  for pidfile in "$dir"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    pids+=("$(cat "$pidfile" 2>/dev/null || true)")
  done
  local pid
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$dir"/run/*.pid
}

fail() {
  echo "rgw.sh: $*" >&2
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] || continue
    echo "--- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  stop_all
  exit 1
}

case "$cmd" in
  stop)
    stop_all
    exit 0
    ;;
  start) ;;
  *) usage ;;
esac

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$tool" >/dev/null || {
    echo "rgw.sh: $tool not found: run scripts/setup.sh" >&2
    exit 1
  }
done

mkdir -p "$dir"/{mon,osd,run,log}
mon_port=$(free_port)
rgw_port=$(free_port)
while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
fsid=$(uuidgen)
conf="$dir/ceph.conf"
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
keyring = /dev/null
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 8589934592
osd max object size = 1073741824
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
EOF

monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" \
  >"$dir/log/setup.log" 2>&1 || fail "monmaptool failed"
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/setup.log" 2>&1 ||
  fail "ceph-mon --mkfs failed"
ceph-mon -c "$conf" -i a >>"$dir/log/setup.log" 2>&1 || fail "ceph-mon did not start"

ceph_cli() { timeout 30 ceph -c "$conf" "$@"; }
ceph_cli osd create >>"$dir/log/setup.log" 2>&1 || fail "ceph osd create failed"
ceph-osd -c "$conf" -i 0 --mkfs >>"$dir/log/setup.log" 2>&1 || fail "ceph-osd --mkfs failed"
ceph-osd -c "$conf" -i 0 >>"$dir/log/setup.log" 2>&1 || fail "ceph-osd did not start"
for _ in $(seq 1 300); do
  if ceph_cli osd stat 2>/dev/null | grep -q "1 up"; then break; fi
  sleep 0.1
done
ceph_cli osd stat 2>/dev/null | grep -q "1 up" || fail "the OSD did not come up"

radosgw -c "$conf" -n client.rgw >>"$dir/log/setup.log" 2>&1 || fail "radosgw did not start"
for _ in $(seq 1 600); do
  if curl -s -o /dev/null "http://127.0.0.1:$rgw_port/"; then break; fi
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$rgw_port/" || fail "radosgw does not answer on $rgw_port"

access_key="SLUICETEST$(shuf -i 1000000000-9999999999 -n 1)"
secret_key="$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)"
timeout 60 radosgw-admin -c "$conf" -n client.rgw user create --uid=sluice --display-name=sluice \
  --access-key="$access_key" --secret="$secret_key" >>"$dir/log/setup.log" 2>&1 ||
  fail "radosgw-admin user create failed"

cat >"$dir/env" <<EOF
RGW_ENDPOINT=http://127.0.0.1:$rgw_port
RGW_ACCESS_KEY=$access_key
RGW_SECRET_KEY=$secret_key
EOF
cat "$dir/env"
