"""A real HTTP peer between clients and the S3 server, to make the store misbehave on cue.

Presigned URLs point here when the gateway's public endpoint is set to the proxy's URL.
It checks presigned expiry the way S3 does (X-Amz-Date + X-Amz-Expires against its own
clock, which a test may set ahead, as moto checks no expiry at all), and on request a PUT's
`x-amz-checksum-crc32c` header against its body as AWS does (moto checks none); it injects
scripted faults (an error status, an expired answer, a dropped connection, a flipped byte, a
body cut short) and otherwise relays each request to the S3 server and its answer back. It
records what it saw.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import google_crc32c
import requests

_RELAYED_HEADERS = ("etag", "content-type", "content-range", "accept-ranges",
                    "content-disposition", "last-modified")


@dataclass
class Fault:
    """What to do instead of relaying: answer `status`, drop the connection, or corrupt."""

    method: str
    part_number: int | None
    # "status", "expire" (403 as for an expired URL), "drop", "corrupt" or "truncate" (half a
    # body, then hang up)
    action: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass(frozen=True)
class Seen:
    """One request the proxy answered."""

    method: str
    part_number: int | None
    status: int  # 0 when the connection was dropped
    note: str = ""


class StoreProxy:
    """The proxy's controls and its record of requests."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.clock_offset = 0.0
        self.put_delay = 0.0
        self.check_checksums = False
        self.seen: list[Seen] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.url = ""
        self.in_flight = 0

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until no request is being handled (a killed client's PUTs may linger)."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.in_flight == 0, "the store proxy is still busy"

    def _enter(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta

    def inject(self, method: str, part_number: int | None = None, action: str = "status",
               status: int = 503, times: int = 1, headers: dict[str, str] | None = None
               ) -> None:
        """Script a fault for the next `times` matching requests."""
        with self._lock:
            self._faults.append(Fault(method, part_number, action, status, headers or {},
                                      times))

    def puts(self, status: int | None = None) -> list[int | None]:
        """Part numbers of the PUTs seen (with that status, when given), in order."""
        return [s.part_number for s in self.seen
                if s.method == "PUT" and (status is None or s.status == status)]

    def take_fault(self, method: str, part_number: int | None) -> Fault | None:
        """The first scripted fault matching this request, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.part_number in (None, part_number):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def record(self, seen: Seen) -> None:
        """Note one answered request."""
        with self._lock:
            self.seen.append(seen)

    def expired(self, query: dict[str, list[str]]) -> bool:
        """Whether a presigned request is past its expiry on this store's clock."""
        if "X-Amz-Date" not in query or "X-Amz-Expires" not in query:
            return False
        signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return time.time() + self.clock_offset > signed.timestamp() + int(
            query["X-Amz-Expires"][0])


def _crc32c_b64(body: bytes) -> str:
    return base64.b64encode(google_crc32c.value(body).to_bytes(4, "big")).decode()


def _error_xml(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>").encode()


def _handler(proxy: StoreProxy) -> type[BaseHTTPRequestHandler]:
    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            proxy._enter(1)
            try:
                self._relay()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away (killed, or gave up)
            finally:
                proxy._enter(-1)

        do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _hang_up_halfway(self, answer: requests.Response) -> None:
            self.send_response(answer.status_code)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content[:len(answer.content) // 2])
            self.close_connection = True

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = parse_qs(urlsplit(self.path).query)
            part = int(query["partNumber"][0]) if "partNumber" in query else None
            fault = None if proxy.expired(query) else proxy.take_fault(self.command, part)
            if fault is None and proxy.expired(query) or fault and fault.action == "expire":
                proxy.record(Seen(self.command, part, 403, "expired"))
                self._answer(403, _error_xml("AccessDenied", "Request has expired"),
                             {"Content-Type": "application/xml"})
                return
            if fault is not None and fault.action == "drop":
                proxy.record(Seen(self.command, part, 0, "dropped"))
                self.close_connection = True
                return
            if fault is not None and fault.action == "status":
                proxy.record(Seen(self.command, part, fault.status, "injected"))
                self._answer(fault.status, _error_xml("SlowDown" if fault.status == 503
                                                      else "InternalError", "injected"),
                             {"Content-Type": "application/xml", **fault.headers})
                return
            corrupt = fault is not None and fault.action == "corrupt"
            if corrupt and body:
                body = body[:len(body) // 2] + bytes([body[len(body) // 2] ^ 0xFF]) + \
                    body[len(body) // 2 + 1:]
            if self.command == "PUT" and proxy.put_delay:
                time.sleep(proxy.put_delay)
            declared = self.headers.get("x-amz-checksum-crc32c")
            if proxy.check_checksums and declared and declared != _crc32c_b64(body):
                proxy.record(Seen(self.command, part, 400, "bad digest"))
                self._answer(400, _error_xml("BadDigest", "The CRC32C you specified did not "
                                             "match the calculated checksum."),
                             {"Content-Type": "application/xml"})
                return
            # Host stays as the client sent it: it is part of what a presigned URL signs,
            # and a store that checks signatures (Ceph RGW) checks it against that header.
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("content-length", "connection")}
            answer = requests.request(self.command, proxy.upstream + self.path, data=body,
                                      headers=headers, timeout=120, allow_redirects=False)
            content = answer.content
            if corrupt and self.command == "GET" and content:
                content = content[:-1] + bytes([content[-1] ^ 0xFF])
            proxy.record(Seen(self.command, part, answer.status_code,
                              fault.action if fault is not None else ""))
            if fault is not None and fault.action == "truncate":
                self._hang_up_halfway(answer)
                return
            self._answer(answer.status_code, content, {
                k: v for k, v in answer.headers.items() if k.lower() in _RELAYED_HEADERS})

    return Relay


@contextmanager
def store_proxy(upstream: str) -> Iterator[StoreProxy]:
    """A proxy to the S3 server at upstream, on a free loopback port, for the duration."""
    proxy = StoreProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="store-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
