"""`gateway bucket setup`: the bucket, its CORS rule and its abort-incomplete lifecycle rule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.cli import main
from tests.support.s3server import S3Endpoint


@pytest.fixture
def new_bucket(s3: S3Endpoint, s3_admin: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket name nobody created yet, and the environment `gateway` reads pointing at it."""
    name = f"setup-{uuid.uuid4().hex[:16]}"
    for key, value in {"GATEWAY_S3_ENDPOINT_URL": s3.url, "GATEWAY_S3_BUCKET": name,
                       "GATEWAY_S3_REGION": s3.region, "GATEWAY_UPLOAD_TTL": str(3 * 86400),
                       "GATEWAY_CORS_ORIGINS": "https://app.example"}.items():
        monkeypatch.setenv(key, value)
    yield name
    try:
        s3_admin.delete_bucket(Bucket=name)
    except Exception:
        pass


def test_setup_creates_bucket_with_cors_and_lifecycle(new_bucket: str, s3_admin: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bucket", "setup"]) == 0
    out = capsys.readouterr().out
    assert f"bucket {new_bucket}: created" in out
    assert "lifecycle: abort incomplete multipart uploads after 4 days" in out
    rules = s3_admin.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]
    assert len(rules) == 1 and rules[0]["Status"] == "Enabled"
    # One day beyond the upload TTL: the janitor normally gets there first.
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 4}
    cors = s3_admin.get_bucket_cors(Bucket=new_bucket)["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["https://app.example"]
    assert "ETag" in cors["ExposeHeaders"] and "PUT" in cors["AllowedMethods"]


def test_setup_is_idempotent(new_bucket: str, s3_admin: Any,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bucket", "setup"]) == 0
    assert main(["bucket", "setup"]) == 0
    assert f"bucket {new_bucket}: exists" in capsys.readouterr().out
    assert len(s3_admin.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]) == 1
