"""Single-request uploads: a form's file streamed to the store in bounded parts.

The file's bytes are collected into parts of the part size and each full part is sent as
soon as a byte beyond it arrives, in the background while the next one is read (one part
in flight at most), so memory holds about two parts whatever the file's size; nothing
touches local disk. A file no larger than one part becomes one PutObject; a larger
one a multipart upload. The last bytes are held until the whole form has been read, so a
bad field after the file still leaves nothing behind. CRC32C is computed on the fly.
"""

from __future__ import annotations

import contextvars
import io
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from gateway.errors import (
    CHECKSUM_MISMATCH,
    PAYLOAD_TOO_LARGE,
    STORE_ERROR,
    VALIDATION_ERROR,
    GatewayError,
)
from gateway.storage.interface import ObjectStore, StorePartsRejected
from gateway.uploads.checksums import format_crc32c, parse_crc32c
from gateway.uploads.events import NoEvents, UploadEvents
from gateway.uploads.model import FileRecord
from gateway.uploads.planning import plan_parts
from gateway.uploads.policy import UploadPolicy, utcnow
from gateway.uploads.ports import UploadRepository
from gateway.uploads.streams import PartBuffer

log = logging.getLogger(__name__)
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class FormField:
    """A text field of the form (`filename`, `content_type`, `integrity_checksum`)."""

    name: str
    value: str


@dataclass(frozen=True)
class FormFile:
    """The form's file: the name and type its part declares, and its bytes as they arrive."""

    filename: str | None
    content_type: str | None
    chunks: Iterator[bytes]


FormItem = FormField | FormFile


class FileIngest:
    """The single-request upload use case (POST /v1/files)."""

    def __init__(self, repository: UploadRepository, store: ObjectStore, policy: UploadPolicy,
                 clock: Callable[[], datetime] = utcnow, events: UploadEvents | None = None
                 ) -> None:
        self.repository = repository
        self.store = store
        self.policy = policy
        self.clock = clock
        self.events: UploadEvents = events or NoEvents()

    def part_size_for(self, body_bytes: int | None) -> int:
        """Parts small enough to hold in memory, large enough for 10,000 to carry the body."""
        most = self.policy.max_form_bytes if body_bytes is None else body_bytes
        return plan_parts(min(most, self.policy.max_form_bytes),
                          min_part_size=self.policy.min_part_size,
                          max_part_size=self.policy.max_part_size).part_size

    def ingest(self, tenant_id: str, items: Iterable[FormItem], body_bytes: int | None
               ) -> FileRecord:
        """Stream the form's file to the store and record it; on any failure keep nothing."""
        file_id = str(uuid.uuid4())
        key = f"{self.policy.key_prefix}{tenant_id}/{file_id}"
        writer = ObjectWriter(self.store, key, self.part_size_for(body_bytes),
                              self.policy.max_upload_bytes)
        fields: dict[str, str] = {}
        file: FormFile | None = None
        try:
            for item in items:
                if isinstance(item, FormField):
                    fields[item.name] = item.value
                    continue
                if file is not None:
                    raise GatewayError(VALIDATION_ERROR, "the form has more than one file",
                                       field="file")
                file = item
                writer.describe(_content_type(fields, item), _store_metadata(
                    fields.get("filename") or item.filename, file_id))
                for chunk in item.chunks:
                    writer.write(chunk)
            if file is None:
                raise GatewayError(VALIDATION_ERROR, "the form has no `file` field", field="file")
            filename = fields.get("filename") or file.filename
            if not filename:
                raise GatewayError(VALIDATION_ERROR, "the file has no name: send a `filename` "
                                   "field", field="filename")
            self._check_integrity(fields.get("integrity_checksum"), writer.crc32c)
            content_type = _content_type(fields, file)
            writer.finish(content_type, _store_metadata(filename, file_id))
        except BaseException:
            writer.discard()
            raise
        finally:
            writer.close()
        record = FileRecord(
            id=file_id, tenant_id=tenant_id, upload_id=None, object_key=key, filename=filename,
            content_type=content_type, num_bytes=writer.total, crc32c=writer.crc32c,
            created_at=self.clock(),
        )
        try:
            self.repository.add_file(record)
        except BaseException:
            writer.discard()
            raise
        self.events.completed(record)  # counted with the multipart uploads' files and bytes
        return record

    @staticmethod
    def _check_integrity(given: str | None, computed: int) -> None:
        if given is None:
            return
        try:
            expected = parse_crc32c(given)
        except ValueError as exc:
            raise GatewayError(VALIDATION_ERROR, f"integrity_checksum is not a CRC32C: {exc}",
                               field="integrity_checksum") from exc
        if expected != computed:
            raise GatewayError(CHECKSUM_MISMATCH, f"the file's CRC32C is "
                               f"{format_crc32c(computed)}; integrity_checksum says "
                               f"{format_crc32c(expected)}", stored=format_crc32c(computed),
                               expected=format_crc32c(expected))


