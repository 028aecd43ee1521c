"""The page's JavaScript CRC32C (gateway/web/crc32c.js), run in Chromium, against known
vectors and against google-crc32c on the same bytes."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import google_crc32c
import pytest

from tests.browser.support import Browsing, WebGateway

# Loads the module the page itself uses, from the served page's origin.
IMPORT = "const m = await import('/web/crc32c.js');"


def run(browsing: Browsing, body: str, arg: Any = None) -> Any:
    """Evaluate `body` (which may use `m`, the module, and `arg`) in the page."""
    return browsing.page.evaluate(f"async (arg) => {{ {IMPORT} {body} }}", arg)


@pytest.fixture(scope="module")
def module_page(browser: Any, shared_gateway: WebGateway) -> Iterator[Browsing]:
    """The uploader page, loaded once without a key (the page needs none to load)."""
    context = browser.new_context()
    session = Browsing(context=context, page=context.new_page(), gateway=shared_gateway)
    session.watch()
    session.open(key=False)
    yield session
    context.close()


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0x00000000),
    ("123456789", 0xE3069283),
    ("a", 0xC1D04330),
    ("The quick brown fox jumps over the lazy dog", 0x22620404),
])
def test_known_text_vectors(module_page: Browsing, text: str, expected: int) -> None:
    got = run(module_page, "return m.crc32c(new TextEncoder().encode(arg));", text)
    assert got == expected


@pytest.mark.parametrize(("fill", "expected"), [(0x00, 0x8A9136AA), (0xFF, 0x62A8AB43)])
def test_known_32_byte_vectors(module_page: Browsing, fill: int, expected: int) -> None:
    got = run(module_page, "return m.crc32c(new Uint8Array(32).fill(arg));", fill)
    assert got == expected


def test_matches_google_crc32c_for_every_length_up_to_40(module_page: Browsing) -> None:
    data = os.urandom(40)
    got = run(module_page, """
        const bytes = Uint8Array.from(atob(arg), (c) => c.charCodeAt(0));
        return Array.from({length: bytes.length + 1}, (_, n) => m.crc32c(bytes.subarray(0, n)));
    """, base64.b64encode(data).decode())
    assert got == [google_crc32c.value(data[:n]) for n in range(41)]


def test_extends_chunk_by_chunk(module_page: Browsing) -> None:
    data = os.urandom(100_003)
    got = run(module_page, """
        const bytes = Uint8Array.from(atob(arg), (c) => c.charCodeAt(0));
        let crc = 0;
        for (let i = 0; i < bytes.length; i += 4097) {
            crc = m.crc32c(bytes.subarray(i, i + 4097), crc);
        }
        return crc;
    """, base64.b64encode(data).decode())
    assert got == google_crc32c.value(data)


@pytest.mark.parametrize("split", [0, 1, 7, 8, 50_000, 99_999, 100_000])
def test_combine_joins_adjacent_runs(module_page: Browsing, split: int) -> None:
    data = os.urandom(100_000)
    got = run(module_page, """
        const bytes = Uint8Array.from(atob(arg.data), (c) => c.charCodeAt(0));
        const a = bytes.subarray(0, arg.split), b = bytes.subarray(arg.split);
        return m.crc32cCombine(m.crc32c(a), m.crc32c(b), b.length);
    """, {"data": base64.b64encode(data).decode(), "split": split})
    assert got == google_crc32c.value(data)


def test_combine_handles_lengths_beyond_32_bits(module_page: Browsing) -> None:
    # A part can be 5 GiB, more than 32 bits of length: "abc" then 5 GiB of zeros.
    length = 5 * 1024**3
    chunk = bytes(64 * 1024 * 1024)
    zeros = 0
    for _ in range(length // len(chunk)):
        zeros = google_crc32c.extend(zeros, chunk)
    whole = google_crc32c.value(b"abc")
    for _ in range(length // len(chunk)):
        whole = google_crc32c.extend(whole, chunk)
    got = run(module_page, """
        const abc = m.crc32c(new TextEncoder().encode("abc"));
        return m.crc32cCombine(abc, arg.zeros, arg.length);
    """, {"zeros": zeros, "length": length})
    assert got == whole


def test_blob_checksum_streams_large_blobs(module_page: Browsing) -> None:
    size = 65 * 1024 * 1024 + 3  # over the single-read limit: read as a stream
    got = run(module_page, """
        const bytes = new Uint8Array(arg);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
        let seen = 0;
        const crc = await m.crc32cOfBlob(new Blob([bytes]), (n) => { seen += n; });
        return [crc, seen];
    """, size)
    pattern = bytes((i * 31 + 7) & 0xFF for i in range(256))
    data = (pattern * (size // 256 + 1))[:size]
    assert got == [google_crc32c.value(data), size]


def test_base64_and_hex_match_s3_encoding(module_page: Browsing) -> None:
    got = run(module_page, "return [m.crc32cBase64(0xE3069283), m.crc32cHex(0x1a)];")
    assert got == [base64.b64encode(bytes.fromhex("e3069283")).decode(), "0000001a"]
