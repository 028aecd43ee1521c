"""Helpers for the browser tests: the served gateway as a test sees it, and a page session
that remembers which part PUTs and API calls the browser made."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

BIN = os.path.dirname(sys.executable)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# The closed network here makes Chromium's background connections hang or fail: turn them off.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class WebGateway:
    """A served gateway, its bucket and an API key, as the browser tests use them."""

    url: str
    key: str
    bucket: str
    env: dict[str, str]
    admin: Any  # boto3 client of the store, for checking only

    def with_key(self, key: str) -> WebGateway:
        """The same gateway with this key."""
        return replace(self, key=key)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `gateway ...` with the gateway's configuration; it must succeed."""
        return subprocess.run([f"{BIN}/gateway", *args], env=self.env, capture_output=True,
                              text=True, check=True, timeout=120)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API with the key; the JSON answer (the call must succeed)."""
        response = requests.request(method, self.url + path, timeout=30, headers={
            "Authorization": f"Bearer {self.key}"}, **kwargs)
        assert response.ok, (response.status_code, response.text)
        return response.json()

    def only_upload(self, status: str | None = None) -> dict[str, Any]:
        """The one upload of the tenant (optionally in this status), inspected."""
        query = f"?status={status}" if status else ""
        items = self.api("GET", f"/v1/uploads{query}")["items"]
        assert len(items) == 1, items
        return dict(self.api("GET", f"/v1/uploads/{items[0]['upload_id']}"))

    def checkpointed(self) -> set[int]:
        """Part numbers checkpointed in the tenant's one upload in progress (none yet: empty)."""
        items = self.api("GET", "/v1/uploads?status=in_progress")["items"]
        if not items:
            return set()
        detail = self.api("GET", f"/v1/uploads/{items[0]['upload_id']}")
        return {p["part_number"] for p in detail["checkpointed_parts"]}

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file, downloaded through the gateway's redirect."""
        response = requests.get(f"{self.url}/v1/files/{file_id}/content", timeout=60,
                                headers={"Authorization": f"Bearer {self.key}"})
        assert response.status_code == 200, response.text
        return response.content

    def open_store_uploads(self) -> list[dict[str, Any]]:
        """Multipart uploads the store still holds in the bucket."""
        return list(self.admin.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))


@dataclass
class Browsing:
    """One browser context and page on the uploader, with its traffic recorded."""

    context: Any
    page: Any
    gateway: WebGateway
    part_puts: list[int] = field(default_factory=list)  # part numbers, in request order
    put_responses: list[Any] = field(default_factory=list)
    api_calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    cdp: Any = None  # a DevTools session, once uploads are throttled

    def watch(self) -> None:
        """Record the page's part PUTs, API calls and console errors."""
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(
            m.text))
        self.page.set_default_timeout(TIMEOUT_MS)

    def _request(self, request: Any) -> None:
        if request.method == "PUT" and "partNumber=" in request.url:
            self.part_puts.append(part_number(request.url))
        elif request.url.startswith(self.gateway.url + "/v1/"):
            path = request.url[len(self.gateway.url):]
            self.api_calls.append((request.method, path, request.post_data))

    def _response(self, response: Any) -> None:
        if response.request.method == "PUT" and "partNumber=" in response.url:
            self.put_responses.append(response)

    def open(self, query: str = "", key: bool = True) -> None:
        """Load the page (no key needed for that) and, unless told not to, paste the key."""
        response = self.page.goto(f"{self.gateway.url}/web/{query}")
        assert response is not None and response.status == 200
        if key:
            self.use_key()

    def use_key(self) -> None:
        """Paste the API key and wait for the page to accept it."""
        self.page.fill("#api-key", self.gateway.key)
        self.page.click("#key-form button[type=submit]")
        self.page.wait_for_selector("#key-status.ok")

    def choose(self, *paths: Path) -> None:
        """Choose files in the picker, as a user would."""
        self.page.set_input_files("#files", [str(p) for p in paths])

    def row(self, name: str) -> Any:
        """The upload row of a file."""
        return self.page.locator(".upload", has=self.page.locator(
            "[data-role=name]", has_text=name)).first

    def retry(self, name: str) -> None:
        """Press a failed row's Retry and wait until the row has left `failed`.

        Without the second wait, a wait for the next state could match the old `failed`.
        """
        row = self.row(name)
        row.locator("[data-role=resume]").click()
        row.and_(self.page.locator(".upload:not([data-state=failed])")).wait_for()

    def wait_for_state(self, name: str, state: str) -> Any:
        """Wait until a file's row reaches a state (or fails: then say why); return the row."""
        row = self.row(name)
        ends = f"[data-state={state}], [data-state=failed]"
        row.and_(self.page.locator(ends)).wait_for()
        reached = row.get_attribute("data-state")
        assert reached == state, f"{name} is {reached}, not {state}: {self.message(name)}"
        return row

    def message(self, name: str) -> str:
        """The row's status message."""
        return str(self.row(name).locator("[data-role=message]").inner_text())

    def wait_until(self, condition: Any, what: str, timeout: float = 60.0) -> Any:
        """Poll `condition()` until it returns something truthy, letting the page run
        (Playwright delivers events and routes only while the test waits on it)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(100)

    def throttle_uploads(self, bytes_per_second: int) -> None:
        """Slow the page's uploads down (DevTools network emulation), or -1 for full speed."""
        if self.cdp is None:
            self.cdp = self.context.new_cdp_session(self.page)
            self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second})

    def forget_traffic(self) -> None:
        """Start the request log afresh."""
        self.part_puts.clear()
        self.put_responses.clear()
        self.api_calls.clear()


def part_number(url: str) -> int:
    """The partNumber of a presigned part URL."""
    return int(parse_qs(urlsplit(url).query)["partNumber"][0])


def origin_of(url: str) -> str:
    """scheme://host:port of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def write_file(folder: Path, name: str, data: bytes) -> Path:
    """A file to choose in the page."""
    path = folder / name
    path.write_bytes(data)
    return path
