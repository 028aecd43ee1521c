"""Moving parts to the store: reusable part buffers, part bodies, part URLs, the PUT loop."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, cast

from gateway.client.checksum import crc32c_base64
from gateway.client.config import TransferConfig
from gateway.client.errors import ClientError, StoreError, TransferError
from gateway.client.http import (
    NETWORK_ERRORS,
    ApiSession,
    Transient,
    backoff_delay,
    describe_network_error,
    retry_after_seconds,
    transient_status,
)

log = logging.getLogger("gateway.client")
_SEND_CHUNK = 1024 * 1024
_URL_BATCH = 200
_XML_FIELD = re.compile(r"<(Code|Message)>([^<]*)</\1>")
# The store's checksum of the bytes it received differs from the one the URL signs: the
# bytes changed on the way (they are the buffer the checksum was computed from); send again.
_DAMAGED_IN_TRANSIT = {"BadDigest", "InvalidDigest"}


class Stopped(ClientError):
    """The transfer was stopped because another part failed or the user interrupted."""


class BufferPool:
    """At most `limit` part-sized buffers, made on demand and reused: the memory bound."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        self.made = 0
        self._free: list[bytearray] = []
        self._cond = threading.Condition()

    def take(self, stop: threading.Event) -> bytearray:
        """A free buffer; waits while all are in flight; raises Stopped once stop is set."""
        with self._cond:
            while True:
                if stop.is_set():
                    raise Stopped("stopped")
                if self._free:
                    return self._free.pop()
                if self.made < self.limit:
                    self.made += 1
                    return bytearray(self.size)
                self._cond.wait(0.2)

    def give(self, buffer: bytearray) -> None:
        """Return a buffer for the next part."""
        with self._cond:
            self._free.append(buffer)
            self._cond.notify()


class PartBody:
    """A part's bytes as a file-like request body: no copy, progress as bytes go out."""

    def __init__(self, view: memoryview, on_sent: Callable[[int], None] | None = None) -> None:
        self._view = view
        self._position = 0
        self._on_sent = on_sent

    def __len__(self) -> int:
        return len(self._view)

    @property
    def sent(self) -> int:
        """Bytes handed to the connection so far."""
        return self._position

    def read(self, size: int = -1) -> memoryview:
        """The next chunk (at least 1 MiB when available, whatever size asks: fewer calls)."""
        count = len(self._view) if size is None or size < 0 else max(size, _SEND_CHUNK)
        chunk = self._view[self._position:self._position + count]
        self._position += len(chunk)
        if chunk and self._on_sent is not None:
            self._on_sent(len(chunk))
        return chunk


class SignedUrl(NamedTuple):
    """A part's presigned URL, the headers its PUT must send, and when it expires."""

    url: str
    headers: dict[str, str]
    expires: float


