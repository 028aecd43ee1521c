"""Pure pieces of the client: buffers, part bodies, backoff, retries, checksums, names."""

from __future__ import annotations

import base64
import os
import threading

import google_crc32c
import pytest

from gateway.client.checksum import crc32c_base64, crc32c_from_base64, extend_crc32c
from gateway.client.config import TransferConfig
from gateway.client.download import local_name
from gateway.client.errors import TransferError
from gateway.client.http import Transient, backoff_delay, with_retries
from gateway.client.parts import BufferPool, PartBody, Stopped, store_error_text


def test_the_buffer_pool_never_makes_more_than_its_limit() -> None:
    pool, stop = BufferPool(16, 2), threading.Event()
    first, second = pool.take(stop), pool.take(stop)
    assert pool.made == 2 and len(first) == 16
    got: list[bytearray] = []
    waiter = threading.Thread(target=lambda: got.append(pool.take(stop)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and got == []  # waits for a buffer to come back
    pool.give(first)
    waiter.join(5)
    assert got == [first] and pool.made == 2
    stop.set()
    with pytest.raises(Stopped):
        pool.take(stop)
    pool.give(second)


def test_a_part_body_hands_out_large_views_and_counts_what_went() -> None:
    data = bytearray(os.urandom(3 * 1024 * 1024 + 5))
    sent: list[int] = []
    body = PartBody(memoryview(data), sent.append)
    assert len(body) == len(data)
    chunks = []
    while chunk := body.read(16384):
        chunks.append(bytes(chunk))
    assert b"".join(chunks) == data and len(chunks) == 4 and sum(sent) == len(data)
    assert body.sent == len(data)


def test_backoff_is_jittered_exponential_and_capped() -> None:
    config = TransferConfig(backoff_base=0.5, backoff_max=4.0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (10, 4.0)]:
        delays = [backoff_delay(attempt, config) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays) and max(delays) > ceiling / 2
    assert backoff_delay(1, config, retry_after=2.5) == 2.5
    assert backoff_delay(1, config, retry_after=100) == 4.0


def test_retries_stop_after_max_attempts_with_the_last_cause() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Transient("503 SlowDown")
        return "ok"

    config = TransferConfig(max_attempts=3, backoff_base=0.001)
    assert with_retries(flaky, config, "PUT part 1") == "ok" and len(calls) == 3
    calls.clear()
    with pytest.raises(TransferError, match="PUT part 1: gave up after 2 tries: 503 SlowDown"):
        with_retries(flaky, TransferConfig(max_attempts=2, backoff_base=0.001), "PUT part 1")


def test_the_crc32c_extends_over_parts_in_file_order() -> None:
    data = os.urandom(5 * 1024 * 1024 + 3)
    crc = 0
    for start in range(0, len(data), 2 * 1024 * 1024):
        crc = extend_crc32c(crc, memoryview(bytearray(data[start:start + 2 * 1024 * 1024])))
    assert crc == google_crc32c.value(data)
    encoded = crc32c_base64(crc)
    assert base64.b64decode(encoded) == crc.to_bytes(4, "big")
    assert crc32c_from_base64(encoded) == crc


def test_s3_error_bodies_are_read_for_code_and_message() -> None:
    body = ("<?xml version='1.0'?><Error><Code>AccessDenied</Code>"
            "<Message>Request has expired</Message></Error>")
    assert store_error_text(body) == ("AccessDenied", "Request has expired")
    assert store_error_text("<html>busy</html>") == ("", "")


@pytest.mark.parametrize(("stored", "local"), [
    ("report.pdf", "report.pdf"), ("../../etc/passwd", "passwd"), ("a\\b\\c.txt", "c.txt"),
    ("..", "FILE-ID"), ("dir/", "FILE-ID"), ("tab\there", "tab_here")])
def test_downloads_get_a_safe_local_name(stored: str, local: str) -> None:
    assert local_name(stored, "FILE-ID") == local
