"""Browser fixtures: Debian's Chromium (headless, driven by Playwright) against `gateway serve`
and a moto server that applies each bucket's own CORS rule, as S3 does.

The page is served by the gateway (http://127.0.0.1:<gateway port>) and the parts go to
moto (http://127.0.0.1:<moto port>): every part PUT is a real cross-origin request.
Without Chromium these tests skip, unless GATEWAY_REQUIRE_BROWSER=1 (set by .ci/run) makes
the absence a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.browser.support import ARTIFACTS, CHROMIUM_ARGS, Browsing, WebGateway
from tests.support.s3server import (
    S3Endpoint,
    free_port,
    moto_server,
    remove_bucket,
    wait_for_http,
)

BIN = os.path.dirname(sys.executable)
CHROMIUM = os.environ.get("GATEWAY_CHROMIUM", "/usr/bin/chromium")


def _chromium() -> str | None:
    found = shutil.which(CHROMIUM)
    return found if found and os.access(found, os.X_OK) else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary, or a skip (a failure under GATEWAY_REQUIRE_BROWSER=1)."""
    found = _chromium()
    if found is None:
        reason = (f"no Chromium at {CHROMIUM}: install Debian's package "
                  "(apt-get install chromium) to run the browser tests")
        if os.environ.get("GATEWAY_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (GATEWAY_REQUIRE_BROWSER=1 requires them)")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for the session; each test gets its own context (profile)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def cors_s3() -> Iterator[S3Endpoint]:
    """A moto server that enforces bucket CORS rules (its default answers every origin)."""
    with moto_server(enforce_cors=True) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def cors_s3_admin(cors_s3: S3Endpoint) -> Any:
    """boto3 on the CORS-enforcing store, for checking what it holds."""
    return boto3.client(
        "s3", endpoint_url=cors_s3.url, region_name=cors_s3.region,
        aws_access_key_id=cors_s3.access_key, aws_secret_access_key=cors_s3.secret_key,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))


@contextmanager
def served_gateway(s3: S3Endpoint, admin: Any, database_url: str, log_path: Path
                   ) -> Iterator[WebGateway]:
    """`gateway serve` on a fresh bucket, set up by the real `gateway bucket setup` for the
    gateway's own origin, with an API key."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    bucket = f"w-{uuid.uuid4().hex[:20]}"
    env = dict(os.environ)
    env.update({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_S3_ENDPOINT_URL": s3.url,
                "GATEWAY_S3_BUCKET": bucket, "GATEWAY_S3_REGION": s3.region,
                "GATEWAY_MIN_PART_SIZE": str(5 * 1024 * 1024), "GATEWAY_CORS_ORIGINS": origin,
                "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
                "GATEWAY_LOG_LEVEL": "WARNING"})
    web = WebGateway(url=origin, key="", bucket=bucket, env=env, admin=admin)
    web.cli("bucket", "setup")
    web = web.with_key(web.cli("keys", "create", "--tenant", "browser").stdout.strip()
                       .splitlines()[-1])
    with open(log_path, "w") as log:
        process = subprocess.Popen([f"{BIN}/gateway", "serve", "--port", str(port),
                                    "--workers", "1", "--threads", "8"],
                                   env=env, stdout=log, stderr=log)
        try:
            wait_for_http(f"{origin}/health", timeout=60)
            yield web
        finally:
            process.terminate()
            process.wait(timeout=30)
            remove_bucket(admin, bucket)


@pytest.fixture
def gateway(cors_s3: S3Endpoint, cors_s3_admin: Any, database_url: str, tmp_path: Path
            ) -> Iterator[WebGateway]:
    """A served gateway of its own for one test."""
    with served_gateway(cors_s3, cors_s3_admin, database_url, tmp_path / "serve.log") as web:
        yield web


@pytest.fixture(scope="module")
def shared_gateway(cors_s3: S3Endpoint, cors_s3_admin: Any,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebGateway]:
    """A served gateway shared by a module's tests that only need the page."""
    folder = tmp_path_factory.mktemp("gateway")
    with served_gateway(cors_s3, cors_s3_admin, f"sqlite:///{folder / 'gateway.db'}",
                        folder / "serve.log") as web:
        yield web


@pytest.fixture
def browsing(browser: Any, gateway: WebGateway) -> Iterator[Browsing]:
    """A fresh browser profile (context) and page, with a log of its network traffic."""
    context = browser.new_context()
    session = Browsing(context=context, page=context.new_page(), gateway=gateway)
    session.watch()
    try:
        yield session
    finally:
        context.close()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder for the files a test uploads."""
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (tests/artifacts, ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

