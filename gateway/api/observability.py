"""Per-request plumbing in Flask: request ids, Server-Timing, access logs, Prometheus metrics."""

from __future__ import annotations

from flask import Flask, Response, g, request

from gateway import metrics
from gateway.api.tracing import begin_request, end_request, finish_request
from gateway.storage.timing import add_store_observer


def install_request_hooks(app: Flask) -> None:
    """Tag every request with an id, report where its time went, count it; serve /metrics."""
    add_store_observer(metrics.observe_store_call)

    @app.before_request
    def _start() -> None:
        g.trace = begin_request(request.headers.get("X-Request-ID", ""))

    @app.after_request
    def _finish(response: Response) -> Response:
        trace = g.get("trace")
        if trace is None:
            return response
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        for name, value in finish_request(trace, request.method, route, request.path,
                                          response.status_code):
            response.headers[name] = value
        return response

    @app.teardown_request
    def _forget_request_id(_: BaseException | None) -> None:
        trace = g.pop("trace", None)
        if trace is not None:
            end_request(trace)

    @app.get("/metrics")
    def _metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, content_type=content_type)
