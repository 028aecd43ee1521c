"""Bearer API key authentication for everything under /v1."""

from __future__ import annotations

from flask import g, request

from gateway.api.context import services
from gateway.errors import UNAUTHORIZED, GatewayError


def require_api_key() -> None:
    """before_request hook: resolve `Authorization: Bearer <key>` to a tenant or answer 401."""
    if request.method == "OPTIONS":
        return  # CORS preflights carry no credentials
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(UNAUTHORIZED, "send an API key as 'Authorization: Bearer <key>'")
    tenant = services().keys.authenticate(token.strip())
    if tenant is None:
        raise GatewayError(UNAUTHORIZED, "the API key is unknown or revoked")
    g.tenant_id = tenant
