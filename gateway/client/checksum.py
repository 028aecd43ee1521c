"""CRC32C of a whole file, extended part by part in file order, in S3's encoding."""

from __future__ import annotations

import base64

import google_crc32c

_SLICE = 1024 * 1024


def extend_crc32c(crc: int, view: memoryview) -> int:
    """crc extended over view (google_crc32c takes bytes only: fed in 1 MiB copies)."""
    for start in range(0, len(view), _SLICE):
        crc = int(google_crc32c.extend(crc, view[start:start + _SLICE].tobytes()))
    return crc


def extend_crc32c_pair(whole: int, view: memoryview) -> tuple[int, int]:
    """The file's CRC32C extended over one part, and that part's own CRC32C: one copy of
    each slice feeds both."""
    part = 0
    for start in range(0, len(view), _SLICE):
        chunk = view[start:start + _SLICE].tobytes()
        whole = int(google_crc32c.extend(whole, chunk))
        part = int(google_crc32c.extend(part, chunk))
    return whole, part


def crc32c_base64(value: int) -> str:
    """Base64 of the 4 big-endian bytes: how S3 and the gateway write a CRC32C."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


def crc32c_from_base64(text: str) -> int:
    """The CRC32C value of S3's encoding."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 4:
        raise ValueError(f"not a CRC32C: {text!r}")
    return int.from_bytes(raw, "big")
