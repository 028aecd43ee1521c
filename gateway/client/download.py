"""Downloading a file: stream the presigned GET to a temporary file, verify, then rename."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

import google_crc32c
import requests
import urllib3

from gateway.client.checksum import crc32c_base64, crc32c_from_base64
from gateway.client.config import TransferConfig
from gateway.client.errors import IntegrityError, StoreError, TransferError, UsageError
from gateway.client.http import (
    NETWORK_ERRORS,
    ApiSession,
    backoff_delay,
    describe_network_error,
    transient_status,
)
from gateway.client.parts import store_error_text
from gateway.client.progress import ProgressCallback, ProgressTracker

log = logging.getLogger("gateway.client")
_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_STREAM_ERRORS = (*NETWORK_ERRORS, requests.exceptions.ChunkedEncodingError,
                  requests.exceptions.ContentDecodingError,
                  urllib3.exceptions.HTTPError)


@dataclass(frozen=True)
class DownloadResult:
    """Where a file went and whether its CRC32C was checked."""

    file_id: str
    path: str
    filename: str
    num_bytes: int
    crc32c: str | None
    verified: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def local_name(filename: str, file_id: str) -> str:
    """A safe name in one directory for a stored filename (never a path)."""
    name = _UNSAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return file_id if name in ("", ".", "..") else name


def target_path(destination: str | None, filename: str, file_id: str) -> str:
    """The file to write: destination itself, or the stored name inside it (or in `.`)."""
    if destination is None:
        return local_name(filename, file_id)
    if os.path.isdir(destination) or destination.endswith(("/", os.sep)):
        if not os.path.isdir(destination):
            raise UsageError(f"no such directory: {destination}")
        return os.path.join(destination, local_name(filename, file_id))
    parent = os.path.dirname(destination) or "."
    if not os.path.isdir(parent):
        raise UsageError(f"no such directory: {parent}")
    return destination


class Downloader:
    """Downloads files through one gateway."""

    def __init__(self, api: ApiSession, config: TransferConfig) -> None:
        self.api = api
        self.config = config

    def download(self, file_id: str, destination: str | None = None,
                 progress: ProgressCallback | None = None) -> DownloadResult:
        """Write the file to destination (a path or a directory); verify size and CRC32C."""
        started = time.monotonic()
        record = self.api.call("GET", f"/v1/files/{quote(file_id, safe='')}")
        size = int(record["num_bytes"])
        expected = (record.get("checksum") or {}).get("crc32c")
        target = target_path(destination, record["filename"], record["file_id"])
        partial = os.path.join(os.path.dirname(target) or ".",
                               f".{os.path.basename(target)}.{uuid.uuid4().hex[:8]}.download")
        tracker = ProgressTracker(size, progress)
        try:
            with open(partial, "wb") as out:
                crc, written = self._fetch(record["file_id"], out, tracker, size)
            if written != size:
                raise IntegrityError(f"{file_id}: got {written} bytes, the file has {size}")
            if expected is not None and crc != crc32c_from_base64(expected):
                raise IntegrityError(f"{file_id}: CRC32C of the bytes received is "
                                     f"{crc32c_base64(crc)}, the file's is {expected}; "
                                     "nothing was written")
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        return DownloadResult(record["file_id"], target, record["filename"], size, expected,
                              expected is not None, round(time.monotonic() - started, 3))

    def _link(self, file_id: str) -> str:
        answer = self.api.call("GET", f"/v1/files/{quote(file_id, safe='')}/content",
                               params={"redirect": "false"})
        return str(answer["url"])

    def _fetch(self, file_id: str, out: BinaryIO, tracker: ProgressTracker, size: int
               ) -> tuple[int, int]:
        """Stream the object into out, resuming with a Range request after a broken stream."""
        url = self._link(file_id)
        crc = written = attempts = refused = 0
        while True:
            problem = ""
            try:
                headers = {"Range": f"bytes={written}-"} if written else {}
                with self.api.session().get(url, headers=headers, stream=True, timeout=(
                        self.config.connect_timeout, self.config.read_timeout)) as response:
                    if response.status_code == 403 and refused < self.config.max_url_refreshes:
                        refused += 1
                        url = self._link(file_id)
                        continue
                    if response.status_code == 200 and written:
                        out.seek(0)  # the store ignored Range: start over
                        out.truncate()
                        tracker.advance(-written)
                        crc = written = 0
                    elif response.status_code not in (200, 206):
                        code, message = store_error_text(response.text)
                        problem = f"the store answered {response.status_code} {code} {message}"
                        if not transient_status(response.status_code):
                            raise StoreError(response.status_code, code or "error",
                                             f"{file_id}: {problem}")
                    if not problem:
                        for chunk in response.raw.stream(_CHUNK, decode_content=False):
                            out.write(chunk)
                            crc = int(google_crc32c.extend(crc, chunk))
                            written += len(chunk)
                            tracker.advance(len(chunk))
                        if written >= size:
                            return crc, written
                        problem = "the connection closed early"
            except _STREAM_ERRORS as exc:
                problem = describe_network_error(exc, "the store")
            attempts += 1
            if attempts >= self.config.max_attempts:
                raise TransferError(f"{file_id}: gave up after {attempts} tries: {problem}")
            delay = backoff_delay(attempts, self.config)
            log.info("download %s: %s; try %d in %.1fs", file_id, problem, attempts + 1, delay)
            time.sleep(delay)
