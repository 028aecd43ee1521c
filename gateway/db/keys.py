"""The SQL KeyRepository: tenants and hashed API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.auth import StoredKey
from gateway.db.engine import read_transaction, write_transaction
from gateway.db.tables import api_keys, tenants


class SqlKeyRepository:
    """KeyRepository on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def ensure_tenant(self, name: str, now: datetime) -> str:
        """The tenant's id, inserting it if new (a concurrent insert of the same name is fine)."""
        query = select(tenants.c.id).where(tenants.c.name == name)
        with read_transaction(self._engine) as conn:
            found = conn.execute(query).scalar()
        if found is not None:
            return str(found)
        try:
            with write_transaction(self._engine) as conn:
                tenant_id = str(uuid.uuid4())
                conn.execute(insert(tenants).values(id=tenant_id, name=name, created_at=now))
                return tenant_id
        except IntegrityError:
            with read_transaction(self._engine) as conn:
                return str(conn.execute(query).scalar_one())

    def add_key(self, key_id: str, tenant_id: str, secret_hash: str, label: str | None,
                now: datetime) -> None:
        """Store a key's hash."""
        with write_transaction(self._engine) as conn:
            conn.execute(insert(api_keys).values(
                id=key_id, tenant_id=tenant_id, secret_hash=secret_hash, label=label,
                created_at=now))

    def get_key(self, key_id: str) -> StoredKey | None:
        """One key with its tenant's name (every authenticated request asks)."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(_GET_KEY, {"key_id": key_id}).mappings().first()
        return None if row is None else _to_key(row)

    def list_keys(self) -> list[StoredKey]:
        """All keys, newest first."""
        query = self._select().order_by(api_keys.c.created_at.desc())
        with read_transaction(self._engine) as conn:
            return [_to_key(row) for row in conn.execute(query).mappings()]

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        """Set revoked_at once."""
        statement = update(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=now)
        with write_transaction(self._engine) as conn:
            return conn.execute(statement).rowcount == 1

    @staticmethod
    def _select() -> Any:
        return select(api_keys, tenants.c.name.label("tenant_name")).join(
            tenants, tenants.c.id == api_keys.c.tenant_id)


def _to_key(row: Any) -> StoredKey:
    return StoredKey(
        id=row["id"], tenant_id=row["tenant_id"], tenant_name=row["tenant_name"],
        secret_hash=row["secret_hash"], label=row["label"], created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


# Built once: every request authenticates, and building the statement costs more than running it.
_GET_KEY = SqlKeyRepository._select().where(api_keys.c.id == bindparam("key_id"))
