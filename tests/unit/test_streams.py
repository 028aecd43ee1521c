"""Length-exact body reading and part buffering, without any I/O but BytesIO."""

from __future__ import annotations

import io
import os

import google_crc32c
import pytest

from gateway.errors import GatewayError
from gateway.uploads.streams import ExactBodyReader, PartBuffer


class Trickle(io.RawIOBase):
    """A source that hands out at most `step` bytes a read, like a socket."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(self._step, size if size >= 0 else self._step))


class Broken(io.RawIOBase):
    """A source whose client went away."""

    def read(self, size: int = -1) -> bytes:
        raise ConnectionResetError("peer reset")


def drain(reader: ExactBodyReader, block: int) -> bytes:
    out = bytearray()
    while chunk := reader.read(block):
        out += chunk
    return bytes(out)


@pytest.mark.parametrize("length,block,step", [(0, 16, 16), (1, 16, 16), (1000, 7, 3),
                                               (1000, 1000, 1000), (1000, 4096, 5),
                                               (65536, 16384, 65536)])
def test_exact_length_is_read_whole_with_its_crc32c(length: int, block: int, step: int) -> None:
    data = os.urandom(length)
    reader = ExactBodyReader(Trickle(data, step), length)
    assert drain(reader, block) == data
    assert reader.bytes_read == length and reader.crc32c == google_crc32c.value(data)
    assert reader.read(block) == b"" and reader.failure is None


@pytest.mark.parametrize("step", [1, 10, 4096])
def test_a_short_body_raises_before_the_end(step: int) -> None:
    reader = ExactBodyReader(Trickle(b"x" * 99, step), 100, "part 2")
    with pytest.raises(GatewayError) as raised:
        drain(reader, 32)
    assert raised.value.kind.code == "size_mismatch"
    assert raised.value.details == {"expected_bytes": 100, "received_bytes": 99}
    assert reader.failure is raised.value and "part 2 has 99 bytes" in raised.value.message


@pytest.mark.parametrize("extra", [1, 5000])
def test_a_long_body_raises_before_its_last_byte_is_handed_out(extra: int) -> None:
    reader = ExactBodyReader(Trickle(b"y" * (100 + extra), 7), 100)
    handed: list[bytes] = []
    with pytest.raises(GatewayError) as raised:
        while chunk := reader.read(30):
            handed.append(chunk)
    assert raised.value.kind.code == "size_mismatch"
    assert sum(map(len, handed)) < 100  # the store never saw the full length


def test_a_broken_source_is_an_incomplete_body() -> None:
    reader = ExactBodyReader(Broken(), 10)
    with pytest.raises(GatewayError) as raised:
        reader.read(5)
    assert raised.value.kind.code == "incomplete_body" and raised.value.kind.status == 400


@pytest.mark.parametrize("total,chunk", [(0, 10), (10, 3), (25, 5), (26, 5), (31, 7),
                                         (100, 100), (101, 1)])
def test_part_buffer_yields_full_parts_only_when_more_follows(total: int, chunk: int) -> None:
    data = os.urandom(total)
    buffer = PartBuffer(part_size=10)
    parts: list[bytes] = []
    for start in range(0, total, chunk):
        parts += list(buffer.add(data[start:start + chunk]))
        assert buffer.pending <= 10 + chunk
    rest = buffer.rest()
    assert all(len(p) == 10 for p in parts) and 0 < len(rest) <= 10 or total == 0
    assert b"".join(parts) + rest == data
    assert len(parts) == max(0, -(-total // 10) - 1)
    assert buffer.total == total and buffer.crc32c == google_crc32c.value(data)


def test_a_body_short_of_its_own_content_length_is_incomplete() -> None:
    reader = ExactBodyReader(Trickle(b"x" * 60, 25), 100, declared=True)
    with pytest.raises(GatewayError) as raised:
        drain(reader, 32)
    assert raised.value.kind.code == "incomplete_body"
    assert raised.value.details == {"expected_bytes": 100, "received_bytes": 60}
