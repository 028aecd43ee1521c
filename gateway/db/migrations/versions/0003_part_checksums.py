"""Composite uploads: an upload's checksum type, and each checkpointed part's CRC32C.

Revision ID: 0003_part_checksums
Revises: 0002_leases
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_part_checksums"
down_revision = "0002_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add uploads.checksum_type (existing uploads are full_object) and upload_parts.crc32c."""
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("checksum_type", sa.String(16), nullable=False,
                                   server_default="full_object"))
    with op.batch_alter_table("upload_parts") as batch:
        batch.add_column(sa.Column("crc32c", sa.BigInteger, nullable=True))


def downgrade() -> None:
    """Drop both columns."""
    with op.batch_alter_table("upload_parts") as batch:
        batch.drop_column("crc32c")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("checksum_type")
