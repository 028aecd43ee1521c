"""psycopg-style placeholders turned into libpq's numbered ones."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")

from gateway.db.pg_prepared import numbered  # noqa: E402


def test_placeholders_are_numbered_in_order_of_first_use() -> None:
    sql = "SELECT 1 WHERE a = %(b)s::VARCHAR AND c = %(a)s AND d = %(b)s"
    assert numbered(sql) == ("SELECT 1 WHERE a = $1::VARCHAR AND c = $2 AND d = $1", ["b", "a"])


def test_escaped_percent_signs_become_literal() -> None:
    assert numbered("SELECT 'x%%' || %(v)s") == ("SELECT 'x%' || $1", ["v"])


def test_a_statement_without_parameters_is_unchanged() -> None:
    assert numbered("SELECT now()") == ("SELECT now()", [])
