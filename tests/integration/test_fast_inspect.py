"""Inspect's fast path answers as the Flask path does and hands every other case to Flask."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, request, request_started
from prometheus_client import REGISTRY
from sqlalchemy import text
from werkzeug.test import Client, TestResponse

from gateway.api.fast_inspect import InspectFastPath
from gateway.app import create_app
from gateway.config import Settings
from gateway.logs import JsonFormatter
from gateway.uploads.policy import utcnow
from tests.support.api import MIB, Api, put_part, random_bytes, slice_part

ROUTE = "/v1/uploads/<string:upload_id>"
SERVER_TIMING = re.compile(r'store;dur=\d+\.\d\d;desc="object store", app;dur=-?\d+\.\d\d, '
                           r"total;dur=\d+\.\d\d")
PAGE = "http://uploads.example"


@contextmanager
def flask_served(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests Flask itself handled meanwhile (its request_started signal)."""
    seen: list[str] = []

    def started(_: Flask, **__: Any) -> None:
        seen.append(request.path)

    request_started.connect(started, app)
    try:
        yield seen
    finally:
        request_started.disconnect(started, app)


def flask_only(app: Flask) -> Client:
    """A client of the Flask app behind the fast path: the path every other request takes."""
    fast = app.wsgi_app
    assert isinstance(fast, InspectFastPath)
    return Client(fast.delegate, TestResponse)


def served_inspects(status: str) -> float:
    """How many inspect answers of this status the metrics have counted so far."""
    labels = {"method": "GET", "route": ROUTE, "status": status}
    return REGISTRY.get_sample_value("gateway_http_requests_total", labels) or 0.0


def inspect_latency_count() -> float:
    """How many inspect durations the latency histogram has seen."""
    labels = {"method": "GET", "route": ROUTE}
    return REGISTRY.get_sample_value("gateway_http_request_duration_seconds_count", labels) or 0.0


@pytest.fixture
def checkpointed(api: Api) -> str:
    """An upload of three 5 MiB parts with part 2 checkpointed; its id."""
    data = random_bytes(15 * MIB)
    upload = api.initiate("fast.bin", len(data), part_size=5 * MIB, metadata={"k": "v"})
    token = put_part(upload["parts"][1]["url"], slice_part(data, 2, upload["part_size"]))
    assert api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint", json={"parts": [
        {"part_number": 2, "part_token": token}]}).status_code == 200
    return str(upload["upload_id"])


def test_both_paths_answer_a_served_upload_identically(
        app: Flask, api: Api, checkpointed: str, caplog: pytest.LogCaptureFixture) -> None:
    path = f"/v1/uploads/{checkpointed}"
    headers = {"Authorization": f"Bearer {api.key}", "X-Request-ID": "same-request-7"}
    answers: list[TestResponse] = []
    counts: list[tuple[float, float]] = []
    with caplog.at_level(logging.INFO, logger="gateway.access"), flask_served(app) as seen:
        for client in (app.test_client(), flask_only(app)):
            before = (served_inspects("200"), inspect_latency_count())
            answers.append(client.get(path, headers=headers))
            counts.append((served_inspects("200") - before[0],
                           inspect_latency_count() - before[1]))
    assert seen == [path]  # the first answer came from the fast path, the second from Flask
    fast, flask = answers
    assert fast.status_code == flask.status_code == 200
    assert fast.data == flask.data
    assert fast.get_json()["checkpointed_parts"][0]["part_number"] == 2
    assert sorted(fast.headers.keys()) == sorted(flask.headers.keys())
    for name in ("Content-Type", "Content-Length", "Vary", "X-Request-ID"):
        assert fast.headers[name] == flask.headers[name], name
    assert fast.headers["X-Request-ID"] == "same-request-7"
    for answer in answers:
        assert SERVER_TIMING.fullmatch(answer.headers["Server-Timing"])
    assert counts == [(1.0, 1.0), (1.0, 1.0)]
    records = [json.loads(JsonFormatter().format(r)) for r in caplog.records
               if r.name == "gateway.access"]
    assert len(records) == 2
    for record in records:
        assert (record["request_id"], record["method"], record["path"], record["status"]) == (
            "same-request-7", "GET", path, 200)
    assert {k for k in records[0] if k != "time"} == {k for k in records[1] if k != "time"}


