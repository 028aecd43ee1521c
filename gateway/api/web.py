"""The browser uploader: static files from gateway/web, served without an API key."""

from __future__ import annotations

import os

from flask import Blueprint, redirect, send_from_directory
from werkzeug.wrappers import Response

WEB_ROOT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "web")
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
# Parts go to the bucket's origin, which the page only learns from presigned URLs,
# so connect-src stays open; everything the page itself runs comes from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src *; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

blp = Blueprint("web", __name__)


@blp.get("/")
def home() -> Response:
    """The root leads to the uploader page."""
    return redirect("/web/", code=302)


@blp.get("/web/")
def page() -> Response:
    """The uploader page."""
    return asset("index.html")


@blp.get("/web/<path:filename>")
def asset(filename: str) -> Response:
    """A file of the page (scripts, styles), never cached stale."""
    response = send_from_directory(WEB_ROOT, filename, max_age=0)
    extension = os.path.splitext(filename)[1]
    if extension in _TYPES:
        response.mimetype = _TYPES[extension]
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
