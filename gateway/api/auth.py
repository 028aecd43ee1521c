"""Bearer API key authentication for everything under /v1."""

from __future__ import annotations

from flask import g, request

from gateway.api.context import services
from gateway.errors import UNAUTHORIZED, GatewayError


def bearer_token(header: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header value, else None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_api_key() -> None:
    """before_request hook: resolve `Authorization: Bearer <key>` to a tenant or answer 401."""
    if request.method == "OPTIONS":
        return  # CORS preflights carry no credentials
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        raise GatewayError(UNAUTHORIZED, "send an API key as 'Authorization: Bearer <key>'")
    tenant = services().keys.authenticate(token)
    if tenant is None:
        raise GatewayError(UNAUTHORIZED, "the API key is unknown or revoked")
    g.tenant_id = tenant
