"""The request plumbing both ways of answering share: ids, Server-Timing, Bearer keys, the route."""

from __future__ import annotations

import os
import re

import pytest
from flask import Flask

from gateway.api.auth import bearer_token
from gateway.api.fast_inspect import inspect_route
from gateway.api.tracing import begin_request, choose_request_id, end_request, server_timing
from gateway.logs import current_request_id


@pytest.mark.parametrize("incoming", ["abc-123", "a.b:c_d", "x" * 128])
def test_a_sane_client_request_id_is_kept(incoming: str) -> None:
    assert choose_request_id(incoming) == incoming


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, "new\nline", "é"])
def test_any_other_request_id_is_replaced_by_a_fresh_one(incoming: str) -> None:
    chosen = choose_request_id(incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", chosen) and chosen != choose_request_id(incoming)


def test_a_request_binds_its_id_to_logs_until_it_ends() -> None:
    assert current_request_id() is None
    trace = begin_request("trace-9")
    assert current_request_id() == "trace-9" == trace.request_id
    end_request(trace)
    assert current_request_id() is None


def test_server_timing_splits_store_and_app_time() -> None:
    assert server_timing(12.5, 2.25) == (
        'store;dur=2.25;desc="object store", app;dur=10.25, total;dur=12.50')


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer gwk_a_b", "gwk_a_b"), ("bearer  gwk_a_b ", "gwk_a_b"), ("BEARER x", "x"),
    ("", None), ("Bearer", None), ("Bearer   ", None), ("Basic dXNlcjpwdw==", None),
])
def test_bearer_token_reads_the_authorization_header(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def test_the_fast_path_refuses_an_app_where_inspect_is_shadowed() -> None:
    app = Flask(__name__)
    app.add_url_rule("/v1/uploads/<path:anything>", "elsewhere", lambda anything: "")
    with pytest.raises(RuntimeError, match="not to inspect"):
        inspect_route(app)


def test_forked_workers_generate_different_request_ids() -> None:
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # a gunicorn worker is forked the same way
        os.write(write_end, choose_request_id("").encode())
        os._exit(0)
    os.close(write_end)
    mine = choose_request_id("")
    os.waitpid(child, 0)
    theirs = os.read(read_end, 64).decode()
    os.close(read_end)
    assert re.fullmatch(r"[0-9a-f]{32}", theirs) and theirs != mine
