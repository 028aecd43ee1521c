"""API keys: issued once in plain text, stored only as a hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

KEY_PREFIX = "gwk"
_CACHE_LIMIT = 10_000
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class StoredKey:
    """An API key as the database holds it: never the secret itself."""

    id: str
    tenant_id: str
    tenant_name: str
    secret_hash: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyRepository(Protocol):
    """Persistence of tenants and their keys."""

    def ensure_tenant(self, name: str, now: datetime) -> str:
        """The tenant's id, creating the tenant if new."""

    def add_key(self, key_id: str, tenant_id: str, secret_hash: str, label: str | None,
                now: datetime) -> None:
        """Store a key's hash."""

    def get_key(self, key_id: str) -> StoredKey | None:
        """A key by id, revoked or not."""

    def list_keys(self) -> list[StoredKey]:
        """All keys, newest first."""

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        """Mark a key revoked; False if unknown or already revoked."""


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret: keys are 256-bit random, so a slow hash buys nothing."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (key_id, secret, the full token clients send)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}_{key_id}_{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    """The (key_id, secret) of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyService:
    """Issue, list, revoke and verify API keys.

    Successful lookups are remembered for `cache_seconds` (0: never), so a busy gateway
    does not read the key table on every request; a revoked key therefore stops working
    within that time on every replica (at once in the process that revoked it).
    """

    def __init__(self, repository: KeyRepository, cache_seconds: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._repository = repository
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[str, str, float]] = {}

    def create_key(self, tenant_name: str, now: datetime, label: str | None = None
                   ) -> tuple[str, str]:
        """Create a key for the tenant (created if new); returns (key_id, token)."""
        tenant_id = self._repository.ensure_tenant(tenant_name, now)
        key_id, secret, token = new_api_key()
        self._repository.add_key(key_id, tenant_id, hash_secret(secret), label, now)
        return key_id, token

    def list_keys(self) -> list[StoredKey]:
        """Every key, without secrets."""
        return self._repository.list_keys()

    def revoke(self, key_id: str, now: datetime) -> bool:
        """Revoke a key (and forget it here at once)."""
        for digest, (cached_key_id, _, _) in list(self._cache.items()):
            if cached_key_id == key_id:
                self._cache.pop(digest, None)
        return self._repository.revoke_key(key_id, now)

    def authenticate(self, token: str) -> str | None:
        """The tenant id a valid, unrevoked token belongs to, else None."""
        digest = hash_secret(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[2] > self._clock():
            return cached[1]
        parsed = split_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        stored = self._repository.get_key(key_id)
        expected = stored.secret_hash if stored is not None else _DUMMY_HASH
        # Compare even for unknown ids so timing does not reveal which ids exist.
        matches = hmac.compare_digest(expected, hash_secret(secret))
        if stored is None or not matches or stored.revoked_at is not None:
            return None
        if self._cache_seconds > 0:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()  # crude but bounded; refilled by the next lookups
            self._cache[digest] = (key_id, stored.tenant_id,
                                   self._clock() + self._cache_seconds)
        return stored.tenant_id
