"""CORS for the gateway's own API: preflights answered and responses tagged for allowed origins.

The uploader page served by the gateway calls the API from its own origin and needs none
of this; it is for pages hosted elsewhere (GATEWAY_CORS_ORIGINS). With no origins
configured the API stays same-origin only: cross-origin preflights get a 403.
"""

from __future__ import annotations

from flask import Flask, Response, request

from gateway.errors import ORIGIN_NOT_ALLOWED, GatewayError

ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-ID"
EXPOSED_HEADERS = "X-Request-ID, Server-Timing, Retry-After"
PREFLIGHT_MAX_AGE = "600"
# Answers differ by Origin (CORS headers or none), so every answer says so to caches.
VARY = "Origin"


class CorsPolicy:
    """Which origins may call the API from a browser."""

    def __init__(self, origins: tuple[str, ...]) -> None:
        self._origins = frozenset(o.rstrip("/") for o in origins)
        self._any = "*" in self._origins

    def allows(self, origin: str) -> bool:
        """Whether a page on `origin` may call the API."""
        return self._any or origin in self._origins

    def allow_origin_value(self, origin: str) -> str:
        """The Access-Control-Allow-Origin value for an allowed origin."""
        # API keys travel in a header, never in cookies, so '*' is safe when configured.
        return "*" if self._any else origin


def install_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """Answer CORS preflights and tag cross-origin responses for the allowed origins."""
    policy = CorsPolicy(origins)

    @app.before_request
    def _preflight() -> Response | None:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        origin = request.headers.get("Origin", "")
        if not origin or not policy.allows(origin):
            raise GatewayError(
                ORIGIN_NOT_ALLOWED,
                f"origin {origin or '(none)'} may not call this API from a browser; "
                "add it to GATEWAY_CORS_ORIGINS", origin=origin)
        response = app.response_class(status=204)
        response.headers["Access-Control-Allow-Origin"] = policy.allow_origin_value(origin)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    @app.after_request
    def _tag(response: Response) -> Response:
        _vary_on_origin(response)
        origin = request.headers.get("Origin", "")
        if origin and policy.allows(origin):
            response.headers["Access-Control-Allow-Origin"] = policy.allow_origin_value(origin)
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response


def _vary_on_origin(response: Response) -> None:
    # Written by hand: werkzeug's response.vary set re-parses and re-renders the header.
    vary = response.headers.get("Vary")
    if vary is None:
        response.headers["Vary"] = VARY
    elif VARY.lower() not in {item.strip().lower() for item in vary.split(",")}:
        response.headers["Vary"] = f"{vary}, {VARY}"
