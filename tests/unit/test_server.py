"""gunicorn settings of `gateway serve`."""

from __future__ import annotations

import pytest

from gateway import server


@pytest.mark.parametrize(("cpus", "workers"), [(1, 2), (2, 4), (3, 6), (4, 8), (32, 8)])
def test_workers_follow_usable_cpus(monkeypatch: pytest.MonkeyPatch, cpus: int,
                                    workers: int) -> None:
    monkeypatch.setattr(server, "usable_cpus", lambda: cpus)
    assert server.default_workers() == workers


def test_usable_cpus_is_at_least_one_and_at_most_the_machine() -> None:
    import os

    assert 1 <= server.usable_cpus() <= (os.cpu_count() or 1)


def test_options_shut_down_gracefully_with_threads() -> None:
    options = server.gunicorn_options("0.0.0.0", 8000, None, 4, "INFO", "json")
    assert options["bind"] == "0.0.0.0:8000"
    assert options["worker_class"] == "gthread" and options["threads"] == 4
    assert options["workers"] == server.default_workers()
    assert options["graceful_timeout"] == 30
    assert options["accesslog"] is None
    assert options["reuse_port"] is True  # each worker its own socket: connections spread
    assert options["logconfig_dict"]["root"]["level"] == "INFO"


def test_a_port_something_listens_on_is_reported_taken() -> None:
    import socket

    with socket.socket() as listener:
        # As each gunicorn worker listens: a second server could share the port unasked.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert server.port_taken("127.0.0.1", port) == "Address already in use"
    assert server.port_taken("127.0.0.1", port) is None
    assert server.port_taken("no-such-host.invalid", 8000)