class PartUrls:
    """Presigned part URLs, re-signed in batches shortly before they expire or when refused.

    In a composite upload a part can only be signed once its CRC32C is known: the reader
    announces each part's CRC32C, and a worker asking for a URL gets one signed together
    with those of the other announced parts still without one (a batch per request).
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
        with self._lock:
            if not self._fresh(part_number):
                self._refresh(part_number, stop)
            return self._urls[part_number]

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

    def _refresh(self, part_number: int, stop: threading.Event | None) -> None:
        start = self._position.get(part_number, len(self._order)) + 1
        ahead = [n for n in self._order[start:start + 4 * _URL_BATCH]
                 if n not in self._done and not self._fresh(n)
                 and (not self._composite or n in self._crcs)]
        batch = [part_number, *ahead[:_URL_BATCH - 1]]
        body: dict[str, Any] = {"part_numbers": batch}
        if self._composite:
            body = {"parts": [{"part_number": n, "crc32c": crc32c_base64(self._crcs[n])}
                              for n in batch]}
        if self._config.url_ttl:
            body["expires_in"] = self._config.url_ttl
        answer = self._api.call("POST", f"/v1/uploads/{self._upload_id}/urls", json=body,
                                stop=stop)
        self.refreshes += 1
        self._store(answer["parts"])
        if part_number not in self._urls:
            raise ClientError(f"the gateway signed no URL for part {part_number}: "
                              "the upload is about to expire")

    def _store(self, parts: list[dict[str, Any]]) -> None:
        for part in parts:
            if part.get("url") is None:
                continue  # listed, to be signed with its CRC32C
            expires = datetime.fromisoformat(part["expires_at"]).timestamp()
            self._urls[int(part["part_number"])] = SignedUrl(
                part["url"], dict(part.get("headers") or {}), expires)


def store_error_text(body: str) -> tuple[str, str]:
    """The Code and Message of an S3 XML error body (empty when absent)."""
    found = dict(_XML_FIELD.findall(body[:4096]))
    return found.get("Code", ""), found.get("Message", "")


class PartSender:
    """PUTs one part to its presigned URL: retries transient failures, re-signs on 403."""

    def __init__(self, api: ApiSession, urls: PartUrls, config: TransferConfig,
                 on_sent: Callable[[int], None] | None = None) -> None:
        self._api = api
        self._urls = urls
        self._config = config
        self._on_sent = on_sent

    def send(self, part_number: int, view: memoryview, stop: threading.Event) -> str:
        """Store the part; its ETag (the part token)."""
        attempts = refused = 0
        while True:
            if stop.is_set():
                raise Stopped("stopped")
            signed = self._urls.get(part_number, stop)
            try:
                return self._put(part_number, signed, view)
            except _UrlRefused as exc:
                refused += 1
                if refused > self._config.max_url_refreshes:
                    raise StoreError(403, exc.code, f"part {part_number}: the store refused its "
                                     f"URL {refused} times, freshly signed ones too: "
                                     f"{exc.message}") from None
                log.info("part %d: URL refused (%s); signing a fresh one", part_number,
                         exc.message)
                self._urls.invalidate(part_number, signed.url)
            except Transient as exc:
                attempts += 1
                if attempts >= self._config.max_attempts:
                    raise TransferError(f"part {part_number}: gave up after {attempts} tries: "
                                        f"{exc}") from None
                delay = backoff_delay(attempts, self._config, exc.retry_after)
                log.info("part %d: %s; try %d of %d in %.1fs", part_number, exc, attempts + 1,
                         self._config.max_attempts, delay)
                if stop.wait(delay):
                    raise Stopped("stopped") from None

    def _put(self, part_number: int, signed: SignedUrl, view: memoryview) -> str:
        body = PartBody(view, self._on_sent)
        try:
            response = self._api.session().put(
                signed.url, data=cast(Any, body), headers=signed.headers or None,
                timeout=(self._config.connect_timeout, self._config.read_timeout))
        except NETWORK_ERRORS as exc:
            self._unsend(body)
            raise Transient(describe_network_error(exc, "the store")) from exc
        if response.status_code == 200 and response.headers.get("ETag"):
            return response.headers["ETag"]
        self._unsend(body)
        code, message = store_error_text(response.text)
        message = message or response.reason or "no reason given"
        if response.status_code == 403:
            raise _UrlRefused(code or "AccessDenied", message)
        if transient_status(response.status_code) or code in _DAMAGED_IN_TRANSIT:
            raise Transient(f"the store answered {response.status_code} {code} {message}",
                            retry_after_seconds(response))
        if response.status_code == 200:
            raise StoreError(200, "no_etag", f"part {part_number}: the store answered without "
                             "an ETag (a proxy in the way, or CORS hiding it?)")
        raise StoreError(response.status_code, code or "error",
                         f"part {part_number}: the store refused it: {message}")

    def _unsend(self, body: PartBody) -> None:
        if self._on_sent is not None and body.sent:
            self._on_sent(-body.sent)


class _UrlRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
