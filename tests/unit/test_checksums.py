"""CRC32C: S3's base64 form and hex against known vectors; combining the CRCs of pieces."""

from __future__ import annotations

import random

import pytest

from gateway.uploads.checksums import (
    combine_crc32c,
    crc32c_hex,
    crc32c_of,
    format_crc32c,
    parse_crc32c,
)

# RFC 3720 (iSCSI) test vectors for CRC32C, and the classic "123456789" check value.
VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
]


@pytest.mark.parametrize("data,value", VECTORS)
def test_known_vectors(data: bytes, value: int) -> None:
    assert crc32c_of([data]) == value
    assert crc32c_of([data[:5], data[5:]]) == value


@pytest.mark.parametrize("data,value", VECTORS)
def test_round_trips(data: bytes, value: int) -> None:
    assert parse_crc32c(format_crc32c(value)) == value
    assert parse_crc32c(crc32c_hex(value)) == value
    assert parse_crc32c(crc32c_hex(value).upper()) == value


def test_s3_encoding_is_base64_of_big_endian_bytes() -> None:
    assert format_crc32c(0xE3069283) == "4waSgw=="
    assert format_crc32c(0) == "AAAAAA=="


@pytest.mark.parametrize("text", ["", "abc", "4waSgw", "4waSgw===", "AAAAAAA=", "e306928",
                                  "e30692830", "zzzzzzzz", "AAAAAAAAAAA="])
def test_malformed_values_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_crc32c(text)


@pytest.mark.parametrize("sizes", [
    [], [0], [1], [0, 0], [9, 0, 3], [64, 64, 64], [5 * 1024 * 1024] * 3,
    [5 * 1024 * 1024, 5 * 1024 * 1024, 1], [1, 5 * 1024 * 1024], [65_537, 4_095, 255, 2],
], ids=lambda sizes: "+".join(map(str, sizes)) or "nothing")
def test_combined_pieces_equal_the_whole(sizes: list[int]) -> None:
    chunks = [random.Random(len(sizes) * 7 + i).randbytes(size) for i, size in enumerate(sizes)]
    pieces = [(crc32c_of([chunk]), len(chunk)) for chunk in chunks]
    assert combine_crc32c(pieces) == crc32c_of([b"".join(chunks)])


def test_combining_detects_a_changed_or_reordered_piece() -> None:
    a, b = b"first piece", b"second piece!"
    whole = crc32c_of([a + b])
    assert combine_crc32c([(crc32c_of([b]), len(b)), (crc32c_of([a]), len(a))]) != whole
    assert combine_crc32c([(crc32c_of([a]), len(a)), (crc32c_of([b"second piece?"]), 13)]) \
        != whole
    # The size matters too: the same CRCs with a wrong length for the second piece.
    assert combine_crc32c([(crc32c_of([a]), len(a)), (crc32c_of([b]), len(b) + 1)]) != whole
