"""The uploader page is served without a key; the API answers CORS for allowed origins only."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from gateway.app import create_app
from gateway.config import Settings
from gateway.uploads.policy import utcnow

PAGE = "http://uploads.example"
PREFLIGHT = {"Origin": PAGE, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


def app_with_origins(settings: Settings, *origins: str) -> Flask:
    """The app with GATEWAY_CORS_ORIGINS set to these origins."""
    return create_app(settings.with_overrides(cors_origins=origins), migrate=True)


def fetch(app: Flask, path: str) -> TestResponse:
    """GET a path without a key, the file behind it read and closed."""
    with app.test_client().get(path) as response:
        response.get_data()
        return response


def test_the_page_and_its_scripts_need_no_key(app: Flask) -> None:
    page = fetch(app, "/web/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'<script type="module" src="app.js">' in page.data
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    for name in ("app.js", "upload.js", "parts.js", "checkpoints.js", "transfer.js", "api.js",
                 "crc32c.js", "resume.js"):
        script = fetch(app, f"/web/{name}")
        assert script.status_code == 200 and script.mimetype == "text/javascript", name
        assert b"http://" not in script.data and b"https://" not in script.data  # no CDN
    assert fetch(app, "/web/style.css").mimetype == "text/css"
    root = fetch(app, "/")
    assert root.status_code == 302 and root.headers["Location"] == "/web/"


def test_unknown_page_files_are_json_404s(app: Flask) -> None:
    for path in ("/web/nothing.js", "/web/../app.py"):
        response = fetch(app, path)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_preflight_from_an_allowed_origin(settings: Settings) -> None:
    client = app_with_origins(settings, PAGE, "http://other.example").test_client()
    response = client.options("/v1/uploads", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("origins", [(), ("http://other.example",)])
def test_preflight_from_another_origin_is_a_json_403(settings: Settings,
                                                    origins: tuple[str, ...]) -> None:
    client = app_with_origins(settings, *origins).test_client()
    response = client.options("/v1/uploads/abc/complete", headers=PREFLIGHT)
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "origin_not_allowed" and "GATEWAY_CORS_ORIGINS" in body["message"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_answers_to_an_allowed_origin_are_readable_by_its_scripts(settings: Settings) -> None:
    app = app_with_origins(settings, PAGE)
    client = app.test_client()
    _, key = app.extensions["gateway"].keys.create_key("tenant-cors", utcnow())
    ok = client.get("/v1/uploads", headers={"Origin": PAGE, "Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == PAGE
    assert "X-Request-ID" in ok.headers["Access-Control-Expose-Headers"]
    # Errors too, so the page can show the gateway's message.
    denied = client.get("/v1/uploads", headers={"Origin": PAGE})
    assert denied.status_code == 401 and denied.headers["Access-Control-Allow-Origin"] == PAGE
    stranger = client.get("/v1/uploads", headers={"Origin": "http://evil.example",
                                                  "Authorization": f"Bearer {key}"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_a_wildcard_allows_every_origin(settings: Settings) -> None:
    client = app_with_origins(settings, "*").test_client()
    response = client.options("/v1/uploads", headers=PREFLIGHT)
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == "*"


def test_same_origin_options_without_preflight_headers_is_left_alone(app: Flask) -> None:
    response = app.test_client().options("/v1/uploads")
    assert response.status_code == 200 and "POST" in response.headers["Allow"]
