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


# CRC32C's polynomial in the reflected (LSB-first) form the CRC registers use.
_POLY = 0x82F63B78
_TOP = 1 << 31  # the x^0 term in reflected form


def _multiply(a: int, b: int) -> int:
    """a(x) * b(x) modulo the CRC32C polynomial, both in reflected form."""
    product = 0
    mask = _TOP
    while mask and a:
        if a & mask:
            product ^= b
            a ^= mask
        mask >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _x_to_8n(num_bytes: int) -> int:
    """x^(8 * num_bytes) modulo the polynomial: what appending that many bytes multiplies by."""
    result, power = _TOP, _TOP >> 1  # x^0, and x^1 (to be squared up the bits of 8n)
    exponent = 8 * num_bytes
    while exponent:
        if exponent & 1:
            result = _multiply(power, result)
        power = _multiply(power, power)
        exponent >>= 1
    return result


def combine_crc32c(parts: Iterable[tuple[int, int]]) -> int:
    """The CRC32C of the concatenation of pieces given as (crc32c, size), in order.

    crc(A + B) = crc(A) * x^(8 * len(B)) + crc(B) over GF(2): the pre- and post-conditioning
    of the CRC cancel out. A multiplier is computed once per distinct size, so the 10,000
    equal parts of a large upload cost one exponentiation and 10,000 short multiplications.
    """
    shifts: dict[int, int] = {}
    total = 0
    for crc, size in parts:
        shift = shifts.get(size)
        if shift is None:
            shift = shifts[size] = _x_to_8n(size)
        total = _multiply(shift, total) ^ crc
    return total


def composite_crc32c(part_crcs: Iterable[int]) -> int:
    """S3's COMPOSITE checksum of a multipart object: the CRC32C of its parts' CRC32Cs, each
    as 4 big-endian bytes, in part order (S3 shows it as base64 followed by '-<parts>')."""
    return crc32c_of([b"".join(crc.to_bytes(4, "big") for crc in part_crcs)])
