#!/usr/bin/env bash
# `make minio`: a local MinIO on :9000 from a binary on PATH, else Docker, else say what to do.
set -euo pipefail
DATA=${MINIO_DATA:-.run/minio}
USER_=${MINIO_ROOT_USER:-minioadmin}
PASS=${MINIO_ROOT_PASSWORD:-minioadmin}
if command -v minio >/dev/null 2>&1; then
  mkdir -p "$DATA"
  exec env MINIO_ROOT_USER="$USER_" MINIO_ROOT_PASSWORD="$PASS" \
    minio server "$DATA" --address 127.0.0.1:9000 --console-address 127.0.0.1:9001
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  exec docker run --rm -p 9000:9000 -p 9001:9001 -e MINIO_ROOT_USER="$USER_" \
    -e MINIO_ROOT_PASSWORD="$PASS" quay.io/minio/minio server /data --console-address :9001
else
  echo "make minio needs a 'minio' binary on PATH (https://min.io/download) or a running Docker." >&2
  echo "Without either, 'make run' uses moto as an in-memory S3 instead." >&2
  exit 1
fi
