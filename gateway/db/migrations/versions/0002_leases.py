"""Leases on periodic jobs, so one replica at a time runs the janitor.

Revision ID: 0002_leases
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.db.tables import UTCDateTime

revision = "0002_leases"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the leases table."""
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("leases")
