"""Per-request plumbing: request ids, Server-Timing, access logs and Prometheus metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from gateway import metrics
from gateway.logs import bind_request_id, reset_request_id
from gateway.storage.timing import add_store_observer, current_store_timer, start_store_timer

log = logging.getLogger("gateway.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def install_request_hooks(app: Flask) -> None:
    """Tag every request with an id, report where its time went, count it; serve /metrics."""
    add_store_observer(metrics.observe_store_call)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id_token = bind_request_id(g.request_id)
        g.started = time.perf_counter()
        start_store_timer()

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        total_ms = seconds * 1000
        timer = current_store_timer()
        store_ms = timer.seconds * 1000 if timer else 0.0
        response.headers["X-Request-ID"] = g.request_id
        response.headers["Server-Timing"] = (
            f"store;dur={store_ms:.2f};desc=\"object store\", app;dur={total_ms - store_ms:.2f}, "
            f"total;dur={total_ms:.2f}")
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, seconds)
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                 total_ms, extra={"request_id": g.request_id, "method": request.method,
                                  "path": request.path, "status": response.status_code,
                                  "duration_ms": round(total_ms, 2),
                                  "store_ms": round(store_ms, 2)})
        return response

    @app.teardown_request
    def _forget_request_id(_: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            reset_request_id(token)

    @app.get("/metrics")
    def _metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, content_type=content_type)
