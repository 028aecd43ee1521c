"""Presigned part URLs: signed in batches, shortly before they expire or when refused.

Several workers may need URLs at once. A worker whose part is being signed by another
worker's request waits for that request; one whose part is not starts a request of its own
for it and for the other parts due soon that nobody is signing. The lock is never held
across a request, so requests overlap and one slow answer does not stall every worker.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, NamedTuple

from gateway.client.checksum import crc32c_base64
from gateway.client.config import TransferConfig
from gateway.client.errors import ClientError, Stopped
from gateway.client.http import ApiSession

_URL_BATCH = 200
_WAIT_SLICE = 0.2  # how often a waiting worker checks whether the transfer was stopped


class SignedUrl(NamedTuple):
    """A part's presigned URL, the headers its PUT must send, and when it expires."""

    url: str
    headers: dict[str, str]
    expires: float


class PartUrls:
    """The URLs of one upload's parts.

    In a composite upload a part can only be signed once its CRC32C is known: the reader
    announces each part's CRC32C, and only announced parts join a request.
    """

    def __init__(self, api: ApiSession, upload_id: str, parts: list[dict[str, Any]],
                 config: TransferConfig, composite: bool = False) -> None:
        self._api = api
        self._upload_id = upload_id
        self._config = config
        self._composite = composite
        self._order = [int(p["part_number"]) for p in parts]
        self._position = {n: i for i, n in enumerate(self._order)}
        self._urls: dict[int, SignedUrl] = {}
        self._crcs: dict[int, int] = {}
        self._signing: dict[int, threading.Event] = {}  # part -> its request's "answered"
        self._done: set[int] = set()
        self._lock = threading.Lock()
        self.refreshes = 0
        self._store(parts)

    def announce(self, part_number: int, crc32c: int) -> None:
        """The part's CRC32C, which its URL signs (composite uploads)."""
        with self._lock:
            self._crcs[part_number] = crc32c

    def get(self, part_number: int, stop: threading.Event | None = None) -> SignedUrl:
        """A URL for the part that will not expire within the refresh margin."""
        while True:
            with self._lock:
                if self._fresh(part_number):
                    return self._urls[part_number]
                answered = self._signing.get(part_number)
                if answered is None:
                    batch = self._batch(part_number)
                    crcs = [self._crcs[n] for n in batch] if self._composite else None
                    answered = threading.Event()
                    self._signing.update(dict.fromkeys(batch, answered))
                    break
            # Another worker's request signs this part: wait for it, then look again (its
            # request may have failed, or signed a URL that is already stale).
            while not answered.wait(_WAIT_SLICE):
                if stop is not None and stop.is_set():
                    raise Stopped("stopped")
        try:
            self._sign(batch, crcs, stop)
        finally:
            with self._lock:
                for number in batch:
                    if self._signing.get(number) is answered:
                        del self._signing[number]
            answered.set()
        with self._lock:
            signed = self._urls.get(part_number)
        if signed is None:
            raise ClientError(f"the gateway signed no URL for part {part_number}: "
                              "the upload is about to expire")
        return signed

    def invalidate(self, part_number: int, url: str) -> None:
        """Forget a URL the store refused, so the next get() signs a new one."""
        with self._lock:
            entry = self._urls.get(part_number)
            if entry is not None and entry.url == url:
                del self._urls[part_number]

    def done(self, part_number: int) -> None:
        """The part is stored: its URL is no longer needed."""
        with self._lock:
            self._done.add(part_number)
            self._urls.pop(part_number, None)
            self._crcs.pop(part_number, None)

    def _fresh(self, part_number: int) -> bool:
        entry = self._urls.get(part_number)
        return entry is not None and entry.expires - time.time() > self._config.url_refresh_margin

    def _batch(self, part_number: int) -> list[int]:
        """This part and the next ones due that are unsigned, unclaimed and (composite)
        announced. Called with the lock held."""
        start = self._position.get(part_number, len(self._order)) + 1
        ahead = [n for n in self._order[start:start + 4 * _URL_BATCH]
                 if n not in self._done and n not in self._signing and not self._fresh(n)
                 and (not self._composite or n in self._crcs)]
        return [part_number, *ahead[:_URL_BATCH - 1]]

    def _sign(self, batch: list[int], crcs: list[int] | None,
              stop: threading.Event | None) -> None:
        body: dict[str, Any] = {"part_numbers": batch}
        if crcs is not None:
            body = {"parts": [{"part_number": n, "crc32c": crc32c_base64(crc)}
                              for n, crc in zip(batch, crcs, strict=True)]}
        if self._config.url_ttl:
            body["expires_in"] = self._config.url_ttl
        answer = self._api.call("POST", f"/v1/uploads/{self._upload_id}/urls", json=body,
                                stop=stop)
        with self._lock:
            self.refreshes += 1
            self._store(answer["parts"])

    def _store(self, parts: list[dict[str, Any]]) -> None:
        for part in parts:
            if part.get("url") is None:
                continue  # listed, to be signed with its CRC32C
            expires = datetime.fromisoformat(part["expires_at"]).timestamp()
            self._urls[int(part["part_number"])] = SignedUrl(
                part["url"], dict(part.get("headers") or {}), expires)
