"""What goes wrong between a browser and a bucket, handled by the page: cancel aborts,
a bucket's CORS rule that hides the ETag or refuses the origin is named plainly, expired
URLs are re-signed and transient failures retried."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser.support import Browsing, part_number, write_file
from tests.support.api import MIB, random_bytes

PART = 5 * MIB


def s3_error(code: str, message: str) -> str:
    """An S3 error body."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")


def test_cancel_aborts_the_upload(browsing: Browsing, files: Path) -> None:
    path = write_file(files, "cancel.bin", random_bytes(5 * PART))
    browsing.open("?concurrency=1")
    browsing.throttle_uploads(4 * MIB)
    browsing.choose(path)
    gateway = browsing.gateway
    browsing.wait_until(gateway.checkpointed, "a checkpoint")
    assert gateway.open_store_uploads()  # the multipart upload exists in the store
    browsing.row("cancel.bin").locator("[data-role=cancel]").click()
    browsing.wait_for_state("cancel.bin", "cancelled")
    assert gateway.only_upload()["status"] == "aborted"
    assert gateway.open_store_uploads() == []  # nothing left dangling in the bucket
    assert "aborted" in browsing.message("cancel.bin")
    assert browsing.page.evaluate("localStorage.getItem('gateway.uploads.v1')") == "{}"
    assert browsing.page.is_hidden("#unfinished")


def test_an_etag_hidden_by_cors_is_named_plainly_and_setup_fixes_it(
        browsing: Browsing, files: Path, artifacts: Path) -> None:
    gateway = browsing.gateway
    # A rule that lets the PUT through but does not expose ETag to scripts.
    gateway.admin.put_bucket_cors(Bucket=gateway.bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [gateway.url], "AllowedMethods": ["PUT", "GET"],
        "AllowedHeaders": ["*"]}]})
    data = random_bytes(2 * PART + 1)
    browsing.open()
    browsing.choose(write_file(files, "hidden.bin", data))
    browsing.wait_for_state("hidden.bin", "failed")
    message = browsing.message("hidden.bin")
    assert "cannot read the part's ETag" in message
    assert "ExposeHeaders: ETag" in message and "gateway bucket setup" in message
    browsing.page.screenshot(path=str(artifacts / "browser-etag-hidden.png"))
    assert gateway.only_upload()["checkpointed_parts"] == []

    gateway.cli("bucket", "setup")
    browsing.retry("hidden.bin")
    row = browsing.wait_for_state("hidden.bin", "done")
    assert gateway.file_bytes(row.get_attribute("data-file-id")) == data


def test_a_bucket_refusing_the_origin_is_named_plainly(browsing: Browsing,
                                                       files: Path) -> None:
    gateway = browsing.gateway
    gateway.admin.delete_bucket_cors(Bucket=gateway.bucket)
    data = random_bytes(PART + 3)
    browsing.open()
    browsing.choose(write_file(files, "refused.bin", data))
    browsing.wait_for_state("refused.bin", "failed")
    message = browsing.message("refused.bin")
    assert "refused this page's cross-origin PUT" in message
    assert gateway.url in message and "GATEWAY_CORS_ORIGINS" in message

    gateway.cli("bucket", "setup")
    browsing.retry("refused.bin")
    row = browsing.wait_for_state("refused.bin", "done")
    assert gateway.file_bytes(row.get_attribute("data-file-id")) == data


def test_expired_urls_are_re_signed_and_transient_failures_retried(
        browsing: Browsing, files: Path) -> None:
    # moto checks no expiry, so the store's answers are played by the browser's router:
    # part 2's first PUT gets S3's expired-URL 403, part 3's first PUT a 503.
    injected = {2: (403, s3_error("AccessDenied", "Request has expired")),
                3: (503, s3_error("SlowDown", "Please reduce your request rate."))}
    answered: set[int] = set()
    origin = browsing.gateway.url

    def bucket(route: Any) -> None:
        number = part_number(route.request.url)
        if route.request.method == "PUT" and number in injected and number not in answered:
            answered.add(number)
            status, body = injected[number]
            route.fulfill(status=status, body=body, headers={
                "Content-Type": "application/xml", "Access-Control-Allow-Origin": origin})
        else:
            route.continue_()

    browsing.page.route(re.compile(r"[?&]partNumber=\d+"), bucket)
    data = random_bytes(3 * PART - 5)
    browsing.open()
    browsing.choose(write_file(files, "flaky.bin", data))
    row = browsing.wait_for_state("flaky.bin", "done")
    assert answered == {2, 3}
    assert sorted(browsing.part_puts) == [1, 2, 2, 3, 3]
    resigned = [json.loads(body or "{}")["part_numbers"] for method, path, body
                in browsing.api_calls if method == "POST" and path.endswith("/urls")]
    assert any(2 in numbers for numbers in resigned)  # a fresh URL for the expired one
    assert not any(3 in numbers for numbers in resigned)  # a 503 keeps its URL
    assert browsing.gateway.file_bytes(row.get_attribute("data-file-id")) == data
