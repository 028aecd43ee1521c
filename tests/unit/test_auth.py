"""API keys: format, hashing, verification and revocation (with an in-memory repository)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from gateway.auth import KeyService, StoredKey, hash_secret, split_token

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class MemoryKeys:
    """A KeyRepository in a dict (unit tests do no I/O)."""

    def __init__(self) -> None:
        self.tenants: dict[str, str] = {}
        self.keys: dict[str, StoredKey] = {}

    def ensure_tenant(self, name: str, now: datetime) -> str:
        return self.tenants.setdefault(name, f"tenant-{len(self.tenants)}")

    def add_key(self, key_id: str, tenant_id: str, secret_hash: str, label: str | None,
                now: datetime) -> None:
        name = next(n for n, t in self.tenants.items() if t == tenant_id)
        self.keys[key_id] = StoredKey(key_id, tenant_id, name, secret_hash, label, now, None)

    def get_key(self, key_id: str) -> StoredKey | None:
        return self.keys.get(key_id)

    def list_keys(self) -> list[StoredKey]:
        return list(self.keys.values())

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        key = self.keys.get(key_id)
        if key is None or key.revoked_at is not None:
            return False
        self.keys[key_id] = replace(key, revoked_at=now)
        return True


def test_only_the_hash_is_stored_and_the_token_authenticates() -> None:
    repo = MemoryKeys()
    service = KeyService(repo)
    key_id, token = service.create_key("acme", NOW)
    stored = repo.keys[key_id]
    assert token not in stored.secret_hash and stored.secret_hash == hash_secret(
        token.split("_", 2)[2])
    assert service.authenticate(token) == repo.tenants["acme"]


def test_wrong_secret_unknown_id_and_revoked_key_fail() -> None:
    service = KeyService(MemoryKeys())
    key_id, token = service.create_key("acme", NOW)
    assert service.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert service.authenticate(f"gwk_{'0' * 16}_{token.split('_', 2)[2]}") is None
    assert service.revoke(key_id, NOW)
    assert not service.revoke(key_id, NOW)
    assert service.authenticate(token) is None


def test_keys_of_one_tenant_share_it() -> None:
    repo = MemoryKeys()
    service = KeyService(repo)
    _, first = service.create_key("acme", NOW)
    _, second = service.create_key("acme", NOW)
    assert first != second and service.authenticate(first) == service.authenticate(second)


def test_token_shape() -> None:
    assert split_token("gwk_abc_def_ghi") == ("abc", "def_ghi")
    for bad in ("", "gwk", "gwk__x", "gwk_x_", "xyz_abc_def", "gwk_abc"):
        assert split_token(bad) is None


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingKeys(MemoryKeys):
    """Counts key reads, to see what the cache saves."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_key(self, key_id: str) -> StoredKey | None:
        self.reads += 1
        return super().get_key(key_id)


def test_cache_saves_reads_until_it_lapses() -> None:
    repo, clock = CountingKeys(), Clock()
    service = KeyService(repo, cache_seconds=1, clock=clock)
    _, token = service.create_key("acme", NOW)
    assert [service.authenticate(token) for _ in range(5)] == [repo.tenants["acme"]] * 5
    assert repo.reads == 1
    clock.now += 1.5
    assert service.authenticate(token) == repo.tenants["acme"] and repo.reads == 2


def test_revocation_elsewhere_lands_when_the_cache_lapses() -> None:
    repo, clock = CountingKeys(), Clock()
    serving = KeyService(repo, cache_seconds=1, clock=clock)
    operator = KeyService(repo)  # `gateway keys revoke` in another process
    key_id, token = operator.create_key("acme", NOW)
    assert serving.authenticate(token) is not None
    assert operator.revoke(key_id, NOW)
    clock.now += 1.01
    assert serving.authenticate(token) is None


def test_revocation_in_the_same_process_is_immediate_and_failures_are_not_cached() -> None:
    repo, clock = CountingKeys(), Clock()
    service = KeyService(repo, cache_seconds=60, clock=clock)
    key_id, token = service.create_key("acme", NOW)
    assert service.authenticate(token) is not None
    assert service.revoke(key_id, NOW)
    assert service.authenticate(token) is None
    reads = repo.reads
    assert service.authenticate(token) is None and repo.reads == reads + 1


def test_no_cache_by_default() -> None:
    repo = CountingKeys()
    service = KeyService(repo)
    _, token = service.create_key("acme", NOW)
    service.authenticate(token)
    service.authenticate(token)
    assert repo.reads == 2
