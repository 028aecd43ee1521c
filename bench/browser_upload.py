"""The browser's upload against the Python client's, on the same gateway and store, one run.

A 256 MiB file goes through the uploader page in headless Chromium (Debian's package,
driven by Playwright) and through the project's Python client (`gateway.client`): the same
native API (initiate, parallel part PUTs straight to the bucket, checkpoints, complete with
the whole-file CRC32C), the same part size (the gateway's plan) and the same number of parts
in flight. Runs alternate so the machine's noise falls on both; medians and the ratio print
at the end. Run: .venv/bin/python -m bench.browser_upload [--mib 256] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.harness import BIN, Gateway, median, running_gateway  # noqa: E402
from gateway.client import GatewayClient, TransferConfig  # noqa: E402
from tests.browser.support import CHROMIUM_ARGS  # noqa: E402
from tests.support.s3server import moto_server  # noqa: E402

MIB = 1024 * 1024
CHROMIUM = os.environ.get("GATEWAY_CHROMIUM", "/usr/bin/chromium")


def python_upload(gateway: Gateway, path: Path, concurrency: int) -> str:
    """Upload with the project's Python client (gateway.client), same parts in flight."""
    client = GatewayClient(gateway.url, gateway.key, TransferConfig(concurrency=concurrency))
    return client.upload_file(path).file_id


def browser_upload(browser: Any, gateway: Gateway, path: Path, concurrency: int
                   ) -> tuple[float, str]:
    """Upload through the page: (seconds from choosing the file to `done`, file id)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{gateway.url}/web/?concurrency={concurrency}")
        page.fill("#api-key", gateway.key)
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("#key-status.ok")
        started = time.perf_counter()
        page.set_input_files("#files", str(path))
        row = page.wait_for_selector(".upload[data-state=done], .upload[data-state=failed]",
                                     timeout=600_000)
        elapsed = time.perf_counter() - started
        assert row is not None
        if row.get_attribute("data-state") != "done":
            raise RuntimeError(row.inner_text())
        return elapsed, str(row.get_attribute("data-file-id"))
    finally:
        context.close()


def forget(gateway: Gateway, file_id: str) -> None:
    """Delete the file, so the in-memory store does not grow run after run."""
    requests.delete(f"{gateway.url}/v1/files/{file_id}", headers=gateway.headers(),
                    timeout=60).raise_for_status()


def main() -> int:
    """Run the comparison and print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    chromium = shutil.which(CHROMIUM)
    if chromium is None:
        print(f"bench.browser_upload: no Chromium at {CHROMIUM} (apt-get install chromium); "
              "skipped")
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, moto_server(enforce_cors=True) as store, \
            running_gateway(workers=2, threads=8, s3=store) as gateway, \
            sync_playwright() as playwright:
        subprocess.run([f"{BIN}/gateway", "bucket", "setup"], check=True, capture_output=True,
                       env={**gateway.env, "GATEWAY_CORS_ORIGINS": gateway.url})
        path = Path(folder) / "bench.bin"
        with open(path, "wb") as out:
            for _ in range(args.mib):
                out.write(os.urandom(MIB))
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        browser_times: list[float] = []
        python_times: list[float] = []
        print(f"{args.mib} MiB, {args.concurrency} parts in flight, gateway's part size, "
              f"{args.runs} runs each, alternating")
        for run in range(args.runs):
            seconds, file_id = browser_upload(browser, gateway, path, args.concurrency)
            forget(gateway, file_id)
            browser_times.append(seconds)
            started = time.perf_counter()
            file_id = python_upload(gateway, path, args.concurrency)
            python_times.append(time.perf_counter() - started)
            forget(gateway, file_id)
            print(f"  run {run + 1}: browser {browser_times[-1]:.2f} s, "
                  f"python {python_times[-1]:.2f} s")
        browser.close()
    b, p = median(browser_times), median(python_times)
    print(f"browser (Chromium, the page)   median {b:.2f} s  {args.mib / b:.0f} MiB/s")
    print(f"python (gateway.client)       median {p:.2f} s  {args.mib / p:.0f} MiB/s")
    print(f"ratio browser/python: {b / p:.2f} (above 1: the browser is slower)")
    # Each run's pair ran back to back, so its own ratio sees the same machine load.
    paired = median([x / y for x, y in zip(browser_times, python_times, strict=True)])
    print(f"median of the runs' own ratios: {paired:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
