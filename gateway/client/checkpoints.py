"""Part tokens sent to the gateway in batches from a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from gateway.client.checksum import crc32c_base64
from gateway.client.errors import ClientError
from gateway.client.http import ApiSession


class PartToken(NamedTuple):
    """The store's ETag for a part and, in a composite upload, the CRC32C it was sent with."""

    token: str
    crc32c: int | None


def part_claims(tokens: Mapping[int, PartToken]) -> list[dict[str, Any]]:
    """The `parts` of a checkpoint or complete request, in part order."""
    claims: list[dict[str, Any]] = []
    for number, (token, crc) in sorted(tokens.items()):
        claim: dict[str, Any] = {"part_number": number, "part_token": token}
        if crc is not None:
            claim["crc32c"] = crc32c_base64(crc)
        claims.append(claim)
    return claims


class Checkpointer:
    """Collects part tokens and checkpoints them when `every` wait or the oldest is `interval`
    seconds old, so an interrupted upload resumes without one API call per part."""

    def __init__(self, api: ApiSession, upload_id: str, every: int, interval: float) -> None:
        self._api = api
        self._path = f"/v1/uploads/{upload_id}/checkpoint"
        self._every = every
        self._interval = interval
        self._pending: dict[int, PartToken] = {}
        self._oldest = 0.0
        self._closing = False
        self._cond = threading.Condition()
        self.error: ClientError | None = None
        self.calls = 0
        self.parts_checkpointed = 0
        self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)
        self._thread.start()

    def add(self, part_number: int, token: str, crc32c: int | None = None) -> None:
        """A part is stored; its token (and the CRC32C it was sent with) will be checkpointed
        with the next batch."""
        with self._cond:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending[part_number] = PartToken(token, crc32c)
            if len(self._pending) >= self._every:
                self._cond.notify()

    def close(self, flush: bool) -> dict[int, PartToken]:
        """Stop; with flush, checkpoint what waits. The tokens not checkpointed, by part."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        with self._cond:
            pending, self._pending = self._pending, {}
        if flush and pending and self.error is None:
            self._send(pending)
            return {}
        return pending

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and not self._due():
                    timeout = None
                    if self._pending:
                        timeout = max(0.0, self._oldest + self._interval - time.monotonic())
                    self._cond.wait(timeout)
                if self._closing:
                    return
                batch, self._pending = self._pending, {}
            try:
                self._send(batch)
            except ClientError as exc:
                with self._cond:
                    self.error = exc
                    self._pending = {**batch, **self._pending}
                return

    def _due(self) -> bool:
        if not self._pending:
            return False
        return (len(self._pending) >= self._every
                or time.monotonic() - self._oldest >= self._interval)

    def _send(self, batch: dict[int, PartToken]) -> None:
        parts = part_claims(batch)
        self._api.call("POST", self._path, json={"parts": parts})
        self.calls += 1
        self.parts_checkpointed += len(parts)
