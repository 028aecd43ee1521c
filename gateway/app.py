"""The application factory: settings, database, store, services, blueprints, error handling."""

from __future__ import annotations

import os

from flask import Flask, send_from_directory
from werkzeug.wrappers import Response

from gateway.api import files, health, uploads, web
from gateway.api.context import Services
from gateway.api.cors import install_cors
from gateway.api.error_handlers import GatewayApi, register_error_handlers
from gateway.api.fast_inspect import install_inspect_fast_path
from gateway.api.observability import install_request_hooks
from gateway.auth import KeyService
from gateway.config import Settings
from gateway.db.engine import make_engine
from gateway.db.keys import SqlKeyRepository
from gateway.db.leases import SqlLeaseRepository
from gateway.db.migrate import upgrade
from gateway.db.repository import SqlUploadRepository
from gateway.metrics import MetricsEvents
from gateway.storage.s3 import S3ObjectStore
from gateway.uploads.completion import Completer
from gateway.uploads.files import FileService
from gateway.uploads.ingest import FileIngest
from gateway.uploads.janitor import Janitor
from gateway.uploads.policy import UploadPolicy
from gateway.uploads.proxy import PartProxy
from gateway.uploads.service import UploadService


def build_services(settings: Settings, *, migrate: bool = False) -> Services:
    """Wire the adapters and use cases for these settings (no Flask involved)."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    repository = SqlUploadRepository(engine)
    store = S3ObjectStore(
        bucket=settings.s3_bucket, region=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        public_endpoint_url=settings.s3_public_endpoint_url,
        addressing_style=settings.s3_addressing_style,
        full_object_crc32c=settings.s3_full_object_crc32c,
    )
    policy = UploadPolicy.from_settings(settings)
    upload_service = UploadService(repository, store, policy, events=MetricsEvents())
    return Services(
        settings=settings, repository=repository, store=store, uploads=upload_service,
        completer=Completer(upload_service), files=FileService(repository, store, policy),
        keys=KeyService(SqlKeyRepository(engine), settings.api_key_cache_ttl),
        proxy=PartProxy(upload_service),
        ingest=FileIngest(repository, store, policy, events=upload_service.events),
        janitor=Janitor(upload_service),
        leases=SqlLeaseRepository(engine), engine=engine,
    )


def create_app(settings: Settings | None = None, *, migrate: bool = False) -> Flask:
    """Create the Flask app; `migrate=True` brings the database schema up to date first."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        API_TITLE="S3 upload gateway",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}]},
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["gateway"] = build_services(settings, migrate=migrate)
    api = GatewayApi(app)
    for blueprint in (health.blp, uploads.blp, files.blp):
        api.register_blueprint(blueprint)
    api.spec.components.schema("PartUrl", schema=_part_url_schema())
    app.register_blueprint(web.blp)  # a plain blueprint: the page is not part of the API
    api.spec.components.schema("FileForm", schema=_file_form_schema())
    register_error_handlers(app)
    install_request_hooks(app)
    install_cors(app, settings.cors_origins)
    _serve_docs_assets(app)
    install_inspect_fast_path(app)
    return app


def _part_url_schema() -> type:
    from gateway.api.schemas import PartUrlSchema

    return PartUrlSchema


def _file_form_schema() -> type:
    from gateway.api.schemas import FileFormSchema

    return FileFormSchema


def _serve_docs_assets(app: Flask) -> None:
    """Swagger UI's files from the installed package: /docs works with no internet."""
    import flask_swagger_ui

    assets = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")

    @app.get("/docs/static/<path:filename>")
    def _docs_asset(filename: str) -> Response:
        return send_from_directory(assets, filename)
