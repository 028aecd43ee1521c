"""Fixtures: a real S3 server (moto or Ceph RGW), a bucket per test, the app on SQLite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from flask import Flask

from gateway.app import create_app
from gateway.config import Settings
from gateway.uploads.policy import utcnow
from tests.support.api import MIB, Api
from tests.support.s3server import S3Endpoint, remove_bucket, s3_endpoint


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Endpoint]:
    """The S3 server of this test session, with AWS credentials exported for boto3's chain."""
    with s3_endpoint() as endpoint:
        saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        os.environ["AWS_ACCESS_KEY_ID"] = endpoint.access_key
        os.environ["AWS_SECRET_ACCESS_KEY"] = endpoint.secret_key
        try:
            yield endpoint
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def s3_admin(s3: S3Endpoint) -> Any:
    """A boto3 client for checking what the store holds (never for uploading parts)."""
    return boto3.client(
        "s3", endpoint_url=s3.url, region_name=s3.region, aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))


@pytest.fixture
def bucket(s3_admin: Any) -> Iterator[str]:
    """A fresh bucket for one test, emptied and removed afterwards."""
    name = f"t-{uuid.uuid4().hex[:20]}"
    s3_admin.create_bucket(Bucket=name)
    yield name
    remove_bucket(s3_admin, name)


def pytest_configure(config: pytest.Config) -> None:
    """The PostgreSQL lane must never quietly run on SQLite."""
    if os.environ.get("GATEWAY_REQUIRE_POSTGRES") == "1" and not os.environ.get(
            "GATEWAY_TEST_DATABASE_URL", "").startswith("postgresql"):
        raise pytest.UsageError("GATEWAY_REQUIRE_POSTGRES=1 but GATEWAY_TEST_DATABASE_URL "
                                "names no PostgreSQL server (see deploy/dev/postgres.sh)")


@pytest.fixture(autouse=True)
def _dispose_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the pooled connections of every app a test builds (PostgreSQL counts them)."""
    import gateway.app
    from gateway.db.engine import make_engine

    engines: list[Any] = []

    def tracked(url: str) -> Any:
        engines.append(make_engine(url))
        return engines[-1]

    monkeypatch.setattr(gateway.app, "make_engine", tracked)
    yield
    for engine in engines:
        engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh database for one test (PostgreSQL when GATEWAY_TEST_DATABASE_URL names one)."""
    from tests.support.databases import fresh_database_url

    return fresh_database_url(tmp_path)


@pytest.fixture
def settings(s3: S3Endpoint, bucket: str, database_url: str) -> Settings:
    """Gateway settings pointing at the test store and database, with 5 MiB parts."""
    return Settings(database_url=database_url, s3_endpoint_url=s3.url, s3_bucket=bucket,
                    s3_region=s3.region, min_part_size=5 * MIB, complete_wait=5)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The gateway app, schema migrated; its database connections closed afterwards."""
    app = create_app(settings, migrate=True)
    yield app
    app.extensions["gateway"].close()


def _key(app: Flask, tenant: str) -> str:
    _, token = app.extensions["gateway"].keys.create_key(tenant, utcnow())
    return str(token)


@pytest.fixture
def api(app: Flask) -> Api:
    """Tenant A's API client."""
    return Api(app.test_client(), _key(app, "tenant-a"))


@pytest.fixture
def other_api(app: Flask) -> Api:
    """Tenant B's API client."""
    return Api(app.test_client(), _key(app, "tenant-b"))


@pytest.fixture
def open_uploads(s3_admin: Any, bucket: str) -> Any:
    """A function listing the multipart uploads the store still holds in the test bucket."""
    def list_open() -> list[dict[str, Any]]:
        return list(s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []))
    return list_open
