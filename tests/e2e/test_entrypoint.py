"""The image's entrypoint script, run under bash against local services (no Docker here)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import BIN, service_env
from tests.support.s3server import S3Endpoint, free_port, wait_for_http

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "deploy" / "entrypoint.sh")


@pytest.fixture
def image_env(s3: S3Endpoint, s3_admin: Any, database_url: str) -> Iterator[dict[str, str]]:
    """The environment a container would get: a bucket nobody created yet, a free port."""
    name = f"entry-{uuid.uuid4().hex[:16]}"
    env = service_env(s3, name, database_url, GATEWAY_BUCKET_SETUP="true",
                      GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(free_port()),
                      GATEWAY_WORKERS="2", PATH=f"{BIN}:{os.environ['PATH']}")
    yield env
    try:
        s3_admin.delete_bucket(Bucket=name)
    except Exception:
        pass


def test_entrypoint_prepares_the_bucket_then_serves(image_env: dict[str, str], s3_admin: Any,
                                                    tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{image_env['GATEWAY_PORT']}"
    with open(tmp_path / "entrypoint.log", "w") as log:
        process = subprocess.Popen(["bash", ENTRYPOINT], env=image_env, stdout=log, stderr=log)
        try:
            wait_for_http(f"{url}/health", timeout=60)
            assert requests.get(f"{url}/ready", timeout=10).status_code == 200
            bucket = image_env["GATEWAY_S3_BUCKET"]
            rules = s3_admin.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
            assert "AbortIncompleteMultipartUpload" in rules[0]
            created = subprocess.run(["bash", ENTRYPOINT, "keys", "create", "--tenant", "img"],
                                     env=image_env, capture_output=True, text=True, check=True)
            key = created.stdout.strip().splitlines()[-1]
            listing = requests.get(f"{url}/v1/uploads", timeout=10,
                                   headers={"Authorization": f"Bearer {key}"})
            assert listing.status_code == 200
        finally:
            process.terminate()  # bash exec'd gateway: the signal reaches gunicorn itself
            code = process.wait(timeout=60)
    assert code == 0
    assert "Shutting down: Master" in (tmp_path / "entrypoint.log").read_text()


def test_entrypoint_gives_up_on_an_unreachable_database(image_env: dict[str, str]) -> None:
    image_env.update(GATEWAY_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
                     GATEWAY_WAIT_SECONDS="2")
    started = time.monotonic()
    result = subprocess.run(["bash", ENTRYPOINT, "serve"], env=image_env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "the database did not answer" in result.stderr
    assert time.monotonic() - started < 30
