"""GatewayClient: the SDK's entry point for programs (the CLI is built on it)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from gateway.client.config import TransferConfig, resolve_endpoint
from gateway.client.download import Downloader, DownloadResult
from gateway.client.http import ApiSession
from gateway.client.progress import ProgressCallback
from gateway.client.upload import Uploader, UploadResult


class GatewayClient:
    """Upload, download, list and delete files through a gateway.

    url and api_key default to GATEWAY_URL and GATEWAY_API_KEY. Uploads are parallel,
    resumable (the same file name continues an interrupted upload) and verified with a
    whole-file CRC32C; progress callbacks receive (bytes done, bytes total).
    """

    def __init__(self, url: str | None = None, api_key: str | None = None,
                 config: TransferConfig | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.endpoint = resolve_endpoint(url, api_key, environ)
        self.config = config or TransferConfig()
        self.api = ApiSession(self.endpoint, self.config)

    def upload_file(self, path: str | os.PathLike[str], *, filename: str | None = None,
                    content_type: str | None = None, metadata: dict[str, str] | None = None,
                    progress: ProgressCallback | None = None) -> UploadResult:
        """Upload one file (resuming an interrupted upload of the same filename)."""
        return Uploader(self.api, self.config).upload(
            path, filename=filename, content_type=content_type, metadata=metadata,
            progress=progress)

    def download_file(self, file_id: str, destination: str | None = None,
                      progress: ProgressCallback | None = None) -> DownloadResult:
        """Download to destination (a file path or a directory; default: the stored name)."""
        return Downloader(self.api, self.config).download(file_id, destination, progress)

    def get_file(self, file_id: str) -> dict[str, Any]:
        """A file's record."""
        record: dict[str, Any] = self.api.call("GET", f"/v1/files/{quote(file_id, safe='')}")
        return record

    def list_files(self, *, filename_prefix: str | None = None, limit: int | None = None,
                   page_size: int = 100) -> Iterator[dict[str, Any]]:
        """The tenant's files, newest first, following pages (at most `limit` of them)."""
        cursor: str | None = None
        seen = 0
        while True:
            params: dict[str, Any] = {"limit": page_size if limit is None
                                      else max(1, min(page_size, limit - seen))}
            if cursor:
                params["cursor"] = cursor
            if filename_prefix:
                params["filename_prefix"] = filename_prefix
            page = self.api.call("GET", "/v1/files", params=params)
            for item in page["items"]:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            cursor = page.get("next_cursor")
            if not cursor or (limit is not None and seen >= limit):
                return

    def delete_file(self, file_id: str) -> None:
        """Delete a file: its object and its record."""
        self.api.call("DELETE", f"/v1/files/{quote(file_id, safe='')}")
