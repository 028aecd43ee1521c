"""The one place every error becomes the API's JSON error body."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from gateway.errors import (
    DATABASE_UNAVAILABLE,
    INTERNAL,
    RANGE_NOT_SATISFIABLE,
    GatewayError,
    error_body,
)

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "too_many_requests",
}


class GatewayApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with our error body for every HTTP error."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Render werkzeug/webargs errors (404 routes, 405, 422 validation) in our shape."""
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        message = HTTPStatus(status).description
        if status == 422 and messages:
            message = "the request is invalid: " + _flatten(messages)
        elif error.description and not isinstance(error.description, dict):
            message = str(error.description)
        body = error_body(status, _HTTP_CODES.get(status, "http_error"), message,
                          errors=messages)
        response = jsonify(body)
        response.status_code = status
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            if key in ("json", "query", "form", "files", "headers", "path") and not prefix:
                parts.append(_flatten(value))
            else:
                parts.append(_flatten(value, f"{prefix}{key}: " if not prefix
                                      else f"{prefix[:-2]}.{key}: "))
        return "; ".join(p for p in parts if p)
    if isinstance(messages, list):
        return prefix + " ".join(str(m) if not isinstance(m, dict | list) else _flatten(m)
                                 for m in messages)
    return f"{prefix}{messages}"


def render_gateway_error(error: GatewayError) -> Response:
    """A named domain error as JSON, with Retry-After on retryable 5xx answers."""
    kind = error.kind
    response = jsonify(error_body(kind.status, kind.code, error.message,
                                  details=error.details, retryable=kind.retryable))
    response.status_code = kind.status
    if kind.retryable and kind.status >= 500:
        response.headers["Retry-After"] = "2"
    if kind is RANGE_NOT_SATISFIABLE:  # RFC 9110: a 416 names the representation's length
        response.headers["Content-Range"] = f"bytes */{error.details.get('size', '*')}"
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for our errors, database outages and anything unexpected."""
    app.register_error_handler(GatewayError, render_gateway_error)

    @app.errorhandler(OperationalError)
    def _database_down(error: OperationalError) -> Response:
        log.error("database error: %s", error)
        return render_gateway_error(GatewayError(DATABASE_UNAVAILABLE,
                                                 "the database is unavailable; retry"))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return error
        log.exception("unhandled error")
        response = jsonify(error_body(INTERNAL.status, INTERNAL.code,
                                      "an internal error occurred; it has been logged"))
        response.status_code = 500
        return response
