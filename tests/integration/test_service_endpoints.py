"""Probes and docs: /health, /ready, /openapi.json, /docs, request ids and Server-Timing."""

from __future__ import annotations

from flask import Flask

from gateway.config import Settings


def test_health_and_ready_need_no_key(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.get_json()["store"] == "ok"


def test_ready_is_503_when_the_store_is_down(settings: Settings) -> None:
    from gateway.app import create_app

    app = create_app(settings.with_overrides(s3_endpoint_url="http://127.0.0.1:9"),
                     migrate=True)
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["error"] == "store_unavailable"
    assert response.get_json()["retryable"] is True and response.headers["Retry-After"]


def test_openapi_document_lists_the_native_api(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/v1/uploads", "/v1/uploads/{upload_id}", "/v1/uploads/{upload_id}/urls",
                 "/v1/uploads/{upload_id}/checkpoint", "/v1/uploads/{upload_id}/complete",
                 "/v1/uploads/{upload_id}/abort", "/v1/files", "/v1/files/{file_id}/content",
                 "/health", "/ready"):
        assert path in paths, path
    assert paths["/v1/uploads"]["post"]["summary"].startswith("Initiate")
    assert "PartUrl" in spec["components"]["schemas"]
    assert spec["security"] == [{"bearerAuth": []}]
    assert paths["/health"]["get"]["security"] == [] and paths["/ready"]["get"]["security"] == []


def test_docs_page_and_its_assets_are_served_locally(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200 and b"/docs/static/swagger-ui-bundle.js" in page.data
    asset = client.get("/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data
    asset.close()


def test_request_id_is_echoed_and_timing_reported(app: Flask) -> None:
    response = app.test_client().get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert "total;dur=" in response.headers["Server-Timing"]
