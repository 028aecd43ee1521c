"""The SQL LeaseRepository: a named lease one holder at a time, across every replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.db.engine import write_transaction
from gateway.db.tables import leases


class SqlLeaseRepository:
    """Leases in the shared database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def try_acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease if it is free, lapsed or already ours."""
        take = update(leases).where(
            leases.c.name == name, or_(leases.c.lease_until <= now, leases.c.holder == holder)
        ).values(holder=holder, lease_until=until)
        try:
            with write_transaction(self._engine) as conn:
                if conn.execute(take).rowcount == 1:
                    return True
                if conn.execute(select(leases.c.name).where(leases.c.name == name)).first():
                    return False
                conn.execute(insert(leases).values(name=name, holder=holder, lease_until=until))
                return True
        except IntegrityError:
            return False  # another replica inserted the first row at the same moment
