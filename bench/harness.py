"""Bench plumbing: a moto server, a `gateway serve` process, an API key, medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.support.s3server import S3Endpoint, free_port, moto_server, wait_for_http  # noqa: E402

BIN = os.path.dirname(sys.executable)


@dataclass(frozen=True)
class Gateway:
    """A running gateway and a key to call it with."""

    url: str
    key: str
    env: dict[str, str]
    s3: S3Endpoint
    pid: int = 0  # gunicorn's master process

    def headers(self) -> dict[str, str]:
        """Authorization header."""
        return {"Authorization": f"Bearer {self.key}"}


def gateway_env(s3: S3Endpoint, database_url: str, bucket: str, **extra: str) -> dict[str, str]:
    """Environment for a gateway process against this store and database."""
    env = dict(os.environ)
    env.update({
        "GATEWAY_DATABASE_URL": database_url, "GATEWAY_S3_ENDPOINT_URL": s3.url,
        "GATEWAY_S3_BUCKET": bucket, "GATEWAY_S3_REGION": s3.region,
        "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        "GATEWAY_LOG_LEVEL": "WARNING", **extra,
    })
    return env


@contextmanager
def running_gateway(workers: int = 1, threads: int = 4, database_url: str | None = None,
                    s3: S3Endpoint | None = None, **extra: str) -> Iterator[Gateway]:
    """moto (unless given a store) + `gateway serve` on free ports, torn down afterwards."""
    with tempfile.TemporaryDirectory() as tmp, _store(s3) as store:
        bucket = "bench"
        boto3.client("s3", endpoint_url=store.url, region_name=store.region,
                     aws_access_key_id=store.access_key,
                     aws_secret_access_key=store.secret_key).create_bucket(Bucket=bucket)
        env = gateway_env(store, database_url or f"sqlite:///{tmp}/bench.db", bucket, **extra)
        key = subprocess.run([f"{BIN}/gateway", "keys", "create", "--tenant", "bench"],
                             env=env, check=True, capture_output=True, text=True
                             ).stdout.strip().splitlines()[-1]
        port = free_port()
        process = subprocess.Popen(
            [f"{BIN}/gateway", "serve", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_http(f"{url}/health")
            yield Gateway(url, key, env, store, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def _store(s3: S3Endpoint | None) -> Iterator[S3Endpoint]:
    if s3 is not None:
        yield s3
        return
    with moto_server() as endpoint:
        yield endpoint


def server_timing(response: requests.Response) -> dict[str, float]:
    """The durations (ms) of a Server-Timing header, by name."""
    timings: dict[str, float] = {}
    for entry in response.headers.get("Server-Timing", "").split(","):
        name, _, rest = entry.strip().partition(";")
        for attribute in rest.split(";"):
            if attribute.startswith("dur="):
                timings[name] = float(attribute[4:])
    return timings


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)
