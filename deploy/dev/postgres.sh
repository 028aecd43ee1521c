#!/usr/bin/env bash
# deploy/dev/postgres.sh start|stop|status|env|url
# A throwaway PostgreSQL cluster from Debian's packages for tests and benchmarks: its own
# data directory, its own socket directory and a non-default port on 127.0.0.1, trust
# authentication (nothing listens beyond loopback). initdb refuses to run as root, so as
# root the server runs as the unprivileged `postgres` user the Debian package creates.
#
#   eval "$(bash deploy/dev/postgres.sh start)"   # starts it and exports GATEWAY_TEST_DATABASE_URL
#   bash deploy/dev/postgres.sh stop              # stops it and removes its files
#
# GATEWAY_PG_DIR (default /tmp/gateway-pg-<uid>-<port>), GATEWAY_PG_PORT (default 55432),
# GATEWAY_PG_FSYNC (default off: a crash loses a throwaway cluster, which is fine for tests).
set -euo pipefail

PORT=${GATEWAY_PG_PORT:-55432}
# As root the server runs as `postgres`, which must reach the directory: /tmp, not $TMPDIR.
if [ "$(id -u)" -eq 0 ]; then BASE=/tmp; else BASE=${TMPDIR:-/tmp}; fi
DIR=${GATEWAY_PG_DIR:-$BASE/gateway-pg-$(id -u)-$PORT}
FSYNC=${GATEWAY_PG_FSYNC:-off}
DB_USER=gateway
URL="postgresql+psycopg://$DB_USER@127.0.0.1:$PORT/postgres"

say() { echo "[postgres.sh] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

pg_bin() {  # the newest installed server's binaries
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  die "no PostgreSQL server found: apt-get install -y --no-install-recommends postgresql"
}

as_owner() {  # run a server command as the unprivileged owner of the cluster
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() { [ -f "$DIR/data/postmaster.pid" ] && as_owner "$(pg_bin)/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

start() {
  local bin; bin=$(pg_bin)
  if running; then say "already running on 127.0.0.1:$PORT ($DIR)"; echo "export GATEWAY_TEST_DATABASE_URL=$URL"; return; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken by something else; set GATEWAY_PG_PORT"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR/data" "$DIR/run"
  # The server must own its data directory; the socket directory is private to it too.
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$DIR"
  chmod 700 "$DIR/data"
  as_owner "$bin/initdb" -D "$DIR/data" -U "$DB_USER" --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || die "initdb failed; see $DIR/initdb.log"
  as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start -o \
    "-p $PORT -k $DIR/run -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=$FSYNC -c shared_buffers=64MB" \
    >/dev/null || die "the server did not start; see $DIR/server.log"
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DIR, fsync=$FSYNC)"
  echo "export GATEWAY_TEST_DATABASE_URL=$URL"
}

stop() {
  if running; then
    as_owner "$(pg_bin)/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
    say "stopped"
  fi
  rm -rf "$DIR"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) if running; then say "running on 127.0.0.1:$PORT"; else say "not running"; exit 1; fi ;;
  env|url) echo "export GATEWAY_TEST_DATABASE_URL=$URL" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
