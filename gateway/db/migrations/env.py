"""Alembic environment: runs migrations on the engine the gateway handed over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from gateway.db.engine import write_transaction
from gateway.db.tables import metadata

# A fixed number: replicas starting together queue on this lock instead of racing.
_MIGRATION_LOCK = 7_311_402_551


def run_migrations_online() -> None:
    """Migrate inside one write transaction (SQLite IMMEDIATE lock, PostgreSQL advisory lock)."""
    engine = context.config.attributes["engine"]
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run_migrations_online()
