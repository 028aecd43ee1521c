"""Client settings: where the gateway is, which key to use, and how to transfer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.client.errors import UsageError

CHECKSUM_TYPES = ("composite", "full_object")


@dataclass(frozen=True)
class TransferConfig:
    """How uploads and downloads behave; the defaults suit a laptop and a backend service.

    concurrency: parts in flight at once; memory stays within concurrency x part size.
    checkpoint_every / checkpoint_interval: part tokens are sent to the gateway in batches,
        when this many are waiting or the oldest has waited this many seconds.
    max_attempts: tries of one request on transient failures (connection errors, timeouts,
        5xx, 429), with exponential backoff and full jitter between backoff_base and
        backoff_max seconds.
    url_ttl: lifetime asked for when re-signing part URLs (None: the gateway's default).
    url_refresh_margin: a part URL that expires sooner than this is re-signed before use.
    max_url_refreshes: how often one part may be re-signed after the store refused it (403).
    checksum_type: "composite" (each part is signed and sent with its CRC32C, which the store
        checks, and complete cheaply combines them) or "full_object" (parts carry no checksum;
        the store checksums the whole object). The gateway may answer full_object anyway.
    """

    concurrency: int = 8
    checkpoint_every: int = 32
    checkpoint_interval: float = 5.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    url_ttl: int | None = None
    url_refresh_margin: float = 60.0
    max_url_refreshes: int = 3
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    complete_timeout: float = 900.0
    checksum_type: str = "composite"

    def __post_init__(self) -> None:
        if self.checksum_type not in CHECKSUM_TYPES:
            raise UsageError(f"checksum_type must be one of {', '.join(CHECKSUM_TYPES)}")
        if self.concurrency < 1:
            raise UsageError("concurrency must be at least 1")
        if self.max_attempts < 1:
            raise UsageError("max_attempts must be at least 1")
        if self.checkpoint_every < 1:
            raise UsageError("checkpoint_every must be at least 1")


@dataclass(frozen=True)
class Endpoint:
    """A gateway's base URL and the API key to call it with."""

    url: str
    api_key: str


def resolve_endpoint(url: str | None = None, api_key: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Endpoint:
    """The URL and key given, else GATEWAY_URL and GATEWAY_API_KEY; checked for shape."""
    env = os.environ if environ is None else environ
    url = url or env.get("GATEWAY_URL") or ""
    api_key = api_key or env.get("GATEWAY_API_KEY") or ""
    if not url:
        raise UsageError("no gateway URL: set GATEWAY_URL or pass --url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the gateway URL must look like http://host:port, not {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise UsageError(f"the gateway URL has a bad port: {url!r}") from exc
    if not api_key:
        raise UsageError("no API key: set GATEWAY_API_KEY or pass --api-key")
    if any(c.isspace() for c in api_key):
        raise UsageError("the API key must not contain spaces")
    return Endpoint(url.rstrip("/"), api_key)
