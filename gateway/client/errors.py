"""The errors the client raises: each reads as one line and knows its exit status."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base of every client error; str() is one readable line."""

    exit_status = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ClientError):
    """Bad local input: a missing file, a malformed URL, no API key."""

    exit_status = 2


class ApiError(ClientError):
    """The gateway answered with an error body (or something that is not the gateway did)."""

    def __init__(self, status: int, code: str, message: str, *, retryable: bool = False,
                 details: dict[str, Any] | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.details = details or {}
        self.request_id = request_id

    def __str__(self) -> str:
        hint = ""
        if self.status == 401:
            hint = " (check GATEWAY_API_KEY or --api-key)"
        return f"{self.message} [{self.status} {self.code}]{hint}"


class StoreError(ClientError):
    """The bucket refused a presigned request for a reason retrying will not fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} [{self.status} {self.code}]"


class TransferError(ClientError):
    """Gave up after the bounded number of tries; the last cause is in the message."""


class IntegrityError(ClientError):
    """Bytes did not match: a download's CRC32C or size, or a file that changed while read."""


class Stopped(ClientError):
    """The transfer was stopped because another part failed or the user interrupted."""
