"""The service as operators run it: `gateway serve` under gunicorn and `gateway keys`."""

from __future__ import annotations

import base64
import time

import google_crc32c
import requests

from tests.e2e.conftest import Service
from tests.support.api import MIB, put_part, random_bytes, slice_part


def test_keys_cli_creates_lists_and_revokes(service: Service) -> None:
    created = service.cli("keys", "create", "--tenant", "acme")
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("gwk_") and "shown once" in created.stderr
    listing = service.cli("keys", "list").stdout
    key_id = token.split("_")[1]
    assert key_id in listing and "acme" in listing and token.split("_", 2)[2] not in listing
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{service.url}/v1/uploads", headers=headers, timeout=10).ok
    assert service.cli("keys", "revoke", key_id).returncode == 0
    # Each worker may remember the key for GATEWAY_API_KEY_CACHE_TTL (1 s) after a lookup.
    deadline = time.monotonic() + 1 + 5  # the TTL, plus slack for a busy machine
    while True:
        revoked = requests.get(f"{service.url}/v1/uploads", headers=headers, timeout=10)
        if revoked.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert revoked.status_code == 401 and revoked.json()["error"] == "unauthorized"
    again = service.cli("keys", "revoke", key_id, check=False)
    assert again.returncode == 1 and "no active key" in again.stderr


def test_upload_through_the_served_api(service: Service) -> None:
    token = service.cli("keys", "create", "--tenant", "e2e").stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    data = random_bytes(12 * MIB + 7)
    upload = requests.post(f"{service.url}/v1/uploads", headers=headers, timeout=30, json={
        "filename": "e2e.bin", "num_bytes": len(data)}).json()
    tokens = [{"part_number": p["part_number"], "part_token": put_part(
        p["url"], slice_part(data, p["part_number"], upload["part_size"]))}
        for p in upload["parts"]]
    crc = base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()
    done = requests.post(f"{service.url}/v1/uploads/{upload['upload_id']}/complete",
                         headers=headers, timeout=60,
                         json={"parts": tokens, "integrity_checksum": crc})
    assert done.status_code == 200, done.text
    download = requests.get(f"{service.url}/v1/files/{done.json()['file_id']}/content",
                            headers=headers, timeout=60)  # follows the 302 to the store
    assert download.status_code == 200 and download.content == data
    assert download.history and download.history[0].status_code == 302


def test_served_errors_are_json_without_traces(service: Service) -> None:
    response = requests.post(f"{service.url}/v1/uploads", data="{", timeout=10, headers={
        "Content-Type": "application/json", "Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert requests.get(f"{service.url}/ready", timeout=10).json()["status"] == "ready"
    assert requests.get(f"{service.url}/openapi.json", timeout=10).json()["info"]["title"]


def test_a_second_server_on_a_port_in_use_refuses_to_start(service: Service) -> None:
    # The workers' sockets share their port (SO_REUSEPORT): another server must not join in.
    port = service.url.rsplit(":", 1)[1]
    second = service.cli("serve", "--port", port, "--workers", "1", check=False)
    assert second.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in second.stderr
    assert requests.get(f"{service.url}/health", timeout=10).ok
