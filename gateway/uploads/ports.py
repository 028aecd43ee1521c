"""What the upload domain needs from its database: a repository of uploads, parts and files.

Each method is one atomic step. Methods that change an upload are conditional on its
status, so concurrent requests (and replicas) cannot both win the same transition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.uploads.model import FileRecord, PartRecord, Upload
from gateway.uploads.state import UploadState


class ResumeSlotTaken(Exception):
    """Another in-progress upload already owns the resume slot of this filename."""


@dataclass(frozen=True)
class Page:
    """A cursor position: items strictly older than (created_at, id) come next."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class FileFilter:
    """Optional filters of a file listing."""

    filename_prefix: str | None = None
    content_type: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None


class UploadRepository(Protocol):
    """Persistence of uploads, their checkpointed parts and completed files."""

    def add_upload(self, upload: Upload, *, claim_resume_slot: bool) -> None:
        """Insert; with claim_resume_slot, raise ResumeSlotTaken if the filename's slot is held."""

    def get_upload(self, tenant_id: str, upload_id: str) -> Upload | None:
        """The tenant's upload, or None (also for another tenant's id)."""

    def get_upload_with_parts(self, tenant_id: str, upload_id: str
                              ) -> tuple[Upload, list[PartRecord]] | None:
        """The tenant's upload with its checkpointed parts (one consistent read), or None."""

    def find_resumable(self, tenant_id: str, filename: str) -> Upload | None:
        """The in-progress upload that owns the filename's resume slot, else the newest one."""

    def claim_resume_slot(self, upload: Upload) -> bool:
        """Make an existing in-progress upload the owner of its filename's resume slot."""

    def list_uploads(
        self, tenant_id: str, status: UploadState | None, limit: int, after: Page | None
    ) -> list[Upload]:
        """Newest first, at most `limit`."""

    def get_parts(self, upload_id: str) -> list[PartRecord]:
        """Checkpointed parts in part-number order."""

    def save_parts(
        self, upload_id: str, parts: Sequence[PartRecord], now: datetime, expires_at: datetime
    ) -> bool:
        """Upsert part tokens and record activity; False unless the upload is in progress."""

    def delete_part(self, upload_id: str, part_number: int, now: datetime,
                    expires_at: datetime) -> bool:
        """Forget a part's token; False unless the upload is in progress."""

    def touch(self, upload_id: str, now: datetime, expires_at: datetime) -> bool:
        """Record activity on an in-progress upload (its idle expiry moves on)."""

    def claim_completion(
        self, upload_id: str, now: datetime, lease_until: datetime, expected_crc32c: int | None
    ) -> bool:
        """in_progress (or completing with a lapsed lease) -> completing, held until lease_until."""

    def release_completion(self, upload_id: str, now: datetime) -> bool:
        """completing -> in_progress, after a transient failure."""

    def finish_completion(self, upload_id: str, file: FileRecord) -> bool:
        """completing -> completed and the file recorded, in one transaction."""

    def set_status(
        self,
        upload_id: str,
        expected: Sequence[UploadState],
        status: UploadState,
        now: datetime,
        *,
        failure_reason: str | None = None,
    ) -> bool:
        """Move to `status` if currently one of `expected`."""

    def set_store_closed(self, upload_id: str) -> None:
        """Record that the store no longer holds an open multipart upload for it."""

    def uploads_to_expire(self, now: datetime, limit: int) -> list[Upload]:
        """In-progress uploads idle past their expiry, and closed ones still open in the store."""

    def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        """The tenant's file, or None."""

    def add_file(self, file: FileRecord) -> None:
        """Record a file stored without a multipart upload of the native API."""

    def list_files(
        self, tenant_id: str, limit: int, after: Page | None, filters: FileFilter
    ) -> list[FileRecord]:
        """Newest first, at most `limit`."""

    def delete_file(self, tenant_id: str, file_id: str) -> bool:
        """Remove the record; False if it was already gone."""

    def ping(self) -> None:
        """Raise unless the database answers."""
