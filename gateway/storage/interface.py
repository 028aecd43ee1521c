"""The narrow interface the domain needs from an object store, and what it may raise.

Adapters translate their own failures into these exceptions or into GatewayError
(STORE_UNAVAILABLE, STORE_ERROR) at this boundary, so the domain never sees boto3.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoredPart:
    """A part as the store lists it: its ETag (quoted, as S3 sends it), size and, when the
    store reports one, its CRC32C."""

    part_number: int
    etag: str
    size: int
    crc32c: int | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """A stored object: its size and the CRC32C the store reports, if any: of the whole
    object, or (`composite_crc32c`) of its parts' CRC32Cs for a composite multipart object."""

    size: int
    etag: str
    crc32c: int | None
    composite_crc32c: int | None = None


class ByteSource(Protocol):
    """Anything bytes are read from in blocks: a request body, a BytesIO, a body reader."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""


class StoreUploadMissing(Exception):
    """The store no longer has the multipart upload (completed, aborted or never made)."""


class StorePartsRejected(Exception):
    """The store refused the part list at completion (InvalidPart, EntityTooSmall, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ObjectStore(Protocol):
    """The S3 calls the gateway makes; nothing more."""

    def create_multipart_upload(
        self, key: str, content_type: str, metadata: Mapping[str, str], *,
        composite: bool = False,
    ) -> str:
        """Start a multipart upload and return the store's upload id; `composite`: every part
        arrives with its CRC32C and the object's checksum is made of theirs."""

    def list_parts(
        self, key: str, upload_id: str, wanted: Collection[int] | None = None
    ) -> list[StoredPart]:
        """The parts the store holds, ascending; only the `wanted` numbers when given."""

    def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]],
        part_crc32cs: Mapping[int, int] | None = None,
    ) -> None:
        """Join the parts, given in ascending order as (part_number, etag); a composite
        upload's parts are named with their CRC32Cs (by part number)."""

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Discard a multipart upload; an already-gone upload is not an error."""

    def upload_part(self, key: str, upload_id: str, part_number: int, body: ByteSource,
                    length: int) -> str:
        """Stream `length` bytes of `body` as one part, without holding them; return its ETag."""

    def put_object(
        self, key: str, body: bytes, content_type: str, metadata: Mapping[str, str],
        crc32c: int | None = None,
    ) -> None:
        """Store a small object in one request (with its CRC32C for the store to check)."""

    def head_object(self, key: str) -> ObjectInfo | None:
        """The object's size and checksum, or None when it does not exist."""

    def read_object(self, key: str, first: int | None = None,
                    last: int | None = None) -> Iterator[bytes]:
        """Stream the object's bytes (optionally the inclusive range first..last)."""

    def delete_object(self, key: str) -> None:
        """Remove an object; a missing object is not an error."""

    def presign_parts(
        self, key: str, upload_id: str, part_numbers: Sequence[int], expires_in: int,
        now: datetime, crc32cs: Sequence[int] | None = None,
    ) -> list[str]:
        """Presigned PUT URLs for the parts, signed locally (no network round trip); with
        `crc32cs`, each URL signs its part's CRC32C (the PUT must send it as a header)."""

    def presign_download(
        self, key: str, expires_in: int, now: datetime, *, content_disposition: str,
        content_type: str,
    ) -> str:
        """A presigned GET URL that makes the store answer with these headers."""

    def check(self) -> None:
        """Raise unless the bucket is reachable (readiness)."""
