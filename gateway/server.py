"""`gateway serve`: migrate, then run the app under gunicorn (threads, graceful shutdown).

The master forks workers sized to the CPUs this process may use. Each worker builds its
own app, reports metrics through a shared multiprocess directory, and runs the periodic
janitor (a database lease keeps it to one pass per interval across every replica). SIGTERM
stops accepting connections and lets requests in flight finish (up to 30 s).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from gateway.config import Settings

GRACEFUL_SECONDS = 30
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # not imported from gateway.metrics: see below
_OPTIONAL = {"control_socket_disable"}


class WsgiServer(BaseApplication):  # type: ignore[misc]
    """gunicorn configured in code, loading the app inside each worker."""

    def __init__(self, load_app: Callable[[], Any], options: dict[str, Any]) -> None:
        self._load_app = load_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's config."""
        for key, value in self._options.items():
            if key in _OPTIONAL and key not in self.cfg.settings:
                continue  # a setting of newer gunicorn releases only
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the WSGI app inside the worker."""
        return self._load_app()


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by a cgroup CPU quota if any."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:  # cgroup v2: "<quota> <period>" or "max ..."
            quota, period = f.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def default_workers() -> int:
    """Two workers per usable CPU, between 2 and 8 (each has several threads)."""
    return max(2, min(8, 2 * usable_cpus()))


class AppLogsRequests(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger minus its access log: the app logs every request, with its id.

    With a logging config set, gunicorn formats an access record for every request even
    when nothing prints it; this skips that work."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Nothing: see the app's own access log."""


def gunicorn_options(host: str, port: int, workers: int | None, threads: int,
                     log_level: str = "INFO", log_format: str = "json") -> dict[str, Any]:
    """The server settings `gateway serve` uses (the benchmark's baseline app shares them)."""
    from gateway.logs import logging_config

    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 300,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5,
        # Each worker listens on its own SO_REUSEPORT socket and the kernel spreads new
        # connections over them. On one shared socket, whichever worker wakes first accepts a
        # burst: 16 keep-alive clients were seen split 15 to 1, one worker (one GIL, one core)
        # then serving nearly all of them. `serve` checks the port is free first, as a second
        # server on it would otherwise be handed half the connections.
        "reuse_port": True,
        "accesslog": None,  # the app logs each request itself, with its id
        "logger_class": AppLogsRequests,
        "loglevel": log_level.lower(),
        "logconfig_dict": logging_config(log_level, log_format),
        # gunicorn 24+ opens a control socket under $HOME; a container needs none.
        "control_socket_disable": True,
    }
    if os.path.isdir("/dev/shm"):
        options["worker_tmp_dir"] = "/dev/shm"  # heartbeats off a possibly slow disk
    return options


def serve(settings: Settings, host: str, port: int, workers: int | None, threads: int) -> int:
    """Bring the schema up to date once, then serve until SIGTERM (graceful) or SIGINT."""
    from gateway.db.engine import make_engine
    from gateway.db.migrate import upgrade
    from gateway.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    taken = port_taken(host, port)
    if taken:
        print(f"gateway: cannot serve on {host}:{port}: {taken}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    options = gunicorn_options(host, port, workers, threads, settings.log_level,
                               settings.log_format)
    options.update(post_worker_init=_start_janitor(settings.janitor_interval),
                   worker_exit=_stop_janitor, child_exit=_forget_worker_metrics)
    with metrics_directory():
        WsgiServer(lambda: _create_app(settings), options).run()
    return 0


def port_taken(host: str, port: int) -> str | None:
    """Why (host, port) cannot be listened on, or None: a probe bound without SO_REUSEPORT
    fails even where another server listens with it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return str(exc)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


@contextmanager
def metrics_directory() -> Iterator[str]:
    """PROMETHEUS_MULTIPROC_DIR for this server's workers: the operator's, emptied, or a new one.

    Set before anything imports prometheus_client, which reads it at import time; so the
    master imports no metrics module before this.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):  # samples of a previous run would be summed in
            if name.endswith(".db"):
                os.remove(os.path.join(given, name))
        yield given
        return
    made = tempfile.mkdtemp(prefix="gateway-metrics-")
    os.environ[MULTIPROC_ENV] = made
    owner = os.getpid()
    try:
        yield made
    finally:
        # Workers are forked inside this block and leave through it too: only the master,
        # last to go, may remove the directory.
        if os.getpid() == owner:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(made, ignore_errors=True)


def _create_app(settings: Settings) -> Any:
    from gateway.app import create_app

    return create_app(settings)


def _start_janitor(interval: int) -> Callable[[Any], None]:
    def post_worker_init(worker: Any) -> None:
        if interval <= 0:
            return
        from gateway.uploads.janitor import PeriodicJanitor

        services = worker.wsgi.extensions["gateway"]
        worker.gateway_janitor = PeriodicJanitor(services.janitor, services.leases,
                                                 services.uploads, interval)
        worker.gateway_janitor.start()
    return post_worker_init


def _stop_janitor(_server: Any, worker: Any) -> None:
    janitor = getattr(worker, "gateway_janitor", None)
    if janitor is not None:
        janitor.stop()


def _forget_worker_metrics(_server: Any, worker: Any) -> None:
    # prometheus_client.multiprocess defines no metrics, so the master may import it now.
    from prometheus_client import multiprocess

    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