class ObjectWriter:
    """One object written from a stream: a PutObject, or a multipart upload once it outgrows
    one part. Knows what it has made in the store, so `discard` can take it all back."""

    def __init__(self, store: ObjectStore, key: str, part_size: int, max_bytes: int) -> None:
        self._store = store
        self._key = key
        self._buffer = PartBuffer(part_size)
        self._max_bytes = max_bytes
        self._content_type = DEFAULT_CONTENT_TYPE
        self._metadata: dict[str, str] = {}
        self._store_upload_id: str | None = None
        self._parts: list[tuple[int, str]] = []
        self._object_may_exist = False
        self._sender: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None

    @property
    def total(self) -> int:
        """Bytes written so far."""
        return self._buffer.total

    @property
    def crc32c(self) -> int:
        """The CRC32C of the bytes written so far."""
        return self._buffer.crc32c

    def describe(self, content_type: str, metadata: dict[str, str]) -> None:
        """What the object is, as far as known before its bytes (used if a multipart starts)."""
        self._content_type = content_type
        self._metadata = metadata

    def write(self, chunk: bytes) -> None:
        """Take a chunk; send each part that is complete and surely not the last."""
        if self._buffer.total + len(chunk) > self._max_bytes:
            raise GatewayError(PAYLOAD_TOO_LARGE, f"the file is larger than the maximum upload "
                               f"size of {self._max_bytes} bytes",
                               max_upload_bytes=self._max_bytes)
        for part in self._buffer.add(chunk):
            self._send_part(part)

    def finish(self, content_type: str, metadata: dict[str, str]) -> None:
        """Store the last bytes and join the parts; the object then exists in full."""
        rest = self._buffer.rest()
        self._wait()
        self._object_may_exist = True
        if self._store_upload_id is None:
            self._store.put_object(self._key, rest, content_type, metadata, crc32c=self.crc32c)
            return
        self._upload_part(len(self._parts) + 1, rest)
        try:
            self._store.complete_multipart_upload(self._key, self._store_upload_id, self._parts)
        except StorePartsRejected as exc:
            raise GatewayError(STORE_ERROR, f"the store refused the parts: {exc.code}: {exc}",
                               store_code=exc.code) from exc
        self._store_upload_id = None
        info = self._store.head_object(self._key)
        if info is None or info.size != self.total or \
                (info.crc32c is not None and info.crc32c != self.crc32c):
            raise GatewayError(STORE_ERROR, "the store's object differs from the bytes sent: "
                               f"{info}; it was removed")

    def discard(self) -> None:
        """Remove whatever this writer made in the store (best effort; logs what it could not)."""
        try:
            self._wait()
        except Exception:  # a failed part changes nothing about what must go
            log.debug("a part failed before the upload was discarded", exc_info=True)
        try:
            if self._store_upload_id is not None:
                self._store.abort_multipart_upload(self._key, self._store_upload_id)
                self._store_upload_id = None
            if self._object_may_exist:
                self._store.delete_object(self._key)
        except Exception:  # the bucket's lifecycle rule is the last resort for the upload
            log.exception("could not remove the store's copy of %s", self._key)

    def close(self) -> None:
        """Let the background sender go (after finish or discard)."""
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None

    def _send_part(self, data: bytes) -> None:
        """Send a full part in the background once the previous one is stored."""
        self._wait()
        if self._store_upload_id is None:
            self._store_upload_id = self._store.create_multipart_upload(
                self._key, self._content_type, self._metadata)
        if self._sender is None:
            self._sender = ThreadPoolExecutor(1, thread_name_prefix="form-part")
        # The request's context travels along, so store time still counts for this request.
        self._in_flight = self._sender.submit(contextvars.copy_context().run,
                                              self._upload_part, len(self._parts) + 1, data)

    def _upload_part(self, number: int, data: bytes) -> None:
        assert self._store_upload_id is not None
        token = self._store.upload_part(self._key, self._store_upload_id, number,
                                        io.BytesIO(data), len(data))
        self._parts.append((number, token))

    def _wait(self) -> None:
        """Wait for the part in flight; its failure is raised here."""
        if self._in_flight is not None:
            future, self._in_flight = self._in_flight, None
            future.result()


def _content_type(fields: dict[str, str], file: FormFile) -> str:
    return fields.get("content_type") or file.content_type or DEFAULT_CONTENT_TYPE


def _store_metadata(filename: str | None, file_id: str) -> dict[str, str]:
    metadata = {"file-id": file_id}
    if filename:
        metadata["filename"] = quote(filename, safe="")
    return metadata
