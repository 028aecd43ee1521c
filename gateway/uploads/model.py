"""The domain's records: an upload, its checkpointed parts and the file it becomes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from gateway.uploads.planning import PartPlan
from gateway.uploads.state import UploadState


class ChecksumType(Enum):
    """How the store checksums a multipart object (S3's ChecksumType).

    FULL_OBJECT: the store (when it can) reports the whole object's CRC32C; parts carry none.
    COMPOSITE: every part is signed and sent with its CRC32C, which the store checks; the
    object's checksum is the CRC32C of those, and the gateway combines them into the file's.
    """

    FULL_OBJECT = "full_object"
    COMPOSITE = "composite"


@dataclass(frozen=True)
class PartRecord:
    """A part the store holds and the gateway has checkpointed (with its CRC32C if known)."""

    part_number: int
    part_token: str
    size: int
    crc32c: int | None = None


@dataclass(frozen=True)
class Upload:
    """One multipart upload of one tenant."""

    id: str
    tenant_id: str
    file_id: str
    object_key: str
    store_upload_id: str | None
    filename: str
    content_type: str
    num_bytes: int | None
    part_size: int
    num_parts: int | None
    metadata: dict[str, str]
    status: UploadState
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    store_open: bool = True
    checksum_type: ChecksumType = ChecksumType.FULL_OBJECT
    expected_crc32c: int | None = None
    failure_reason: str | None = None
    lease_until: datetime | None = None

    @property
    def plan(self) -> PartPlan:
        """The part plan this upload was initiated with."""
        return PartPlan(self.part_size, self.num_bytes, self.num_parts)

    def effective_status(self, now: datetime) -> UploadState:
        """The status, reporting an idle in-progress upload past its expiry as expired."""
        if self.status is UploadState.IN_PROGRESS and now >= self.expires_at:
            return UploadState.EXPIRED
        return self.status

    def missing_parts(self, parts: list[PartRecord]) -> list[int]:
        """Planned part numbers without a checkpointed token (unknown length: the gaps)."""
        have = {p.part_number for p in parts}
        if self.num_parts is None:
            highest = max(have, default=0)
            return [n for n in range(1, highest + 1) if n not in have]
        return [n for n in range(1, self.num_parts + 1) if n not in have]


@dataclass(frozen=True)
class FileRecord:
    """A completed object and what the gateway knows of it."""

    id: str
    tenant_id: str
    upload_id: str | None
    object_key: str
    filename: str
    content_type: str
    num_bytes: int
    crc32c: int | None
    created_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "available"


def filename_digest(filename: str) -> str:
    """A fixed-length key for a filename, safe to index whatever the name's length."""
    return hashlib.sha256(filename.encode("utf-8")).hexdigest()
