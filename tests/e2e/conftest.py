"""The running service: `gateway serve` in subprocesses against the session's S3 server."""

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
    """A served gateway, its environment (for CLI calls), its URL, process and log file."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        """gunicorn's master process (0 when not started here)."""
        return self.process.pid if self.process is not None else 0

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `gateway ...` with the service's configuration."""
        return subprocess.run([f"{BIN}/gateway", *args], env=self.env, capture_output=True,
                              text=True, check=check, timeout=120)

    def log(self) -> str:
        """What the server has logged so far."""
        return self.log_path.read_text() if self.log_path else ""


def service_env(s3: S3Endpoint, bucket: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a gateway against the test store and database."""
    env = dict(os.environ)
    env.update({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_S3_ENDPOINT_URL": s3.url,
                "GATEWAY_S3_BUCKET": bucket, "GATEWAY_S3_REGION": s3.region,
                "GATEWAY_MIN_PART_SIZE": str(5 * 1024 * 1024),
                "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
                # No periodic janitor unless a test asks for one: it would race the test.
                "GATEWAY_JANITOR_INTERVAL": "0", **extra})
    return env


@contextmanager
def served(env: dict[str, str], log_path: Path, workers: int = 2) -> Iterator[Service]:
    """`gateway serve` on a free port until the block ends (SIGTERM, then wait)."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen([f"{BIN}/gateway", "serve", "--port", str(port),
                                    "--workers", str(workers)], env=env, stdout=log, stderr=log)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60)
            yield Service(f"http://127.0.0.1:{port}", env, process, log_path)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=60)


@contextmanager
def served_gateway(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path,
                   workers: int = 2, **settings: str) -> Iterator[Service]:
    """`gateway serve` on a fresh database (migrated by serve itself), with GATEWAY_* extras."""
    env = service_env(s3, bucket, database_url,
                      **{f"GATEWAY_{name.upper()}": value for name, value in settings.items()})
    with served(env, tmp_path / f"serve-{free_port()}.log", workers) as running:
        yield running


@pytest.fixture
def service(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path
            ) -> Iterator[Service]:
    """`gateway serve` with two workers on a fresh database (migrated by serve itself)."""
    with served(service_env(s3, bucket, database_url), tmp_path / "serve.log") as running:
        yield running


@pytest.fixture
def replicas(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path
             ) -> Iterator[tuple[Service, Service]]:
    """Two `gateway serve` processes on different ports sharing one database and bucket."""
    env = service_env(s3, bucket, database_url, GATEWAY_COMPLETE_WAIT="60")
    with served(env, tmp_path / "serve-a.log") as first, \
            served(env, tmp_path / "serve-b.log") as second:
        yield first, second
