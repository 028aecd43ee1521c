"""Domain records turned into the dictionaries the response schemas dump."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from gateway.uploads.checksums import format_crc32c
from gateway.uploads.model import FileRecord, Upload
from gateway.uploads.policy import InitiateResult, PresignedParts, UploadDetails, encode_cursor
from gateway.uploads.proxy import ProxiedPart

T = TypeVar("T")
_PLAIN_JSON = re.compile(r'[^"\\\x00-\x1f\x7f]*')


def upload_summary(upload: Upload, now: datetime) -> dict[str, Any]:
    """An upload's own fields, its status as of `now`."""
    return {
        "upload_id": upload.id, "file_id": upload.file_id,
        "status": upload.effective_status(now).value, "filename": upload.filename,
        "content_type": upload.content_type, "num_bytes": upload.num_bytes,
        "num_parts": upload.num_parts, "part_size": upload.part_size,
        "checksum_type": upload.checksum_type.value, "metadata": upload.metadata,
        "failure_reason": upload.failure_reason,
        "created_at": upload.created_at, "updated_at": upload.updated_at,
        "expires_at": upload.expires_at,
    }


def upload_detail(details: UploadDetails) -> dict[str, Any]:
    """Inspect: the upload plus checkpointed and missing parts."""
    view = upload_summary(details.upload, details.now)
    view["checkpointed_parts"] = [
        {"part_number": p.part_number, "part_token": p.part_token, "size": p.size,
         "crc32c": None if p.crc32c is None else format_crc32c(p.crc32c)}
        for p in details.parts
    ]
    view["missing_parts"] = details.missing_parts
    view["bytes_checkpointed"] = sum(p.size for p in details.parts)
    return view


def view_json(view: dict[str, Any]) -> str:
    """A presenter's view as the JSON its schema would dump: dates in ISO 8601, the rest as
    built. The hot reads answer this way; a unit test holds it equal to the schemas."""
    return json.dumps(view, default=_iso, separators=(",", ":"))


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def part_urls_json(presigned: PresignedParts) -> str:
    """The part URL list as a JSON array, written directly: json.dumps of 10,000 dicts costs
    as much as signing them. URLs of one signing batch differ only in the part number's
    digits and the hex signature, so if the first and last need no JSON escaping, none do."""
    urls, crcs = presigned.urls, presigned.crc32cs
    if urls is None:  # listed, to be signed with their CRC32Cs later
        return json.dumps([{"part_number": n, "url": None, "expires_at": None}
                           for n in presigned.part_numbers], separators=(",", ":"))
    expires = presigned.expires_at.isoformat() if presigned.expires_at else None
    if crcs is not None or (urls and not (_PLAIN_JSON.fullmatch(urls[0])
                                          and _PLAIN_JSON.fullmatch(urls[-1]))):
        items: list[dict[str, Any]] = [{"part_number": n, "url": u, "expires_at": expires}
                                       for n, u in zip(presigned.part_numbers, urls, strict=True)]
        for item, crc in zip(items, crcs, strict=True) if crcs is not None else ():
            item["headers"] = {"x-amz-checksum-crc32c": format_crc32c(crc)}
        return json.dumps(items, separators=(",", ":"))
    tail = ',"expires_at":' + json.dumps(expires) + "}"
    parts = [f'{{"part_number":{n},"url":"{u}"{tail}'
             for n, u in zip(presigned.part_numbers, urls, strict=True)]
    return "[" + ",".join(parts) + "]"


def with_parts_json(view: dict[str, Any], presigned: PresignedParts) -> str:
    """A JSON object of `view` (already dumped) with a `parts` member appended."""
    head = json.dumps(view, separators=(",", ":"))
    separator = "," if view else ""
    return f'{head[:-1]}{separator}"parts":{part_urls_json(presigned)}}}'


def initiate_view(result: InitiateResult, checksum_algorithm: str) -> dict[str, Any]:
    """The initiate answer without its part URLs (see with_parts_json)."""
    view = upload_summary(result.details.upload, result.details.now)
    view["checksum_algorithm"] = checksum_algorithm
    view["resumed"] = result.resumed
    return view


def file_view(file: FileRecord) -> dict[str, Any]:
    """A file record with its checksum in S3's encoding."""
    return {
        "id": file.id, "upload_id": file.upload_id, "filename": file.filename,
        "content_type": file.content_type, "num_bytes": file.num_bytes,
        "checksum": {"crc32c": None if file.crc32c is None else format_crc32c(file.crc32c)},
        "status": file.status, "metadata": file.metadata, "created_at": file.created_at,
    }


def proxied_part_view(part: ProxiedPart) -> dict[str, Any]:
    """A part sent through the gateway, its CRC32C in S3's encoding."""
    return {"part_number": part.part_number, "part_token": part.part_token, "size": part.size,
            "crc32c": format_crc32c(part.crc32c)}


def page(items: Sequence[T], limit: int, present: Callable[[T], dict[str, Any]],
         position: Callable[[T], tuple[datetime, str]]) -> dict[str, Any]:
    """A list answer from limit + 1 fetched items: the extra one only tells a page follows."""
    shown = list(items[:limit])
    cursor = encode_cursor(*position(shown[-1])) if len(items) > limit and shown else None
    return {"items": [present(item) for item in shown], "next_cursor": cursor}
