"""Uploading one file: initiate (resuming), parallel part PUTs, batched checkpoints, complete.

The file is read once, in order, by the calling thread: each part goes into one of
`concurrency` reusable buffers, extends the whole-file CRC32C, and is handed to a worker that
PUTs it. A worker gives its buffer back when the store has the part, so memory stays within
concurrency x part size however large the file. Parts the gateway already holds (a resumed
upload) are read for the CRC32C but not sent again.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import stat
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Any

from gateway.client.checkpoints import Checkpointer, PartToken, part_claims
from gateway.client.checksum import crc32c_base64, extend_crc32c, extend_crc32c_pair
from gateway.client.config import TransferConfig
from gateway.client.errors import ClientError, IntegrityError, UsageError
from gateway.client.http import ApiSession
from gateway.client.parts import BufferPool, PartSender, PartUrls, Stopped
from gateway.client.progress import ProgressCallback, ProgressTracker

log = logging.getLogger("gateway.client")


@dataclass(frozen=True)
class UploadResult:
    """What an upload made, and how: the file record plus transfer statistics."""

    path: str
    file_id: str
    upload_id: str
    filename: str
    content_type: str
    num_bytes: int
    crc32c: str
    resumed: bool
    parts_total: int
    parts_sent: int
    parts_skipped: int
    checkpoint_calls: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def open_source(path: str) -> tuple[io.FileIO, int]:
    """The file opened unbuffered for reading and its size; UsageError when it cannot be."""
    try:
        source = open(path, "rb", buffering=0)  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; name the files to upload") from None
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied") from None
    info = os.fstat(source.fileno())
    if not stat.S_ISREG(info.st_mode):
        source.close()
        raise UsageError(f"{path} is not a regular file")
    return source, info.st_size


class Uploader:
    """Uploads files through one gateway with one transfer configuration."""

    def __init__(self, api: ApiSession, config: TransferConfig) -> None:
        self.api = api
        self.config = config

    def upload(self, path: str | os.PathLike[str], *, filename: str | None = None,
               content_type: str | None = None, metadata: dict[str, str] | None = None,
               progress: ProgressCallback | None = None) -> UploadResult:
        """Upload one file, continuing an interrupted upload of the same name if there is one."""
        started = time.monotonic()
        path = os.fspath(path)
        name = filename or os.path.basename(path)
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        source, size = open_source(path)
        with source:
            upload = self.api.call("POST", "/v1/uploads", json={
                "filename": name, "content_type": kind, "num_bytes": size,
                "resume_if_started": True, "metadata": metadata or {},
                "checksum_type": self.config.checksum_type})
            if upload.get("num_bytes") != size:
                raise ClientError(f"the gateway planned {upload.get('num_bytes')} bytes for a "
                                  f"file of {size}")
            transfer = _Transfer(self.api, self.config, upload, source, path, progress)
            crc, remaining = transfer.run()
        body: dict[str, Any] = {"parts": part_claims(remaining)}
        if upload.get("checksum_algorithm", "crc32c") == "crc32c":
            body["integrity_checksum"] = crc32c_base64(crc)
        file = self.api.call("POST", f"/v1/uploads/{upload['upload_id']}/complete", json=body,
                             read_timeout=self.config.complete_timeout)
        stored_crc = (file.get("checksum") or {}).get("crc32c")
        if file.get("num_bytes") != size or stored_crc not in (None, crc32c_base64(crc)):
            raise IntegrityError(f"the gateway recorded {file.get('num_bytes')} bytes with "
                                 f"CRC32C {stored_crc}; the file has {size} bytes with "
                                 f"{crc32c_base64(crc)}")
        return UploadResult(
            path=path, file_id=file["file_id"], upload_id=upload["upload_id"],
            filename=file["filename"], content_type=file["content_type"], num_bytes=size,
            crc32c=crc32c_base64(crc), resumed=bool(upload.get("resumed")),
            parts_total=int(upload["num_parts"]), parts_sent=len(transfer.sent),
            parts_skipped=int(upload["num_parts"]) - len(transfer.missing),
            checkpoint_calls=transfer.checkpoint_calls,
            seconds=round(time.monotonic() - started, 3))


class _Transfer:
    """One pass over the file: read parts in order, send the missing ones in parallel."""

    def __init__(self, api: ApiSession, config: TransferConfig, upload: dict[str, Any],
                 source: io.FileIO, path: str, progress: ProgressCallback | None) -> None:
        self.api = api
        self.config = config
        self.upload = upload
        self.source = source
        self.path = path
        self.num_bytes = int(upload["num_bytes"])
        self.part_size = int(upload["part_size"])
        self.num_parts = int(upload["num_parts"])
        self.missing = {int(p["part_number"]) for p in upload["parts"]}
        # Composite: each part's URL signs its CRC32C, known once the part is read.
        self.composite = upload.get("checksum_type") == "composite"
        self.tracker = ProgressTracker(self.num_bytes, progress)
        self.stop = threading.Event()
        self.failures: list[BaseException] = []
        self.sent: list[int] = []
        self.checkpoint_calls = 0

    def part_length(self, number: int) -> int:
        """Bytes in part `number` (only the last may be short)."""
        return min(self.part_size, self.num_bytes - (number - 1) * self.part_size)

    def run(self) -> tuple[int, dict[int, PartToken]]:
        """The whole-file CRC32C and the part tokens not yet checkpointed."""
        skipped = self.num_bytes - sum(self.part_length(n) for n in self.missing)
        self.tracker.advance(skipped)
        upload_id = self.upload["upload_id"]
        urls = PartUrls(self.api, upload_id, self.upload["parts"], self.config, self.composite)
        sender = PartSender(self.api, urls, self.config, self.tracker.advance)
        checkpointer = Checkpointer(self.api, upload_id, self.config.checkpoint_every,
                                    self.config.checkpoint_interval)
        pool = BufferPool(self.part_size, max(1, min(self.config.concurrency,
                                                     len(self.missing))))
        executor = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="part")

        def send(number: int, buffer: bytearray, part_crc: int | None) -> None:
            try:
                token = sender.send(number, memoryview(buffer)[:self.part_length(number)],
                                    self.stop)
                urls.done(number)
                checkpointer.add(number, token, part_crc)
                self.sent.append(number)
            except BaseException as exc:
                self.failures.append(exc)
                self.stop.set()
                raise
            finally:
                pool.give(buffer)

        futures: list[Future[None]] = []
        crc = 0
        try:
            for number in range(1, self.num_parts + 1):
                if checkpointer.error is not None:
                    raise checkpointer.error
                buffer = pool.take(self.stop)
                view = memoryview(buffer)[:self.part_length(number)]
                self._read_into(view)
                part_crc = None
                if self.composite and number in self.missing:
                    crc, part_crc = extend_crc32c_pair(crc, view)
                    urls.announce(number, part_crc)
                else:
                    crc = extend_crc32c(crc, view)
                if number in self.missing:
                    futures.append(executor.submit(send, number, buffer, part_crc))
                else:
                    pool.give(buffer)
            if self.source.read(1):
                raise IntegrityError(f"{self.path} grew while it was being uploaded")
            wait(futures)
            self._raise_failure(checkpointer)
        except BaseException as exc:
            self.stop.set()
            executor.shutdown(wait=True, cancel_futures=True)
            self._save_progress(checkpointer)
            cause = self._first_failure(checkpointer)
            if isinstance(exc, Stopped) and cause is not None:
                raise cause from None
            raise
        executor.shutdown(wait=True)
        remaining = checkpointer.close(flush=False)
        self.checkpoint_calls = checkpointer.calls
        if checkpointer.error is not None:
            raise checkpointer.error
        return crc, remaining

    def _read_into(self, view: memoryview) -> None:
        filled = 0
        while filled < len(view):
            count = self.source.readinto(view[filled:])
            if not count:
                raise IntegrityError(f"{self.path} ended after {self.source.tell()} bytes; "
                                     f"it had {self.num_bytes} when the upload started")
            filled += count

    def _first_failure(self, checkpointer: Checkpointer) -> BaseException | None:
        for failure in self.failures:
            if not isinstance(failure, Stopped):
                return failure
        return checkpointer.error

    def _raise_failure(self, checkpointer: Checkpointer) -> None:
        cause = self._first_failure(checkpointer)
        if cause is not None:
            raise cause

    def _save_progress(self, checkpointer: Checkpointer) -> None:
        """On the way out, checkpoint the parts the store holds so a rerun skips them."""
        try:
            checkpointer.close(flush=checkpointer.error is None)
        except ClientError as exc:
            log.info("could not checkpoint the last parts before stopping: %s", exc)
        self.checkpoint_calls = checkpointer.calls
