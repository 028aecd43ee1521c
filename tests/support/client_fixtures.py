"""Fixtures for SDK tests: the gateway served over HTTP with a store proxy as its public S3."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.app import create_app
from gateway.client import GatewayClient, TransferConfig
from gateway.config import Settings
from gateway.uploads.policy import utcnow
from tests.support.s3server import S3Endpoint
from tests.support.served_app import ServedApp, serve_app
from tests.support.store_proxy import StoreProxy, store_proxy

GATEWAY_URL_TTL = 300  # the served gateway signs URLs for five minutes unless asked otherwise


@dataclass
class ClientRig:
    """A served gateway, a tenant key, the store proxy its URLs point to."""

    served: ServedApp
    key: str
    proxy: StoreProxy

    def client(self, **config: Any) -> GatewayClient:
        """An SDK client with quick retries (tests need not wait seconds between tries)."""
        defaults: dict[str, Any] = {"backoff_base": 0.01, "backoff_max": 0.05,
                                    "concurrency": 4}
        return GatewayClient(self.served.url, self.key,
                             TransferConfig(**{**defaults, **config}))


@pytest.fixture
def proxy(s3: S3Endpoint) -> Iterator[StoreProxy]:
    """A store proxy in front of the session's S3 server."""
    with store_proxy(s3.url) as running:
        yield running


@pytest.fixture
def rig(settings: Settings, proxy: StoreProxy) -> Iterator[ClientRig]:
    """The gateway served over HTTP, signing URLs for the proxy, with tenant A's key."""
    app = create_app(settings.with_overrides(s3_public_endpoint_url=proxy.url,
                                             url_ttl=GATEWAY_URL_TTL), migrate=True)
    _, key = app.extensions["gateway"].keys.create_key("tenant-a", utcnow())
    with serve_app(app) as served:
        yield ClientRig(served, str(key), proxy)
