"""Domain records turned into the dictionaries the response schemas dump."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from gateway.uploads.checksums import format_crc32c
from gateway.uploads.model import FileRecord, Upload
from gateway.uploads.policy import InitiateResult, PresignedParts, UploadDetails, encode_cursor

T = TypeVar("T")


def upload_summary(upload: Upload, now: datetime) -> dict[str, Any]:
    """An upload's own fields, its status as of `now`."""
    return {
        "id": upload.id, "file_id": upload.file_id,
        "status": upload.effective_status(now).value, "filename": upload.filename,
        "content_type": upload.content_type, "num_bytes": upload.num_bytes,
        "num_parts": upload.num_parts, "part_size": upload.part_size,
        "metadata": upload.metadata, "failure_reason": upload.failure_reason,
        "created_at": upload.created_at, "updated_at": upload.updated_at,
        "expires_at": upload.expires_at,
    }


def upload_detail(details: UploadDetails) -> dict[str, Any]:
    """Inspect: the upload plus checkpointed and missing parts."""
    view = upload_summary(details.upload, details.now)
    view["checkpointed_parts"] = [
        {"part_number": p.part_number, "part_token": p.part_token, "size": p.size}
        for p in details.parts
    ]
    view["missing_parts"] = details.missing_parts
    view["bytes_checkpointed"] = sum(p.size for p in details.parts)
    return view


def part_urls(presigned: PresignedParts) -> list[dict[str, Any]]:
    """URL descriptors, built directly: this list can hold 10,000 entries."""
    expires = presigned.expires_at.isoformat()
    return [{"part_number": n, "url": u, "expires_at": expires}
            for n, u in zip(presigned.part_numbers, presigned.urls, strict=True)]


def initiate_view(result: InitiateResult, checksum_algorithm: str) -> dict[str, Any]:
    """The initiate answer: the upload and URLs for its parts still to send."""
    view = upload_summary(result.details.upload, result.details.now)
    view["checksum_algorithm"] = checksum_algorithm
    view["resumed"] = result.resumed
    view["parts"] = part_urls(result.presigned)
    return view


def file_view(file: FileRecord) -> dict[str, Any]:
    """A file record with its checksum in S3's encoding."""
    return {
        "id": file.id, "upload_id": file.upload_id, "filename": file.filename,
        "content_type": file.content_type, "num_bytes": file.num_bytes,
        "checksum": {"crc32c": None if file.crc32c is None else format_crc32c(file.crc32c)},
        "status": file.status, "metadata": file.metadata, "created_at": file.created_at,
    }


def page(items: Sequence[T], limit: int, present: Callable[[T], dict[str, Any]],
         position: Callable[[T], tuple[datetime, str]]) -> dict[str, Any]:
    """A list answer from limit + 1 fetched items: the extra one only tells a page follows."""
    shown = list(items[:limit])
    cursor = encode_cursor(*position(shown[-1])) if len(items) > limit and shown else None
    return {"items": [present(item) for item in shown], "next_cursor": cursor}
