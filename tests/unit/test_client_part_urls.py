"""Part URLs: batched signing, overlapping requests, composite parts signed once announced."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import google_crc32c

from gateway.client.checksum import crc32c_base64, extend_crc32c_pair
from gateway.client.config import TransferConfig
from gateway.client.part_urls import PartUrls

LATER = (datetime.now(UTC) + timedelta(hours=1)).isoformat()


class SigningGateway:
    """Answers POST .../urls like the gateway; a request can be held until released."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.hold: dict[int, threading.Event] = {}  # first part of a request -> release
        self.lock = threading.Lock()

    def call(self, method: str, path: str, *, json: dict[str, Any],
             stop: threading.Event | None = None) -> dict[str, Any]:
        with self.lock:
            self.bodies.append(json)
        items = json.get("parts") or [{"part_number": n} for n in json["part_numbers"]]
        release = self.hold.get(items[0]["part_number"])
        if release is not None:
            assert release.wait(10)
        return {"parts": [{"part_number": p["part_number"], "url": f"u{p['part_number']}",
                           "expires_at": LATER,
                           **({"headers": {"x-amz-checksum-crc32c": p["crc32c"]}}
                              if "crc32c" in p else {})} for p in items]}


def urls(gateway: SigningGateway, numbers: list[int], composite: bool = False) -> PartUrls:
    listed = [{"part_number": n, "url": None, "expires_at": None} for n in numbers]
    return PartUrls(gateway, "up", listed, TransferConfig(), composite)  # type: ignore[arg-type]


def test_one_request_signs_the_part_and_those_due_after_it() -> None:
    gateway = SigningGateway()
    part_urls = urls(gateway, [1, 2, 3, 4])
    assert part_urls.get(2).url == "u2"
    assert [part_urls.get(n).url for n in (3, 4)] == ["u3", "u4"]
    assert gateway.bodies == [{"part_numbers": [2, 3, 4]}]
    assert part_urls.get(1).url == "u1" and len(gateway.bodies) == 2


def test_a_part_already_being_signed_waits_for_that_request_and_others_do_not() -> None:
    gateway = SigningGateway()
    part_urls = urls(gateway, [1, 2, 3], composite=True)
    part_urls.announce(1, 11)
    part_urls.announce(2, 22)
    gateway.hold[1] = threading.Event()
    got: dict[int, str] = {}
    first = threading.Thread(target=lambda: got.update({1: part_urls.get(1).url}))
    first.start()
    while not gateway.bodies:
        threading.Event().wait(0.01)
    waiter = threading.Thread(target=lambda: got.update({2: part_urls.get(2).url}))
    waiter.start()
    part_urls.announce(3, 33)  # announced after part 1's request left: signed on its own
    assert part_urls.get(3).headers == {"x-amz-checksum-crc32c": crc32c_base64(33)}
    assert got == {} and waiter.is_alive()  # part 2 rides on the held request
    gateway.hold[1].set()
    first.join(10)
    waiter.join(10)
    assert got == {1: "u1", 2: "u2"}
    assert [[p["part_number"] for p in b["parts"]] for b in gateway.bodies] == [[1, 2], [3]]


def test_composite_requests_name_each_parts_crc32c() -> None:
    gateway = SigningGateway()
    part_urls = urls(gateway, [1, 2], composite=True)
    part_urls.announce(1, 0xE3069283)
    assert part_urls.get(1).headers == {"x-amz-checksum-crc32c": "4waSgw=="}
    assert gateway.bodies == [{"parts": [{"part_number": 1, "crc32c": "4waSgw=="}]}]


def test_a_refused_url_is_signed_again() -> None:
    gateway = SigningGateway()
    part_urls = urls(gateway, [1])
    part_urls.invalidate(1, part_urls.get(1).url)
    part_urls.get(1)
    assert len(gateway.bodies) == 2


def test_the_pair_gives_the_files_crc32c_and_the_parts_own() -> None:
    first, second = os.urandom(3 * 1024 * 1024 + 1), os.urandom(1024)
    whole, part = extend_crc32c_pair(google_crc32c.value(first), memoryview(second))
    assert whole == google_crc32c.value(first + second)
    assert part == google_crc32c.value(second)
