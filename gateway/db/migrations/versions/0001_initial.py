"""Initial schema: tenants, API keys, uploads, checkpointed parts, files.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.db.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("file_id", sa.String(36), nullable=False, unique=True),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("store_upload_id", sa.String(1024), nullable=True),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("filename_digest", sa.String(64), nullable=False),
        sa.Column("resume_key", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("num_bytes", sa.BigInteger(), nullable=True),
        sa.Column("part_size", sa.BigInteger(), nullable=False),
        sa.Column("num_parts", sa.Integer(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("store_open", sa.Boolean(), nullable=False),
        sa.Column("expected_crc32c", sa.BigInteger(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_uploads_tenant_created", "uploads", ["tenant_id", "created_at", "id"])
    op.create_index("ix_uploads_tenant_filename", "uploads", ["tenant_id", "filename_digest"])
    op.create_index("ux_uploads_resume_key", "uploads", ["tenant_id", "resume_key"], unique=True)
    op.create_index("ix_uploads_status_expires", "uploads", ["status", "expires_at"])
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.String(36),
                  sa.ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("part_number", sa.Integer(), primary_key=True),
        sa.Column("part_token", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("checkpointed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("upload_id", sa.String(36), nullable=True),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("num_bytes", sa.BigInteger(), nullable=False),
        sa.Column("crc32c", sa.BigInteger(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_files_tenant_created", "files", ["tenant_id", "created_at", "id"])


def downgrade() -> None:
    """Drop the tables."""
    for table in ("files", "upload_parts", "uploads", "api_keys", "tenants"):
        op.drop_table(table)
