"""Test databases: a SQLite file per test, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_database_url(tmp_path: Path) -> str:
    """SQLite in tmp_path, or a new database on the server GATEWAY_TEST_DATABASE_URL names."""
    server = os.environ.get("GATEWAY_TEST_DATABASE_URL")
    if not server:
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    name = f"gw_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)
