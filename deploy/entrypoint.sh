#!/usr/bin/env bash
# The image's entrypoint.
#   serve [ARGS]   wait for the database, prepare the bucket when GATEWAY_BUCKET_SETUP=true,
#                  then exec `gateway serve` (it migrates, then runs gunicorn; SIGTERM is graceful)
#   anything else  exec `gateway ANYTHING` (keys create, janitor, bucket setup, ...)
# GATEWAY_WAIT_SECONDS (default 60) bounds the wait for the database and the store.
set -euo pipefail

PYTHON=${PYTHON:-python3}
WAIT=${GATEWAY_WAIT_SECONDS:-60}

log() {  # one JSON line, like the gateway's own logs
  printf '{"time": "%s", "level": "%s", "logger": "entrypoint", "message": "%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.000+00:00)" "$1" "$2" >&2
}

wait_for_database() {
  "$PYTHON" - "$WAIT" <<'PY'
import sys, time
from sqlalchemy import text
from gateway.config import Settings
from gateway.db.engine import make_engine

deadline = time.monotonic() + float(sys.argv[1])
engine = make_engine(Settings.from_env().database_url)
while True:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        break
    except Exception as exc:
        if time.monotonic() > deadline:
            sys.exit(f"the database did not answer: {type(exc).__name__}")
        time.sleep(1)
engine.dispose()
PY
}

setup_bucket() {  # the store may still be starting: retry until the deadline
  local deadline=$((SECONDS + WAIT))
  until gateway bucket setup >&2; do
    if ((SECONDS >= deadline)); then log ERROR "gateway bucket setup kept failing"; return 1; fi
    sleep 2
  done
}

command=${1:-serve}
if [ "$command" != serve ]; then
  exec gateway "$@"
fi
[ $# -gt 0 ] && shift
log INFO "waiting up to ${WAIT}s for the database"
wait_for_database || { log ERROR "the database did not answer within ${WAIT}s"; exit 1; }
if [ "${GATEWAY_BUCKET_SETUP:-false}" = true ]; then
  setup_bucket
fi
exec gateway serve --host "${GATEWAY_HOST:-0.0.0.0}" --port "${GATEWAY_PORT:-8000}" "$@"
