"""Resuming in the page: after a reload, after the browser went away, and after a pause, the
upload continues from the gateway's checkpoints without sending finished parts again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.support import Browsing, write_file
from tests.support.api import MIB, random_bytes

PART = 5 * MIB
RECORDS = "gateway.uploads.v1"


def start_slow_upload(browsing: Browsing, path: Path) -> None:
    """Choose a file on a throttled connection, two parts at a time, and wait until at least
    two parts are checkpointed while others are still on their way."""
    browsing.open("?concurrency=2")
    browsing.throttle_uploads(4 * MIB)
    browsing.choose(path)
    browsing.wait_until(lambda: len(browsing.gateway.checkpointed()) >= 2,
                        "two checkpointed parts")


def initiate_bodies(browsing: Browsing) -> list[dict[str, Any]]:
    """The JSON bodies of the page's initiate calls."""
    return [json.loads(body or "{}") for method, path, body in browsing.api_calls
            if method == "POST" and path == "/v1/uploads"]


def test_reload_mid_upload_resumes_without_resending_finished_parts(
        browsing: Browsing, files: Path, artifacts: Path) -> None:
    data = random_bytes(7 * PART - 1000)
    path = write_file(files, "resume.bin", data)
    start_slow_upload(browsing, path)
    browsing.page.screenshot(path=str(artifacts / "browser-upload-mid.png"))
    upload_id = browsing.row("resume.bin").get_attribute("data-upload-id")

    browsing.page.reload()
    browsing.throttle_uploads(-1)
    browsing.page.wait_for_selector("#key-status.ok")  # the tab's session kept the key
    done_before = browsing.gateway.checkpointed()
    assert 2 <= len(done_before) < 7
    assert "resume.bin" in browsing.page.inner_text("#unfinished-list")

    browsing.forget_traffic()
    browsing.choose(path)  # the same file again
    row = browsing.wait_for_state("resume.bin", "done")
    sent_after = browsing.part_puts
    assert sorted(sent_after) == sorted(set(range(1, 8)) - done_before)
    assert row.get_attribute("data-upload-id") == upload_id
    assert initiate_bodies(browsing)[0]["resume_if_started"] is True
    assert ("GET", f"/v1/uploads/{upload_id}", None) in browsing.api_calls  # inspect
    assert f"{len(done_before)} parts were resumed" in browsing.message("resume.bin")
    assert browsing.gateway.file_bytes(row.get_attribute("data-file-id")) == data
    assert browsing.page.is_hidden("#unfinished")  # the record is gone once complete


def test_a_new_browser_session_resumes_and_reads_lost_checksums_locally(
        browser: Any, browsing: Browsing, files: Path) -> None:
    data = random_bytes(6 * PART + 17)
    path = write_file(files, "restart.bin", data)
    start_slow_upload(browsing, path)
    state = browsing.context.storage_state()  # what the browser keeps on disk
    browsing.context.close()  # gone mid-upload, as in a crash
    done_before = browsing.gateway.checkpointed()
    # Lose the part checksums the page saved: it must read those parts again, locally.
    for origin in state["origins"]:
        for item in origin["localStorage"]:
            if item["name"] == RECORDS:
                records = json.loads(item["value"])
                for record in records.values():
                    assert record["part_crc32c"]  # they were saved at checkpoint
                    record["part_crc32c"] = {}
                item["value"] = json.dumps(records)

    context = browser.new_context(storage_state=state)
    try:
        again = Browsing(context=context, page=context.new_page(), gateway=browsing.gateway)
        again.watch()
        again.open(key=False)
        assert again.page.is_disabled("#files")  # a new session: the key must be pasted again
        assert "restart.bin" in again.page.inner_text("#unfinished-list")
        again.use_key()
        again.choose(path)
        row = again.wait_for_state("restart.bin", "done")
        assert sorted(again.part_puts) == sorted(set(range(1, 8)) - done_before)
        # The gateway verified the CRC32C the page completed with, so the re-read parts
        # entered the whole-file checksum correctly.
        assert again.gateway.file_bytes(row.get_attribute("data-file-id")) == data
    finally:
        context.close()


def test_pause_stops_sending_and_resume_finishes(browsing: Browsing, files: Path) -> None:
    data = random_bytes(4 * PART - 7)
    path = write_file(files, "pause.bin", data)
    browsing.open("?concurrency=2")
    browsing.throttle_uploads(4 * MIB)
    browsing.choose(path)
    row = browsing.row("pause.bin")
    browsing.wait_until(lambda: browsing.part_puts, "the first PUT")
    row.locator("[data-role=pause]").click()
    browsing.wait_for_state("pause.bin", "paused")
    sent = len(browsing.part_puts)
    browsing.page.wait_for_timeout(1500)
    assert len(browsing.part_puts) == sent  # nothing new while paused
    assert row.locator("[data-role=pause]").is_hidden()

    browsing.throttle_uploads(-1)
    row.locator("[data-role=resume]").click()
    browsing.wait_for_state("pause.bin", "done")
    assert set(browsing.part_puts) == {1, 2, 3, 4}
    assert browsing.gateway.file_bytes(row.get_attribute("data-file-id")) == data


def test_discarding_an_unfinished_upload_aborts_it(browsing: Browsing, files: Path) -> None:
    path = write_file(files, "discard.bin", random_bytes(6 * PART))
    start_slow_upload(browsing, path)
    browsing.page.reload()
    item = browsing.page.locator("#unfinished-list li", has_text="discard.bin")
    item.wait_for()
    upload_id = item.get_attribute("data-upload-id")
    item.locator("button", has_text="Discard").click()
    browsing.page.wait_for_selector("#unfinished", state="hidden")
    assert browsing.gateway.api("GET", f"/v1/uploads/{upload_id}")["status"] == "aborted"
    assert browsing.gateway.open_store_uploads() == []
    assert browsing.page.evaluate(f"localStorage.getItem('{RECORDS}')") == "{}"
