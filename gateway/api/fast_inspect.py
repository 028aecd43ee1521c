"""Inspect's happy path, answered in a small WSGI layer in front of the Flask app.

Under load, inspect spent more CPU in Flask's request machinery (the request context, URL
matching, hooks, flask-smorest's response wrapper) than in its own work. This layer answers
`GET /v1/uploads/<id>` carrying a Bearer key and no Origin header itself, with the same key
check, service call and presenter as the Flask view and the same request accounting as the
Flask hooks (gateway.api.tracing). Everything else, and any inspect that would not be a 200
(a missing, unknown or revoked key, an unknown upload, database trouble), goes to the Flask
app untouched, which answers it as it always has: errors keep their one rendering place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask

from gateway.api.auth import bearer_token
from gateway.api.context import Services
from gateway.api.cors import VARY
from gateway.api.tracing import RequestTrace, begin_request, end_request, finish_request
from gateway.api.uploads import UploadById, inspect_json

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Upload ids are UUIDs; any other spelling is left to Flask's router (and its 404).
_INSPECT_PATH = re.compile(r"/v1/uploads/([0-9A-Za-z-]{1,64})")
_SAMPLE_PATH = "/v1/uploads/00000000-0000-0000-0000-000000000000"


class InspectFastPath:
    """WSGI middleware: serve inspect's 200 answers directly, hand the rest to `delegate`."""

    def __init__(self, app: Flask, delegate: WSGIApplication) -> None:
        self.delegate = delegate
        self._services: Services = app.extensions["gateway"]
        self._route = inspect_route(app)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        """Answer a served inspect, or pass the request on unchanged."""
        path = environ.get("PATH_INFO", "")
        match = _INSPECT_PATH.fullmatch(path)
        token = bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        if (match is None or token is None or environ.get("REQUEST_METHOD") != "GET"
                or "HTTP_ORIGIN" in environ):
            return self.delegate(environ, start_response)
        trace = begin_request(environ.get("HTTP_X_REQUEST_ID", ""))
        try:
            body = self._inspect(token, match.group(1))
            headers = [] if body is None else self._headers(trace, path, len(body))
        finally:
            end_request(trace)
        if body is None:
            return self.delegate(environ, start_response)
        start_response("200 OK", headers)
        return [body]

    def _inspect(self, token: str, upload_id: str) -> bytes | None:
        """Inspect's body for a valid key and a found upload, else None (Flask's case)."""
        try:
            tenant = self._services.keys.authenticate(token)
            if tenant is None:
                return None
            return inspect_json(self._services, tenant, upload_id).encode()
        except Exception:  # Flask runs it again and renders the error in its one place
            return None

    def _headers(self, trace: RequestTrace, path: str, length: int) -> list[tuple[str, str]]:
        """The headers the Flask path sends with a 200, the request counted and logged."""
        headers = [("Content-Type", "application/json"), ("Content-Length", str(length)),
                   ("Vary", VARY)]
        return headers + finish_request(trace, "GET", self._route, path, 200)


def inspect_route(app: Flask) -> str:
    """The URL rule of the inspect view, the route label its requests are counted under.

    Checked against the app's own router, so a route added in front of inspect's fails
    here at start-up rather than being shadowed by the fast path.
    """
    rule, _ = app.url_map.bind("localhost").match(_SAMPLE_PATH, "GET", return_rule=True)
    if rule.endpoint != f"uploads.{UploadById.__name__}":
        raise RuntimeError(f"{_SAMPLE_PATH} is routed to {rule.endpoint}, not to inspect")
    return str(rule.rule)


def install_inspect_fast_path(app: Flask) -> None:
    """Put the fast path in front of the app's WSGI callable (after every route is added)."""
    app.wsgi_app = InspectFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
