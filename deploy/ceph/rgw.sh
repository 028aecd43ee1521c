#!/usr/bin/env bash
# deploy/ceph/rgw.sh install|start|stop|status|env
# A disposable one-node Ceph RADOS Gateway on 127.0.0.1 for the strict test lane:
# the only S3 server we can run here (no Docker) that verifies SigV4 presigned
# signatures and their expiry, which moto does not. One monitor, one OSD on
# memstore (RAM: nothing on disk to clean up), one radosgw; no mgr, no systemd,
# no cephx. Everything lives in $CEPH_RGW_DIR. See README.md beside this file.
set -euo pipefail

DIR=${CEPH_RGW_DIR:-${TMPDIR:-/tmp}/gateway-ceph-rgw}
RGW_PORT=${CEPH_RGW_PORT:-9180}
MON_PORT=${CEPH_MON_PORT:-9190}
MSGR_MIN=${CEPH_MSGR_PORT_MIN:-9160}   # mon/osd messenger ports: a known window,
MSGR_MAX=${CEPH_MSGR_PORT_MAX:-9179}   # not random ones
ACCESS_KEY=${CEPH_RGW_ACCESS_KEY:-gatewaystrictaccess}
SECRET_KEY=${CEPH_RGW_SECRET_KEY:-gatewaystrictsecret}
S3_USER=gateway-strict
REGION=${CEPH_RGW_REGION:-us-east-1}   # RGW takes any region in the SigV4 scope
STORE_BYTES=${CEPH_RGW_STORE_BYTES:-2147483648}   # memstore cap; RAM used on demand
WAIT=${CEPH_RGW_WAIT:-120}             # seconds each daemon gets to come up
DAEMONS=(mon.a osd.0 client.rgw.a)     # start order; stop walks it backwards
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)

export CEPH_CONF=$DIR/ceph.conf        # read by every ceph CLI tool below
T0=${EPOCHREALTIME/./}

say() {  # progress on stderr (stdout stays clean for `env`), with elapsed seconds
  local ms=$(( (${EPOCHREALTIME/./} - T0) / 1000 ))
  printf '[rgw.sh %3d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
die() { say "ERROR: $*"; exit 1; }
logged() {  # logged <log> <cmd...>: chatter to a file, a time limit (a client hangs
  local log=$1; shift  # forever when the cluster cannot serve it), and a loud failure
  timeout "$WAIT" "$@" >>"$log" 2>&1 || die "$1 failed or hung for ${WAIT}s; see $log"
}

pid_of() { cat "$DIR/pids/$1" 2>/dev/null || true; }
alive() {  # true only for a live process started by us: its argv names our conf
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"-c $CEPH_CONF "* ]]
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A signed ListBuckets that names our user: proves it is our RGW and that it
# knows the key (any HTTP server on the port would pass a plain probe).
# RGW answers SignatureDoesNotMatch to header auth without x-amz-content-sha256,
# which curl 7.88 signs only when we supply it.
rgw_ok() {
  local body
  body=$(curl -fsS --max-time 5 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    "http://127.0.0.1:$RGW_PORT/") && [[ $body == *"<ID>$S3_USER</ID>"* ]]
}

wait_for() {  # wait_for <daemon> <what> <check...>: poll, but give up early if it died
  local daemon=$1 what=$2 deadline=$((SECONDS + WAIT)); shift 2
  until "$@" >/dev/null 2>&1; do
    alive "$daemon" || die "$daemon exited before $what; see $DIR/log/$daemon.log and $DIR/log/$daemon.out"
    ((SECONDS < deadline)) || die "$what: not within ${WAIT}s; see $DIR/log/$daemon.log"
    sleep 0.2
  done
  say "$what"
}

spawn() {  # spawn <daemon> <prog> <args...>: foreground mode (-f) so $! is the daemon
  local daemon=$1 prog=$2; shift 2
  "$prog" -c "$CEPH_CONF" "$@" -f </dev/null >>"$DIR/log/$daemon.out" 2>&1 &
  echo $! >"$DIR/pids/$daemon"
}

stop_daemons() {
  local i d pid
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    d=${DAEMONS[i]}
    if alive "$d"; then
      pid=$(pid_of "$d")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then say "$d ($pid) ignored TERM for 10s: KILL"; kill -KILL "$pid" || true; fi
      say "stopped $d ($pid)"
    fi
    rm -f "$DIR/pids/$d"
  done
}

