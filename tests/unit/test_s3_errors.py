"""S3 error codes as the store interface's exceptions (shared by boto3 calls and streamed PUTs)."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.storage.interface import StorePartsRejected, StoreUploadMissing
from gateway.storage.s3_errors import translate_error


@pytest.mark.parametrize("code,status,expected", [
    ("NoSuchUpload", 404, StoreUploadMissing), ("NoSuchKey", 404, StoreUploadMissing),
    ("EntityTooSmall", 400, StorePartsRejected), ("InvalidPart", 400, StorePartsRejected),
])
def test_interface_exceptions(code: str, status: int, expected: type) -> None:
    assert isinstance(translate_error("UploadPart", code, "", status), expected)


@pytest.mark.parametrize("code,status,kind,retryable", [
    ("SlowDown", 503, "store_unavailable", True), ("500", 500, "store_unavailable", True),
    ("AccessDenied", 403, "store_error", False), ("NoSuchBucket", 404, "store_error", False),
    ("SignatureDoesNotMatch", 403, "store_error", False),
])
def test_gateway_errors(code: str, status: int, kind: str, retryable: bool) -> None:
    error = translate_error("UploadPart", code, "", status)
    assert isinstance(error, GatewayError)
    assert error.kind.code == kind and error.kind.retryable is retryable
