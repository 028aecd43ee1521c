"""The named errors of the gateway: a machine code, an HTTP status and a message.

The domain raises these; the API layer (gateway.api.error_handlers) is the one place
that turns them, and every other exception, into the JSON error body.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class ErrorKind:
    """One named error: its machine code, HTTP status and whether a retry may succeed."""

    code: str
    status: int
    retryable: bool = False


BAD_REQUEST = ErrorKind("bad_request", 400)
INCOMPLETE_BODY = ErrorKind("incomplete_body", 400, retryable=True)
UNAUTHORIZED = ErrorKind("unauthorized", 401)
FORBIDDEN = ErrorKind("forbidden", 403)
ORIGIN_NOT_ALLOWED = ErrorKind("origin_not_allowed", 403)
NOT_FOUND = ErrorKind("not_found", 404)
UPLOAD_NOT_FOUND = ErrorKind("upload_not_found", 404)
FILE_NOT_FOUND = ErrorKind("file_not_found", 404)
PART_NOT_FOUND = ErrorKind("part_not_found", 404)
VALIDATION_ERROR = ErrorKind("validation_error", 422)
TOO_LARGE = ErrorKind("upload_too_large", 422)
PART_OUT_OF_RANGE = ErrorKind("part_out_of_range", 422)
PART_REJECTED = ErrorKind("part_rejected", 422)
SIZE_MISMATCH = ErrorKind("size_mismatch", 422)
CHECKSUM_MISMATCH = ErrorKind("checksum_mismatch", 422)
PART_CHANGED = ErrorKind("part_changed", 422)
LENGTH_REQUIRED = ErrorKind("length_required", 411)
PAYLOAD_TOO_LARGE = ErrorKind("payload_too_large", 413)
UNSUPPORTED_MEDIA_TYPE = ErrorKind("unsupported_media_type", 415)
RANGE_NOT_SATISFIABLE = ErrorKind("range_not_satisfiable", 416)
RESUME_MISMATCH = ErrorKind("resume_mismatch", 409)
MISSING_PARTS = ErrorKind("missing_parts", 409)
UNNAMED_PARTS = ErrorKind("unnamed_parts", 409)
INVALID_STATE = ErrorKind("invalid_state", 409)
CHECKSUM_TYPE_CONFLICT = ErrorKind("checksum_type_conflict", 409)
COMPLETION_IN_PROGRESS = ErrorKind("completion_in_progress", 409, retryable=True)
STORE_UNAVAILABLE = ErrorKind("store_unavailable", 503, retryable=True)
STORE_ERROR = ErrorKind("store_error", 502)
DATABASE_UNAVAILABLE = ErrorKind("database_unavailable", 503, retryable=True)
INTERNAL = ErrorKind("internal_error", 500)


class GatewayError(Exception):
    """An error with a name clients can act on; `details` travel in the JSON body."""

    def __init__(self, kind: ErrorKind, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"GatewayError({self.kind.code!r}, {self.message!r})"


def error_body(
    status: int,
    code: str,
    message: str,
    *,
    errors: Any = None,
    details: dict[str, Any] | None = None,
    retryable: bool = False,
) -> dict[str, Any]:
    """The one JSON shape of every error: flask-smorest's body plus `error` and `retryable`."""
    body: dict[str, Any] = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "error": code,
        "message": message,
        "retryable": retryable,
    }
    if errors is not None:
        body["errors"] = errors
    if details:
        body["details"] = details
    return body
