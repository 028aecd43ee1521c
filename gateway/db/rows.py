"""Rows of the uploads and files tables to and from the domain's records."""

from __future__ import annotations

from typing import Any

from gateway.db.hot_reads import from_json, to_utc
from gateway.uploads.model import ChecksumType, FileRecord, Upload, filename_digest
from gateway.uploads.state import UploadState


def upload_row(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id, "tenant_id": upload.tenant_id, "file_id": upload.file_id,
        "object_key": upload.object_key, "store_upload_id": upload.store_upload_id,
        "filename": upload.filename, "filename_digest": filename_digest(upload.filename),
        "content_type": upload.content_type, "num_bytes": upload.num_bytes,
        "part_size": upload.part_size, "num_parts": upload.num_parts,
        "metadata": dict(upload.metadata), "status": upload.status.value,
        "store_open": upload.store_open, "checksum_type": upload.checksum_type.value,
        "expected_crc32c": upload.expected_crc32c,
        "failure_reason": upload.failure_reason, "lease_until": upload.lease_until,
        "created_at": upload.created_at, "updated_at": upload.updated_at,
        "expires_at": upload.expires_at,
    }


def decoded_upload(row: dict[str, Any]) -> dict[str, Any]:
    """A raw driver row of `uploads` with the types SQLAlchemy's column types would give."""
    for column in ("created_at", "updated_at", "expires_at", "lease_until"):
        row[column] = to_utc(row[column])
    row["metadata"] = from_json(row["metadata"])
    return row


def to_upload(row: Any) -> Upload:
    return Upload(
        id=row["id"], tenant_id=row["tenant_id"], file_id=row["file_id"],
        object_key=row["object_key"], store_upload_id=row["store_upload_id"],
        filename=row["filename"], content_type=row["content_type"], num_bytes=row["num_bytes"],
        part_size=row["part_size"], num_parts=row["num_parts"], metadata=row["metadata"] or {},
        status=UploadState(row["status"]), created_at=row["created_at"],
        updated_at=row["updated_at"], expires_at=row["expires_at"],
        store_open=bool(row["store_open"]), checksum_type=ChecksumType(row["checksum_type"]),
        expected_crc32c=row["expected_crc32c"],
        failure_reason=row["failure_reason"], lease_until=row["lease_until"],
    )


def file_row(file: FileRecord) -> dict[str, Any]:
    return {
        "id": file.id, "tenant_id": file.tenant_id, "upload_id": file.upload_id,
        "object_key": file.object_key, "filename": file.filename,
        "content_type": file.content_type, "num_bytes": file.num_bytes, "crc32c": file.crc32c,
        "metadata": dict(file.metadata), "status": file.status, "created_at": file.created_at,
    }


def to_file(row: Any) -> FileRecord:
    return FileRecord(
        id=row["id"], tenant_id=row["tenant_id"], upload_id=row["upload_id"],
        object_key=row["object_key"], filename=row["filename"],
        content_type=row["content_type"], num_bytes=row["num_bytes"], crc32c=row["crc32c"],
        created_at=row["created_at"], metadata=row["metadata"] or {}, status=row["status"],
    )
