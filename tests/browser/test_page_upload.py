"""The uploader page in Chromium: files go straight to the bucket, cross-origin, and arrive
byte-identical with the CRC32C the page computed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import google_crc32c
import requests

from tests.browser.support import Browsing, origin_of, write_file
from tests.support.api import MIB, random_bytes


def crc_base64(data: bytes) -> str:
    """The CRC32C as the gateway reports it."""
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def test_page_loads_without_a_key_and_asks_for_one(browsing: Browsing, files: Path) -> None:
    browsing.open(key=False)
    assert browsing.page.title() == "Upload to the bucket"
    assert browsing.page.is_disabled("#files")
    browsing.page.fill("#api-key", "gwk_nosuchkey_secret")
    browsing.page.click("#key-form button[type=submit]")
    browsing.page.wait_for_selector("#key-status.error")
    assert "does not know this key" in browsing.page.inner_text("#key-status")
    assert browsing.page.evaluate("sessionStorage.getItem('gateway.apiKey')") is None
    browsing.use_key()
    assert browsing.page.is_enabled("#files")
    # Kept for this tab's session only, never in localStorage.
    assert browsing.page.evaluate("sessionStorage.getItem('gateway.apiKey')") == \
        browsing.gateway.key
    assert browsing.gateway.key not in browsing.page.evaluate("JSON.stringify(localStorage)")


def test_uploads_several_files_straight_to_the_bucket(browsing: Browsing, files: Path) -> None:
    big = random_bytes(12 * MIB + 12345)  # three 5 MiB parts, the last one short
    small = b"hello, bucket\n"
    paths = [write_file(files, "big.bin", big), write_file(files, "small.txt", small),
             write_file(files, "empty.dat", b"")]
    browsing.open()
    browsing.choose(*paths)
    for path, data in zip(paths, [big, small, b""], strict=True):
        row = browsing.wait_for_state(path.name, "done")
        file_id = row.get_attribute("data-file-id")
        assert file_id and row.locator("[data-role=file-id]").inner_text() == file_id
        assert browsing.gateway.file_bytes(file_id) == data
        record = browsing.gateway.api("GET", f"/v1/files/{file_id}")
        assert record["filename"] == path.name and record["num_bytes"] == len(data)
        assert record["checksum"]["crc32c"] == crc_base64(data)
        # The page's download link is a presigned GET of the same bytes.
        link = row.locator("[data-role=download]").get_attribute("href")
        assert link and requests.get(link, timeout=30).content == data
    assert sorted(browsing.part_puts) == [1, 1, 2, 3]  # the 0-byte file has no parts
    assert browsing.console_errors == []


def test_parts_are_cross_origin_puts_allowed_by_the_bucket_rule(browsing: Browsing,
                                                                files: Path) -> None:
    data = random_bytes(6 * MIB)
    browsing.open()
    browsing.choose(write_file(files, "cors.bin", data))
    browsing.wait_for_state("cors.bin", "done")
    page_origin = browsing.gateway.url
    assert len(browsing.put_responses) == 2
    for response in browsing.put_responses:
        assert origin_of(response.url) != page_origin  # the bucket is another origin
        headers = response.all_headers()
        # The store answered by the bucket's own rule (set by `gateway bucket setup`),
        # naming this page's origin, and exposed the ETag the page needed.
        assert headers["access-control-allow-origin"] == page_origin
        assert "etag" in headers["access-control-expose-headers"].lower()


def test_the_whole_file_crc32c_goes_with_complete(browsing: Browsing, files: Path) -> None:
    data = random_bytes(11 * MIB + 1)
    browsing.open()
    browsing.choose(write_file(files, "crc.bin", data))
    browsing.wait_for_state("crc.bin", "done")
    completes = [json.loads(body or "{}") for method, path, body in browsing.api_calls
                 if method == "POST" and path.endswith("/complete")]
    assert len(completes) == 1
    assert completes[0]["integrity_checksum"] == crc_base64(data)


def test_progress_shows_bytes_parts_and_rate(browsing: Browsing, files: Path,
                                             artifacts: Path) -> None:
    data = random_bytes(15 * MIB)
    browsing.open("?concurrency=1")
    browsing.throttle_uploads(3 * MIB)
    browsing.choose(write_file(files, "slow.bin", data))
    stats = browsing.row("slow.bin").locator("[data-role=stats]")
    text = browsing.wait_until(
        lambda: (t := stats.inner_text()) and "/s" in t and "1 of 3 parts" in t and t,
        "a rate and one finished part")
    assert " of 15.0 MiB" in text
    value = browsing.row("slow.bin").locator("[data-role=bar]").evaluate("bar => bar.value")
    assert 0.2 < value < 1
    browsing.page.screenshot(path=str(artifacts / "browser-upload-progress.png"))
    browsing.throttle_uploads(-1)
    browsing.wait_for_state("slow.bin", "done")


def test_the_api_answers_browsers_on_allowed_origins_only(browsing: Browsing) -> None:
    # The same gateway under two names: 127.0.0.1 is in GATEWAY_CORS_ORIGINS, localhost not.
    allowed = browsing.gateway.url
    other = allowed.replace("127.0.0.1", "localhost")
    call = """async ([url, key]) => {
        try {
            const response = await fetch(url + "/v1/uploads", {
                headers: {Authorization: "Bearer " + key}});
            return [response.status, (await response.json()).items.length];
        } catch (error) { return ["blocked", String(error)]; }
    }"""
    browsing.open(key=False)  # the page on 127.0.0.1 calls the API as localhost
    assert browsing.page.evaluate(call, [other, browsing.gateway.key]) == [200, 0]
    browsing.page.goto(f"{other}/web/")  # the page on localhost calls it as 127.0.0.1
    assert browsing.page.evaluate(call, [allowed, browsing.gateway.key])[0] == "blocked"
    assert any("CORS" in e or "Access-Control" in e for e in browsing.console_errors)
