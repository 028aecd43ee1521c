"""CRC32C values: parsing what clients send, formatting what S3 reports, computing over streams."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

import google_crc32c

_HEX8 = re.compile(r"^[0-9a-fA-F]{8}$")


def parse_crc32c(text: str) -> int:
    """Read a CRC32C given as base64 of 4 big-endian bytes (S3's form) or as 8 hex digits."""
    value = text.strip()
    if _HEX8.match(value):
        return int(value, 16)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64 of 4 bytes nor 8 hex digits") from exc
    if len(raw) != 4:
        raise ValueError("a CRC32C is 4 bytes: base64 like 'AAAAAA==' or 8 hex digits")
    return int.from_bytes(raw, "big")


def format_crc32c(value: int) -> str:
    """The S3 encoding of a CRC32C: base64 of its 4 big-endian bytes."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


def crc32c_hex(value: int) -> str:
    """A CRC32C as 8 lowercase hex digits."""
    return f"{value:08x}"


def crc32c_of(chunks: Iterable[bytes]) -> int:
    """The CRC32C of a stream of byte chunks, read once."""
    value = 0
    for chunk in chunks:
        value = google_crc32c.extend(value, chunk)
    return int(value)
