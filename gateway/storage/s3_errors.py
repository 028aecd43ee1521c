"""How the S3 adapter turns boto3's failures into the store interface's exceptions."""

from __future__ import annotations

import botocore.exceptions

from gateway.errors import STORE_ERROR, STORE_UNAVAILABLE, GatewayError
from gateway.storage.interface import StorePartsRejected, StoreUploadMissing

_UPLOAD_GONE = {"NoSuchUpload", "NoSuchKey"}  # Ceph RGW says NoSuchKey after an abort
_PARTS_REJECTED = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge"}
_TRANSIENT = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503"}
CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.HTTPClientError,
)


def translate_client_error(operation: str, exc: botocore.exceptions.ClientError) -> Exception:
    """The interface's exception (or named GatewayError) for an S3 error response."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return translate_error(operation, code, str(error.get("Message", "")), status)


def translate_error(operation: str, code: str, message: str, status: int) -> Exception:
    """The interface's exception (or named GatewayError) for an S3 error code and status."""
    message = message or code
    if code in _UPLOAD_GONE or (code == "404" and operation == "HeadObject"):
        return StoreUploadMissing(f"{operation}: {code}")
    if code in _PARTS_REJECTED:
        return StorePartsRejected(code, message)
    if code in _TRANSIENT or status >= 500:
        return GatewayError(STORE_UNAVAILABLE, f"the object store is unavailable ({operation}: "
                                               f"{code})")
    if code == "NoSuchBucket":
        return GatewayError(STORE_ERROR, "the configured bucket does not exist; run "
                                         "'gateway bucket setup'", store_code=code)
    return GatewayError(STORE_ERROR, f"the object store refused {operation}: {code}",
                        store_code=code)
