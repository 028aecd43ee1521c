"""The hot reads on the real database: PostgreSQL's prepared path, and recovery from lost links."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from tests.support.api import Api


@pytest.fixture
def postgres(database_url: str) -> None:
    """Only on PostgreSQL (GATEWAY_TEST_DATABASE_URL): SQLite has no prepared path."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (make test-postgres)")


def _raw(app: Flask) -> Any:
    """A psycopg connection of the app's own, outside its pools."""
    fairy = app.extensions["gateway"].engine.raw_connection()
    fairy.detach()
    return fairy.dbapi_connection


def test_prepared_reads_return_rows_as_a_cursor_does(postgres: None, app: Flask,
                                                     api: Api) -> None:
    from gateway.db.pg_prepared import PreparedReads

    upload = api.initiate("rows.bin", 6 * 1024 * 1024, metadata={"k": "v"})
    sql = ("SELECT id, metadata, created_at, num_bytes, store_open, lease_until FROM uploads "
           "WHERE id = %(id)s AND num_bytes > %(least)s")
    values = {"id": upload["upload_id"], "least": 0}
    connection = _raw(app)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            expected = cursor.fetchall()
        reads = PreparedReads(connection)
        assert reads.fetch_all(sql, values) == expected  # prepared on first use
        assert reads.fetch_all(sql, values) == expected  # and run again
        assert reads.fetch_all(sql, {"id": "nothing", "least": 0}) == []
    finally:
        connection.close()
    assert len(expected) == 1 and expected[0][1] == {"k": "v"}  # json decoded, as a cursor
    assert expected[0][2].tzinfo is not None and expected[0][5] is None


def test_a_failed_statement_raises_psycopgs_error(postgres: None, app: Flask) -> None:
    import psycopg

    from gateway.db.pg_prepared import PreparedReads

    connection = _raw(app)
    try:
        with pytest.raises(psycopg.errors.UndefinedTable):
            PreparedReads(connection).fetch_all("SELECT * FROM no_such_table", {})
    finally:
        connection.close()


def test_inspect_survives_the_database_dropping_its_connections(postgres: None, app: Flask,
                                                                api: Api) -> None:
    upload = api.initiate("kept.bin", 6 * 1024 * 1024)
    path = f"/v1/uploads/{upload['upload_id']}"
    assert api.get(path).status_code == 200  # the hot connection is open and prepared
    with app.extensions["gateway"].engine.connect() as conn:
        dropped = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert dropped and dropped >= 1
    answer = api.get(path)
    assert answer.status_code == 200 and answer.get_json()["upload_id"] == upload["upload_id"]


def test_a_database_error_on_sqlite_reads_as_sqlalchemys_operational_error(
        tmp_path: Any) -> None:
    # sqlite3 raises OperationalError for a statement it cannot run, as when its file is
    # locked or gone; after the second try it reaches the API as SQLAlchemy's, so the one
    # handler of database outages answers it (503 database_unavailable).
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from gateway.db.hot_reads import HotConnections

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(OperationalError, match="no such table"):
            HotConnections(engine).run(lambda reads: reads.fetch_all(
                "SELECT * FROM no_such_table", ()))
    finally:
        engine.dispose()