def test_the_fast_path_generates_a_request_id_and_logs_it(
        app: Flask, api: Api, checkpointed: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.access"), flask_served(app) as seen:
        answer = api.client.get(f"/v1/uploads/{checkpointed}", headers={
            "Authorization": f"Bearer {api.key}", "X-Request-ID": "bad id!"})
    assert seen == [] and answer.status_code == 200
    generated = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    record = next(r for r in caplog.records if r.name == "gateway.access")
    assert json.loads(JsonFormatter().format(record))["request_id"] == generated


def test_inspect_always_reads_the_current_state(app: Flask, api: Api, checkpointed: str) -> None:
    path = f"/v1/uploads/{checkpointed}"
    assert api.get(path).get_json()["missing_parts"] == [1, 3]
    assert api.delete(f"{path}/parts/2").status_code == 200
    assert api.get(path).get_json()["missing_parts"] == [1, 2, 3]
    assert api.post(f"{path}/abort").status_code == 200
    assert api.get(path).get_json()["status"] == "aborted"


@pytest.mark.parametrize("authorization", [None, "Bearer gwk_nosuch_key", "Basic abc"])
def test_requests_without_a_valid_key_get_flasks_401(
        app: Flask, api: Api, checkpointed: str, authorization: str | None) -> None:
    path = f"/v1/uploads/{checkpointed}"
    headers = {"X-Request-ID": "no-key-1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    before = served_inspects("401")
    with flask_served(app) as seen:
        answer = app.test_client().get(path, headers=headers)
    assert seen == [path]
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
    assert answer.headers["X-Request-ID"] == "no-key-1"
    assert served_inspects("401") - before == 1


def test_a_revoked_key_gets_401_at_once(app: Flask, checkpointed: str) -> None:
    keys = app.extensions["gateway"].keys
    key_id, token = keys.create_key("tenant-a", utcnow())
    client = app.test_client()
    path = f"/v1/uploads/{checkpointed}"
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    keys.revoke(key_id, utcnow())
    answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


def test_another_tenants_upload_is_flasks_404(app: Flask, other_api: Api,
                                              checkpointed: str) -> None:
    path = f"/v1/uploads/{checkpointed}"
    with flask_served(app) as seen:
        answer = other_api.get(path)
        unknown = other_api.get("/v1/uploads/00000000-0000-0000-0000-000000000000")
    assert seen == [path, "/v1/uploads/00000000-0000-0000-0000-000000000000"]
    for response in (answer, unknown):
        assert response.status_code == 404
        assert response.get_json()["error"] == "upload_not_found"
        assert "X-Request-ID" in response.headers and "Server-Timing" in response.headers


def test_cross_origin_inspects_and_preflights_go_through_flasks_cors(
        settings: Settings, checkpointed: str, api: Api) -> None:
    app = create_app(settings.with_overrides(cors_origins=(PAGE,)), migrate=True)
    _, key = app.extensions["gateway"].keys.create_key("tenant-a", utcnow())
    path = f"/v1/uploads/{checkpointed}"
    client = app.test_client()
    with flask_served(app) as seen:
        tagged = client.get(path, headers={"Authorization": f"Bearer {key}", "Origin": PAGE})
        preflight = client.options(path, headers={"Origin": PAGE,
                                                  "Access-Control-Request-Method": "GET"})
        refused = client.options(path, headers={"Origin": "http://evil.example",
                                                "Access-Control-Request-Method": "GET"})
    app.extensions["gateway"].close()
    assert seen == [path, path, path]
    assert tagged.status_code == 200 and tagged.data == api.get(path).data
    assert tagged.headers["Access-Control-Allow-Origin"] == PAGE
    assert "X-Request-ID" in tagged.headers["Access-Control-Expose-Headers"]
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == PAGE
    assert refused.status_code == 403 and refused.get_json()["error"] == "origin_not_allowed"


def test_head_is_answered_by_flask(app: Flask, api: Api, checkpointed: str) -> None:
    path = f"/v1/uploads/{checkpointed}"
    with flask_served(app) as seen:
        head = api.client.head(path, headers={"Authorization": f"Bearer {api.key}"})
    assert seen == [path]
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == api.get(path).headers["Content-Length"]


@pytest.mark.parametrize("suffix", ["/", "/urls", "x%2F"])
def test_neighbouring_paths_are_flasks(app: Flask, api: Api, checkpointed: str,
                                       suffix: str) -> None:
    path = f"/v1/uploads/{checkpointed}{suffix}"
    with flask_served(app) as seen:
        answer = api.get(path)
    assert len(seen) == 1
    assert answer.status_code in (404, 405) and "error" in answer.get_json()


def test_a_query_string_does_not_change_inspect(app: Flask, api: Api, checkpointed: str) -> None:
    path = f"/v1/uploads/{checkpointed}"
    with flask_served(app) as seen:
        answer = api.get(path + "?status=x")
    assert seen == [] and answer.data == flask_only(app).get(
        path, headers={"Authorization": f"Bearer {api.key}"}).data


def test_a_failing_read_is_answered_by_flasks_error_handling(
        app: Flask, api: Api, checkpointed: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = app.extensions["gateway"].engine
    with engine.begin() as conn:  # the table gone: every read of an upload now fails
        conn.execute(text("ALTER TABLE uploads RENAME TO uploads_away"))
    path = f"/v1/uploads/{checkpointed}"
    with caplog.at_level(logging.ERROR), flask_served(app) as seen:
        answer = api.client.get(path, headers={"Authorization": f"Bearer {api.key}",
                                               "X-Request-ID": "broken-db-1"})
    assert seen == [path]
    # sqlite3 calls a missing table an OperationalError (SQLAlchemy's reads say the same):
    # the outage handler's 503. PostgreSQL's UndefinedTable is a programming error: a 500.
    if engine.dialect.name == "sqlite":
        expected, logged = (503, "database_unavailable"), "database error: "
    else:
        expected, logged = (500, "internal_error"), "unhandled error"
    assert (answer.status_code, answer.get_json()["error"]) == expected
    assert answer.headers["X-Request-ID"] == "broken-db-1"
    assert any(r.getMessage().startswith(logged) for r in caplog.records)
