#!/usr/bin/env bash
# `make run`: a local S3 (MinIO when a binary is on PATH, else moto in memory), the bucket
# with its CORS rule, a dev API key, and `gateway serve` on SQLite. Ctrl-C stops it all.
set -euo pipefail

RUN_DIR=${RUN_DIR:-.run}
S3_PORT=${S3_PORT:-9000}
GATEWAY_PORT=${GATEWAY_PORT:-8000}
mkdir -p "$RUN_DIR"
pids=()

stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped."
}
trap stop_all EXIT INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }  # connect, send nothing
for port in "$S3_PORT" "$GATEWAY_PORT"; do
  if port_busy "$port"; then
    echo "port $port is already in use; set S3_PORT / GATEWAY_PORT to free ones" >&2
    exit 1
  fi
done

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-minioadmin}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-minioadmin}
if command -v minio >/dev/null 2>&1; then
  echo "starting MinIO on 127.0.0.1:$S3_PORT (data in $RUN_DIR/minio)"
  MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY \
    minio server "$RUN_DIR/minio" --address "127.0.0.1:$S3_PORT" --quiet &
  pids+=($!)
else
  echo "no MinIO binary on PATH: starting moto as the local S3 on 127.0.0.1:$S3_PORT."
  echo "moto keeps its data IN MEMORY: files are gone when you stop (the database is reset too)."
  rm -f "$RUN_DIR/gateway.db" "$RUN_DIR/gateway.db-wal" "$RUN_DIR/gateway.db-shm"
  moto_server -H 127.0.0.1 -p "$S3_PORT" >"$RUN_DIR/moto.log" 2>&1 &
  pids+=($!)
fi
for _ in $(seq 100); do port_busy "$S3_PORT" && break; sleep 0.2; done
port_busy "$S3_PORT" || { echo "the local S3 did not start" >&2; exit 1; }

export GATEWAY_DATABASE_URL=${GATEWAY_DATABASE_URL:-sqlite:///$PWD/$RUN_DIR/gateway.db}
export GATEWAY_S3_ENDPOINT_URL=${GATEWAY_S3_ENDPOINT_URL:-http://127.0.0.1:$S3_PORT}
export GATEWAY_S3_BUCKET=${GATEWAY_S3_BUCKET:-uploads}
export GATEWAY_CORS_ORIGINS=${GATEWAY_CORS_ORIGINS:-http://127.0.0.1:$GATEWAY_PORT,http://localhost:$GATEWAY_PORT}

gateway bucket setup
KEY=$(gateway keys create --tenant dev --label "make run" 2>/dev/null | tail -n 1)

gateway serve --host 127.0.0.1 --port "$GATEWAY_PORT" &
pids+=($!)
for _ in $(seq 100); do port_busy "$GATEWAY_PORT" && break; sleep 0.2; done

cat <<BANNER

  The gateway is up: http://127.0.0.1:$GATEWAY_PORT   (API docs: /docs)
  Upload from a browser: http://127.0.0.1:$GATEWAY_PORT/web/  (paste the key below)
  Dev API key (tenant "dev"):
    export GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT GATEWAY_API_KEY=$KEY
  Try it:
    curl -s -X POST \$GATEWAY_URL/v1/uploads -H "Authorization: Bearer \$GATEWAY_API_KEY" \\
         -H 'Content-Type: application/json' -d '{"filename": "hello.txt", "num_bytes": 6}'

  Ctrl-C stops the gateway and the local S3.
BANNER
wait "${pids[-1]}"
