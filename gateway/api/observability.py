"""Per-request plumbing: request ids, Server-Timing (total and object-store time), logging."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from gateway.storage.timing import current_store_timer, start_store_timer

log = logging.getLogger("gateway.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def install_request_hooks(app: Flask) -> None:
    """Tag every request with an id and report where its time went."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        start_store_timer()

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("started")
        if started is None:
            return response
        total_ms = (time.perf_counter() - started) * 1000
        timer = current_store_timer()
        store_ms = timer.seconds * 1000 if timer else 0.0
        response.headers["X-Request-ID"] = g.request_id
        response.headers["Server-Timing"] = (
            f"store;dur={store_ms:.2f};desc=\"object store\", app;dur={total_ms - store_ms:.2f}, "
            f"total;dur={total_ms:.2f}")
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                 total_ms, extra={"request_id": g.request_id})
        return response
