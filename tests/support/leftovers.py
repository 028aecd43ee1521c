"""What the database and the store hold, to prove bad input left nothing behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, func, select

from gateway.config import Settings
from gateway.db.tables import files, upload_parts, uploads


def row_counts(settings: Settings) -> dict[str, int]:
    """Rows in the uploads, upload_parts and files tables."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return {table.name: int(conn.execute(select(func.count()).select_from(table))
                                    .scalar_one())
                    for table in (uploads, upload_parts, files)}
    finally:
        engine.dispose()


def store_contents(s3_admin: Any, bucket: str) -> dict[str, Any]:
    """The bucket's objects and open multipart uploads (with the parts each holds)."""
    objects = [o["Key"] for o in s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])]
    open_uploads = {}
    for upload in s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        parts = s3_admin.list_parts(Bucket=bucket, Key=upload["Key"],
                                    UploadId=upload["UploadId"]).get("Parts", [])
        open_uploads[upload["UploadId"]] = [p["PartNumber"] for p in parts]
    return {"objects": objects, "uploads": open_uploads}


def assert_nothing_stored(settings: Settings, s3_admin: Any) -> None:
    """No row in any upload or file table, no object and no multipart upload in the bucket."""
    assert row_counts(settings) == {"uploads": 0, "upload_parts": 0, "files": 0}
    assert store_contents(s3_admin, settings.s3_bucket) == {"objects": [], "uploads": {}}
