"""The running service: `gateway serve` in a subprocess against the session's S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.s3server import S3Endpoint, free_port, wait_for_http

BIN = os.path.dirname(sys.executable)


@dataclass(frozen=True)
class Service:
    """A served gateway, its environment (for CLI calls) and its URL."""

    url: str
    env: dict[str, str]
    pid: int = 0  # gunicorn's master process

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `gateway ...` with the service's configuration."""
        return subprocess.run([f"{BIN}/gateway", *args], env=self.env, capture_output=True,
                              text=True, check=check, timeout=120)


@contextmanager
def served_gateway(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path,
                   workers: int = 2, **settings: str) -> Iterator[Service]:
    """`gateway serve` on a fresh database (migrated by serve itself), with GATEWAY_* extras."""
    env = dict(os.environ)
    env.update({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_S3_ENDPOINT_URL": s3.url,
                "GATEWAY_S3_BUCKET": bucket, "GATEWAY_S3_REGION": s3.region,
                "GATEWAY_MIN_PART_SIZE": str(5 * 1024 * 1024),
                "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key})
    env.update({f"GATEWAY_{name.upper()}": value for name, value in settings.items()})
    port = free_port()
    log = open(tmp_path / f"serve-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([f"{BIN}/gateway", "serve", "--port", str(port),
                                "--workers", str(workers)], env=env, stdout=log, stderr=log)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60)
        yield Service(f"http://127.0.0.1:{port}", env, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def service(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path
            ) -> Iterator[Service]:
    """`gateway serve` with two workers on a fresh database (migrated by serve itself)."""
    with served_gateway(s3, bucket, database_url, tmp_path) as served:
        yield served