write_conf() {  # $1 = fsid
  cat >"$CEPH_CONF" <<EOF
[global]
fsid = $1
mon_host = v2:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_msgr2 = true
ms_bind_port_min = $MSGR_MIN
ms_bind_port_max = $MSGR_MAX
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = $DIR/keyring
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
# A single OSD: one replica, few PGs, CRUSH picks OSDs rather than hosts, and
# the mon must not shut itself down when /tmp is nearly full.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_data_avail_warn = 1
mon_data_avail_crit = 1

[mon]
mon_data = $DIR/mon/\$cluster-\$id
# RGW's first run creates ~8 pools, one mon commit each, and the mon batches
# commits once a second by default: this cuts start from ~13 s to ~3 s.
paxos_propose_interval = 0.05

[osd]
osd_data = $DIR/osd/\$cluster-\$id
osd_objectstore = memstore
memstore_device_bytes = $STORE_BYTES

[client.rgw.a]
# radosgw's compiled-in defaults insist on cephx and a secure mon session.
auth_client_required = none
ms_mon_client_mode = crc
rgw_data = $DIR/rgw
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_thread_pool_size = 64
EOF
}

cmd_install() {
  local missing=() p sudo=()
  for p in "${PACKAGES[@]}"; do  # dpkg-query is instant; apt is not
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then say "already installed: ${PACKAGES[*]}"; return; fi
  if ((EUID != 0)); then  # root runs apt-get directly; anyone else needs sudo
    command -v sudo >/dev/null || die "not root and no sudo; install by hand: ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing ${missing[*]} (apt-get update first)"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  say "installed: $(radosgw --version)"
}

cmd_start() {
  command -v radosgw >/dev/null || die "radosgw not found; run '$0 install' first"
  if [ -e "$DIR" ]; then say "replacing previous instance in $DIR"; stop_daemons; rm -rf "$DIR"; fi
  local p; for p in "$MON_PORT" "$RGW_PORT"; do
    ! port_taken "$p" || die "127.0.0.1:$p is already in use by someone else"; done
  mkdir -p "$DIR"/{mon/ceph-a,osd/ceph-0,rgw,run,log,pids}
  # On any failure from here, stop what we started but keep the logs to read.
  # bash skips EXIT traps on fatal signals, hence the INT/TERM ones.
  trap 'rc=$?; ((rc == 0)) || stop_daemons' EXIT
  trap 'exit 130' INT; trap 'exit 143' TERM

  local fsid osd_uuid id
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  logged "$DIR/log/mkfs.out" ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *'
  logged "$DIR/log/mkfs.out" monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap"
  logged "$DIR/log/mkfs.out" ceph-mon --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring"
  spawn mon.a ceph-mon -i a
  wait_for mon.a "mon.a answering on 127.0.0.1:$MON_PORT" timeout 10 ceph status

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(timeout "$WAIT" ceph osd new "$osd_uuid") || die "ceph osd new failed; see $DIR/log/mon.a.log"
  [ "$id" = 0 ] || die "a fresh cluster should hand out osd.0, got osd.$id"
  logged "$DIR/log/mkfs.out" ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid"
  spawn osd.0 ceph-osd -i 0
  wait_for osd.0 "osd.0 up (memstore, $((STORE_BYTES >> 20)) MiB)" \
    bash -c 'ceph osd dump | grep -q "^osd.0 up"'

  # The user exists before radosgw starts, so its first signed answer means ready.
  logged "$DIR/log/user.out" radosgw-admin user create --uid="$S3_USER" \
    --display-name="gateway strict lane" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY"
  say "S3 user $S3_USER created"
  spawn client.rgw.a radosgw -n client.rgw.a
  wait_for client.rgw.a "radosgw serving S3 on http://127.0.0.1:$RGW_PORT" rgw_ok
}

cmd_status() {
  local d rc=0
  for d in "${DAEMONS[@]}"; do
    if alive "$d"; then echo "$d: running (pid $(pid_of "$d"))"; else echo "$d: not running"; rc=1; fi
  done
  if rgw_ok 2>/dev/null; then echo "S3: up at http://127.0.0.1:$RGW_PORT"; else echo "S3: not answering"; rc=1; fi
  return $rc
}

cmd_env() {
  cat <<EOF
export GATEWAY_TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export GATEWAY_TEST_S3_ACCESS_KEY=$ACCESS_KEY
export GATEWAY_TEST_S3_SECRET_KEY=$SECRET_KEY
export GATEWAY_TEST_S3_REGION=$REGION
export GATEWAY_TEST_S3_STRICT=1
EOF
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) stop_daemons; rm -rf "$DIR"; say "stopped; removed $DIR" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
