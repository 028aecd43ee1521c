"""Engines: SQLite tuned for concurrent writers (WAL, IMMEDIATE writes) or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

WRITE_OPTION = "gateway_write"


# Server databases: engine -> its twin for reads, whose connections stay in autocommit.
_READERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def make_engine(database_url: str) -> Engine:
    """Create an engine for the URL, with the per-backend settings the gateway relies on."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=15)
        # Reads in autocommit skip BEGIN and COMMIT: two of a read's four round trips to
        # PostgreSQL. Every read is one statement or needs no snapshot across statements.
        reader = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=15,
                               isolation_level="AUTOCOMMIT")
        _READERS[engine] = reader
        event.listen(engine, "engine_disposed", lambda _: reader.dispose())
        return engine
    if url.database and url.database != ":memory:":
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can take the
    # lock up front (BEGIN IMMEDIATE) instead of failing on a read-to-write upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # Reads run without BEGIN: each statement sees one committed state (WAL), and the
    # gateway's reads need no snapshot across statements. BEGIN costs as much as a query.
    if connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that intends to write (takes SQLite's write lock at BEGIN)."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


def reader_of(engine: Engine) -> Engine:
    """The engine reads go through (PostgreSQL: the autocommit twin)."""
    return _READERS.get(engine, engine)


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: statements that each see one committed state."""
    with reader_of(engine).connect() as connection, connection.begin():
        yield connection
