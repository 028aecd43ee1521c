"""The schema, as SQLAlchemy Core tables (migrations in gateway/db/migrations mirror it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; naive for SQLite so text comparisons order correctly."""
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always hand back an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id"), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id"), nullable=False),
    Column("file_id", String(36), nullable=False, unique=True),
    Column("object_key", String(1024), nullable=False),
    Column("store_upload_id", String(1024), nullable=True),
    Column("filename", Text, nullable=False),
    Column("filename_digest", String(64), nullable=False),
    # Set to filename_digest on the one in-progress upload a resume reuses; NULLs never collide.
    Column("resume_key", String(64), nullable=True),
    Column("content_type", String(255), nullable=False),
    Column("num_bytes", BigInteger, nullable=True),
    Column("part_size", BigInteger, nullable=False),
    Column("num_parts", Integer, nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("store_open", Boolean, nullable=False),
    Column("checksum_type", String(16), nullable=False, server_default="full_object"),
    Column("expected_crc32c", BigInteger, nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_uploads_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_uploads_tenant_filename", "tenant_id", "filename_digest"),
    Index("ux_uploads_resume_key", "tenant_id", "resume_key", unique=True),
    Index("ix_uploads_status_expires", "status", "expires_at"),
)

upload_parts = Table(
    "upload_parts",
    metadata,
    Column("upload_id", String(36), ForeignKey("uploads.id", ondelete="CASCADE"),
           primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("part_token", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("crc32c", BigInteger, nullable=True),
    Column("checkpointed_at", UTCDateTime(), nullable=False),
)

files = Table(
    "files",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id"), nullable=False),
    Column("upload_id", String(36), nullable=True),
    Column("object_key", String(1024), nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("num_bytes", BigInteger, nullable=False),
    Column("crc32c", BigInteger, nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_files_tenant_created", "tenant_id", "created_at", "id"),
)

# Fleet-wide leases on periodic jobs (the janitor): one row per job, one holder at a time.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=False),
)
