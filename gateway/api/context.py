"""What views need from the running app: the wired services and the caller's tenant."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import Engine

from gateway.auth import KeyService
from gateway.config import Settings
from gateway.errors import UNAUTHORIZED, GatewayError
from gateway.storage.interface import ObjectStore
from gateway.uploads.completion import Completer
from gateway.uploads.files import FileService
from gateway.uploads.ingest import FileIngest
from gateway.uploads.janitor import Janitor, LeaseRepository
from gateway.uploads.ports import UploadRepository
from gateway.uploads.proxy import PartProxy
from gateway.uploads.service import UploadService


@dataclass(frozen=True)
class Services:
    """The use cases and adapters one app instance runs with."""

    settings: Settings
    repository: UploadRepository
    store: ObjectStore
    uploads: UploadService
    completer: Completer
    files: FileService
    keys: KeyService
    proxy: PartProxy
    ingest: FileIngest
    janitor: Janitor
    leases: LeaseRepository
    engine: Engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def services() -> Services:
    """The services of the current app."""
    found: Services = current_app.extensions["gateway"]
    return found


def tenant_id() -> str:
    """The tenant the request's API key belongs to (set by the auth hook)."""
    tenant: str | None = g.get("tenant_id")
    if tenant is None:
        raise GatewayError(UNAUTHORIZED, "an API key is required")
    return tenant
