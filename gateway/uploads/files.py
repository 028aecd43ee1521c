"""File use cases: metadata, listing, download links and deletion of completed objects."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from gateway.errors import FILE_NOT_FOUND, GatewayError
from gateway.storage.interface import ObjectStore
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

    def delete(self, tenant_id: str, file_id: str) -> None:
        """Delete the object, then the record (a retry after a failure finishes the job)."""
        file = self.get(tenant_id, file_id)
        self.store.delete_object(file.object_key)
        self.repository.delete_file(tenant_id, file_id)
