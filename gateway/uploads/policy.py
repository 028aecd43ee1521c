"""The knobs the upload use cases run with, and small value types they exchange."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.config import Settings
from gateway.errors import VALIDATION_ERROR, GatewayError
from gateway.uploads.model import ChecksumType, PartRecord, Upload
from gateway.uploads.ports import Page


@dataclass(frozen=True)
class UploadPolicy:
    """Part sizes, size limits and lifetimes, in bytes and seconds."""

    min_part_size: int
    max_part_size: int
    max_upload_bytes: int
    url_ttl: int
    max_url_ttl: int
    upload_ttl: int
    complete_lease: int = 300
    complete_wait: int = 30
    key_prefix: str = ""
    max_form_bytes: int = 5 * 1024 ** 3
    # Whether the store is asked for checksums at all; without, no upload can be composite.
    store_checksums: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadPolicy:
        """The policy the configured settings describe."""
        return cls(
            min_part_size=settings.min_part_size, max_part_size=settings.max_part_size,
            max_upload_bytes=settings.max_upload_bytes, url_ttl=settings.url_ttl,
            max_url_ttl=settings.max_url_ttl, upload_ttl=settings.upload_ttl,
            complete_lease=settings.complete_lease, complete_wait=settings.complete_wait,
            key_prefix=settings.s3_key_prefix, max_form_bytes=settings.max_form_bytes,
            store_checksums=settings.s3_full_object_crc32c,
        )

    def idle_expiry(self, now: datetime) -> datetime:
        """When an upload active at `now` expires if nothing else happens."""
        return now + timedelta(seconds=self.upload_ttl)

    def activity_slack(self) -> timedelta:
        """How far the expiry may lag behind activity (a minute, or 1% of a short TTL)."""
        return timedelta(seconds=min(60.0, self.upload_ttl / 100))


@dataclass(frozen=True)
class InitiateRequest:
    """What a client asks for when it starts an upload."""

    filename: str
    content_type: str = "application/octet-stream"
    num_bytes: int | None = None
    resume_if_started: bool = False
    part_size_hint: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    checksum_type: ChecksumType = ChecksumType.FULL_OBJECT


@dataclass(frozen=True)
class PartClaim:
    """A client's word for a part: its number, the store's ETag for it and (composite
    uploads) the CRC32C it was signed and sent with."""

    part_number: int
    part_token: str
    crc32c: int | None = None


@dataclass(frozen=True)
class PresignedParts:
    """Part URLs that all expire at the same instant, each signing its CRC32C if `crc32cs`.

    `urls` is None for parts listed but not signed: a composite upload's part is signed only
    once the client names its CRC32C.
    """

    part_numbers: list[int]
    urls: list[str] | None
    expires_at: datetime | None
    crc32cs: list[int] | None = None


@dataclass(frozen=True)
class UploadDetails:
    """An upload with its checkpointed parts, as inspect shows it."""

    upload: Upload
    parts: list[PartRecord]
    now: datetime

    @property
    def missing_parts(self) -> list[int]:
        """Part numbers still without a token."""
        return self.upload.missing_parts(self.parts)

    @property
    def parts_to_send(self) -> list[int]:
        """The parts a client uploads next: the missing ones and, when the length is unknown,
        the one after the highest checkpointed part (further ones come from /urls)."""
        missing = self.missing_parts
        if self.upload.num_parts is not None:
            return missing
        following = max((p.part_number for p in self.parts), default=0) + 1
        return missing + [following] if self.upload.plan.contains(following) else missing


@dataclass(frozen=True)
class InitiateResult:
    """A new or resumed upload and the URLs for its parts still to send."""

    details: UploadDetails
    resumed: bool
    presigned: PresignedParts


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def encode_cursor(created_at: datetime, item_id: str) -> str:
    """An opaque cursor naming the last item of a page."""
    raw = json.dumps([created_at.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Page | None:
    """The position a cursor names; a malformed cursor is a 422."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, item_id = json.loads(base64.urlsafe_b64decode(padded))
        return Page(created_at=datetime.fromisoformat(created), id=str(item_id))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise GatewayError(VALIDATION_ERROR, "the cursor is not one this API gave out",
                           field="cursor") from exc
