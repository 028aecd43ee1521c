"""CRC32C encodings: S3's base64 form and hex, against known vectors."""

from __future__ import annotations

import pytest

from gateway.uploads.checksums import crc32c_hex, crc32c_of, format_crc32c, parse_crc32c

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
