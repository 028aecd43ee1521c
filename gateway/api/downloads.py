"""A file's bytes streamed through the gateway, with single byte ranges (RFC 9110 section 14)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Response, current_app, request
from werkzeug.http import http_date

from gateway.errors import RANGE_NOT_SATISFIABLE, GatewayError
from gateway.uploads.files import FileService, content_disposition
from gateway.uploads.model import FileRecord

_ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def resolve_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive span a Range header asks of `size` bytes, or None for the whole file.

    Several ranges, other units and malformed values are ignored, as RFC 9110 allows (the
    whole file is sent); a range wholly past the end is a 416.
    """
    match = _ONE_RANGE.match(header or "")
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if first_text == "":  # a suffix: the last N bytes
        wanted = int(last_text)
        if wanted == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - wanted), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise _unsatisfiable(size)
    return first, min(last, size - 1)


def _unsatisfiable(size: int) -> GatewayError:
    return GatewayError(RANGE_NOT_SATISFIABLE, f"the range starts past the end of the file's "
                        f"{size} bytes", size=size)


def entity_tag(file: FileRecord) -> str:
    """A strong validator: a file id's bytes never change, so the id itself will do."""
    return f'"{file.id}"'


def _range_applies(file: FileRecord) -> bool:
    """If-Range: the range holds only while the client's copy is the current one."""
    validator = request.headers.get("If-Range")
    return validator is None or validator.strip() in (entity_tag(file),
                                                      http_date(file.created_at))


def content_response(files: FileService, file: FileRecord, inline: bool) -> Response:
    """200 with the whole file, or 206 with the asked range, streamed from the store."""
    size = file.num_bytes
    headers = {
        "Accept-Ranges": "bytes", "ETag": entity_tag(file), "Cache-Control": "private",
        "Last-Modified": http_date(file.created_at), "Content-Type": file.content_type,
        "Content-Disposition": content_disposition(file.filename,
                                                   "inline" if inline else "attachment"),
    }
    span = resolve_range(request.headers.get("Range"), size) if _range_applies(file) else None
    status, (first, last) = (200, (0, size - 1)) if span is None else (206, span)
    if span is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    length = last - first + 1
    headers["Content-Length"] = str(length)
    body: Iterable[bytes] = []
    if length and request.method != "HEAD":
        body = files.read(file, first, last)
    return current_app.response_class(body, status=status, headers=headers,
                                      direct_passthrough=True)
