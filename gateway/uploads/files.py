"""File use cases: metadata, listing, download links and deletion of completed objects."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from gateway.errors import FILE_NOT_FOUND, STORE_ERROR, GatewayError
from gateway.storage.interface import ObjectStore, StoreUploadMissing
from gateway.uploads.model import FileRecord
from gateway.uploads.policy import UploadPolicy, decode_cursor, utcnow
from gateway.uploads.ports import FileFilter, UploadRepository

_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9 !#$&+,\-.;=@\[\]^_`{}~()]')


@dataclass(frozen=True)
class DownloadLink:
    """A presigned GET URL and when it stops working."""

    url: str
    expires_at: datetime


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """An RFC 6266 header value: an ASCII fallback plus the exact UTF-8 name (RFC 5987)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _UNSAFE_ASCII.sub("_", ascii_name).strip() or "download"
    encoded = quote(filename, safe="")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


class FileContent:
    """A file's bytes as the store streams them; closing it releases the store's connection."""

    def __init__(self, head: bytes, rest: Iterator[bytes]) -> None:
        self._head = head
        self._rest = rest

    def __iter__(self) -> Iterator[bytes]:
        if self._head:
            yield self._head
        yield from self._rest

    def close(self) -> None:
        """Stop reading (the client went away, or the response is done)."""
        close = getattr(self._rest, "close", None)
        if close is not None:
            close()


class FileService:
    """What a client can do with its completed files."""

    def __init__(self, repository: UploadRepository, store: ObjectStore, policy: UploadPolicy,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.repository = repository
        self.store = store
        self.policy = policy
        self.clock = clock

    def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's file, or 404 (also for another tenant's id)."""
        file = self.repository.get_file(tenant_id, file_id)
        if file is None:
            raise GatewayError(FILE_NOT_FOUND, f"no file {file_id}")
        return file

    def list_files(self, tenant_id: str, limit: int, cursor: str | None,
             filters: FileFilter | None = None) -> list[FileRecord]:
        """A page of files, newest first (ask limit + 1 to learn if more follow)."""
        return self.repository.list_files(tenant_id, limit, decode_cursor(cursor),
                                          filters or FileFilter())

    def download_link(self, tenant_id: str, file_id: str, expires_in: int | None = None,
                      inline: bool = False) -> DownloadLink:
        """A presigned GET that names the file (Content-Disposition) and its type."""
        file = self.get(tenant_id, file_id)
        now = self.clock().replace(microsecond=0)
        lifetime = min(expires_in or self.policy.url_ttl, self.policy.max_url_ttl)
        url = self.store.presign_download(
            file.object_key, lifetime, now,
            content_disposition=content_disposition(file.filename,
                                                    "inline" if inline else "attachment"),
            content_type=file.content_type,
        )
        return DownloadLink(url, now + timedelta(seconds=lifetime))

    def read(self, file: FileRecord, first: int, last: int) -> FileContent:
        """The file's bytes first..last (inclusive), the store's GET already answered."""
        whole = first == 0 and last == file.num_bytes - 1
        chunks = self.store.read_object(file.object_key, None if whole else first,
                                        None if whole else last)
        try:
            head = next(chunks, b"")
        except StoreUploadMissing as exc:
            raise GatewayError(STORE_ERROR, f"the store no longer holds file {file.id}'s "
                               "object") from exc
        return FileContent(head, chunks)

    def delete(self, tenant_id: str, file_id: str) -> None:
        """Delete the object, then the record (a retry after a failure finishes the job)."""
        file = self.get(tenant_id, file_id)
        self.store.delete_object(file.object_key)
        self.repository.delete_file(tenant_id, file_id)
