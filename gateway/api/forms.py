"""multipart/form-data read as a stream: text fields and one file, the body never held whole.

Flask's `request.files` would spool the file to a temporary file first; this reads the body
in blocks through Werkzeug's sans-IO decoder and hands the file's bytes on as they arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

from flask_smorest import abort
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Event,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from gateway.api.schemas import FileFormSchema
from gateway.errors import (
    BAD_REQUEST,
    INCOMPLETE_BODY,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    GatewayError,
)
from gateway.storage.interface import ByteSource
from gateway.uploads.ingest import FormField, FormFile, FormItem
from gateway.uploads.streams import read_client

READ_SIZE = 256 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_FORM_PARTS = 16
# Outside a file's data the decoder buffers only part headers and boundary tails.
MAX_PENDING = READ_SIZE + 64 * 1024
TEXT_FIELDS = ("filename", "content_type", "integrity_checksum")


def read_form(stream: ByteSource, content_type: str | None, content_length: int | None,
              limit: int) -> Iterator[FormItem]:
    """Check the request's headers now (415, 413 before reading); then its items, as read."""
    mimetype, options = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data":
        raise GatewayError(UNSUPPORTED_MEDIA_TYPE, "send the file as multipart/form-data with "
                           "a `file` field", content_type=mimetype or None)
    boundary = options.get("boundary", "")
    if not boundary or not boundary.isascii():
        raise GatewayError(BAD_REQUEST, "the multipart/form-data Content-Type has no boundary")
    if content_length is not None and content_length > limit:
        raise GatewayError(PAYLOAD_TOO_LARGE, f"the request body has {content_length} bytes; "
                           f"the limit is {limit}", max_form_bytes=limit)
    return _FormStream(stream, boundary.encode("ascii"), limit, content_length).items()


def _invalid(field: str, message: str) -> NoReturn:
    abort(422, messages={"form": {field: [message]}})
    raise AssertionError("abort returned")  # pragma: no cover - abort always raises


class _FormStream:
    """Pulls blocks from the body into the decoder only as events are asked for."""

    def __init__(self, stream: ByteSource, boundary: bytes, limit: int,
                 declared: int | None) -> None:
        self._stream = stream
        self._decoder = MultipartDecoder(boundary, max_parts=MAX_FORM_PARTS)
        self._limit = limit
        self._declared = declared
        self._received = 0

    def items(self) -> Iterator[FormItem]:
        """The text fields and the file, in the order the body carries them."""
        seen: set[str] = set()
        while not isinstance(event := self._next_event(), Epilogue):
            if not isinstance(event, Field | File):
                continue  # the preamble
            name = event.name
            if name in seen:
                _invalid(name, "appears more than once")
            seen.add(name)
            if name == "file":
                chunks = self._data()
                filename = event.filename if isinstance(event, File) else None
                yield FormFile(filename or None, event.headers.get("Content-Type") or None,
                               chunks)
                for _ in chunks:  # whatever the consumer left unread
                    pass
            elif name in TEXT_FIELDS:
                yield FormField(name, self._text(name))
            else:
                _invalid(name, f"unknown field; the form takes `file` and {TEXT_FIELDS}")
        if "file" not in seen:
            _invalid("file", "Missing data for required field.")

    def _data(self) -> Iterator[bytes]:
        while True:
            event = self._next_event()
            if not isinstance(event, Data):
                raise GatewayError(BAD_REQUEST, "the multipart body is malformed")
            if event.data:
                yield event.data
            if not event.more_data:
                return

    def _text(self, name: str) -> str:
        raw = bytearray()
        for chunk in self._data():
            raw += chunk
            if len(raw) > MAX_FIELD_BYTES:
                _invalid(name, f"longer than {MAX_FIELD_BYTES} bytes")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            _invalid(name, "not UTF-8 text")
        errors = FileFormSchema().validate({name: value}, partial=True)
        if errors:
            _invalid(name, " ".join(str(m) for m in errors[name]))
        return value

    def _next_event(self) -> Event:
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:
                raise GatewayError(BAD_REQUEST, f"the multipart body is malformed: {exc}"
                                   ) from exc
            except RequestEntityTooLarge as exc:
                raise GatewayError(PAYLOAD_TOO_LARGE, f"the form has more than "
                                   f"{MAX_FORM_PARTS} parts") from exc
            if not isinstance(event, NeedData):
                return event
            self._feed()

    def _feed(self) -> None:
        chunk = read_client(self._stream, READ_SIZE)
        self._received += len(chunk)
        if self._received > self._limit:
            raise GatewayError(PAYLOAD_TOO_LARGE, f"the request body is larger than the limit "
                               f"of {self._limit} bytes", max_form_bytes=self._limit)
        if not chunk and self._declared is not None and self._received < self._declared:
            raise GatewayError(INCOMPLETE_BODY, f"the body ended after {self._received} of its "
                               f"{self._declared} bytes")
        self._decoder.receive_data(chunk or None)
        if len(self._decoder.buffer) > MAX_PENDING:
            raise GatewayError(BAD_REQUEST, "the multipart body is malformed: no boundary or "
                               "blank line where one was due")
