"""Moving parts to the store: reusable part buffers, part bodies, the PUT loop."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any, cast

from gateway.client.config import TransferConfig
from gateway.client.errors import Stopped, StoreError, TransferError
from gateway.client.http import (
    NETWORK_ERRORS,
    ApiSession,
    Transient,
    backoff_delay,
    describe_network_error,
    retry_after_seconds,
    transient_status,
)
from gateway.client.part_urls import PartUrls, SignedUrl

__all__ = ["BufferPool", "PartBody", "PartSender", "PartUrls", "Stopped", "store_error_text"]
log = logging.getLogger("gateway.client")
_SEND_CHUNK = 1024 * 1024
_XML_FIELD = re.compile(r"<(Code|Message)>([^<]*)</\1>")
# The store's checksum of the bytes it received differs from the one the URL signs: the
# bytes changed on the way (they are the buffer the checksum was computed from); send again.
_DAMAGED_IN_TRANSIT = {"BadDigest", "InvalidDigest"}


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
