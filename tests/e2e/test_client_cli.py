"""`gateway upload | download | ls | rm` as people and scripts run them, against `gateway
serve` and moto: summaries and JSON, resume after SIGKILL, the progress bar, exit codes."""

from __future__ import annotations

import base64
import json
import os
import pty
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google_crc32c
import pytest
import requests

from tests.e2e.conftest import BIN, Service
from tests.support.api import MIB, random_bytes
from tests.support.s3server import S3Endpoint, free_port, wait_for_http
from tests.support.store_proxy import StoreProxy, store_proxy

PART = 5 * MIB


def _key(service: Service) -> str:
    return service.cli("keys", "create", "--tenant", "cli").stdout.strip().splitlines()[-1]


def _client_env(service: Service, key: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in service.env.items() if k not in ("GATEWAY_URL", "GATEWAY_API_KEY")}
    env.update({"GATEWAY_URL": service.url, "GATEWAY_API_KEY": key or _key(service), **extra})
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/gateway", *args], env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture
def proxied(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path
            ) -> Iterator[tuple[Service, StoreProxy]]:
    """`gateway serve` whose presigned URLs point at a store proxy in front of moto."""
    with store_proxy(s3.url) as proxy:
        env = dict(os.environ)
        env.update({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_S3_ENDPOINT_URL": s3.url,
                    "GATEWAY_S3_PUBLIC_ENDPOINT_URL": proxy.url, "GATEWAY_S3_BUCKET": bucket,
                    "GATEWAY_S3_REGION": s3.region, "GATEWAY_MIN_PART_SIZE": str(PART),
                    "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key})
        port = free_port()
        with open(tmp_path / "serve.log", "w") as log:
            process = subprocess.Popen([f"{BIN}/gateway", "serve", "--port", str(port)],
                                       env=env, stdout=log, stderr=log)
            try:
                wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60)
                yield Service(f"http://127.0.0.1:{port}", env), proxy
            finally:
                process.terminate()
                process.wait(timeout=30)


def test_upload_several_files_then_ls_download_and_rm(service: Service, tmp_path: Path) -> None:
    env = _client_env(service)
    first, second = random_bytes(2 * PART + 9), random_bytes(0)
    (tmp_path / "a.bin").write_bytes(first)
    (tmp_path / "empty.txt").write_bytes(second)
    up = _run(env, "upload", str(tmp_path / "a.bin"), str(tmp_path / "empty.txt"), "--json")
    assert up.returncode == 0, up.stderr
    report = json.loads(up.stdout)
    assert report["failed"] == [] and [u["num_bytes"] for u in report["uploaded"]] == [
        len(first), 0]
    ids = [u["file_id"] for u in report["uploaded"]]
    assert report["uploaded"][1]["content_type"] == "text/plain"
    listing = _run(env, "ls")
    assert listing.returncode == 0 and listing.stdout.splitlines()[0].split() == [
        "FILE", "ID", "SIZE", "CREATED", "NAME"]
    assert all(i in listing.stdout for i in ids) and "10.0 MiB" in listing.stdout
    out = tmp_path / "out"
    out.mkdir()
    down = _run(env, "download", *ids, "-o", str(out))
    assert down.returncode == 0, down.stderr
    assert (out / "a.bin").read_bytes() == first and (out / "empty.txt").read_bytes() == b""
    assert down.stdout.count("CRC32C verified") == 2
    removed = _run(env, "rm", *ids)
    assert removed.returncode == 0 and removed.stdout.split() == [
        "deleted", ids[0], "deleted", ids[1]]
    assert json.loads(_run(env, "ls", "--json").stdout) == []


def test_the_upload_summary_names_ids_sizes_and_checksums(service: Service,
                                                          tmp_path: Path) -> None:
    (tmp_path / "s.bin").write_bytes(b"hello, bucket\n")
    done = _run(_client_env(service), "upload", str(tmp_path / "s.bin"))
    assert done.returncode == 0 and done.stderr == ""  # no progress bar into a pipe
    header, row, total = done.stdout.splitlines()
    assert header.split() == ["FILE", "ID", "SIZE", "CRC32C", "NAME"]
    crc = base64.b64encode(google_crc32c.value(b"hello, bucket\n").to_bytes(4, "big")).decode()
    assert row.split()[1:] == ["14", "B", crc, "s.bin"]
    assert total == "1 uploaded (14 B), 0 failed"


def _in_progress(service: Service, key: str) -> dict[str, Any] | None:
    headers = {"Authorization": f"Bearer {key}"}
    items = requests.get(f"{service.url}/v1/uploads", params={"status": "in_progress"},
                         headers=headers, timeout=10).json()["items"]
    if not items:
        return None
    detail: dict[str, Any] = requests.get(f"{service.url}/v1/uploads/{items[0]['upload_id']}",
                                          headers=headers, timeout=10).json()
    return detail


def _settled(service: Service, key: str) -> dict[str, Any]:
    """The upload once a checkpoint call the killed process left in flight has landed."""
    previous = _in_progress(service, key)
    while True:
        time.sleep(0.3)
        current = _in_progress(service, key)
        if current == previous and current is not None:
            return current
        previous = current


def test_an_upload_killed_mid_way_resumes_and_sends_only_the_missing_parts(
        proxied: tuple[Service, StoreProxy], s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    service, proxy = proxied
    key = _key(service)
    env = _client_env(service, key)
    data = random_bytes(16 * PART + 77)  # 17 parts
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    proxy.put_delay = 0.3  # slow enough to kill mid-way
    command = ["upload", str(source), "-j", "2", "--checkpoint-every", "2", "--json"]
    process = subprocess.Popen([f"{BIN}/gateway", *command], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        upload = _in_progress(service, key)
        if upload and len(upload["checkpointed_parts"]) >= 4:
            break
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    proxy.put_delay = 0
    proxy.wait_idle()  # PUTs the killed process left in flight still reach the store
    before = _settled(service, key)
    missing = before["missing_parts"]
    assert 0 < len(missing) < 17
    proxy.seen.clear()
    again = _run(env, *command)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)["uploaded"][0]
    assert result["resumed"] and result["upload_id"] == before["upload_id"]
    assert sorted(proxy.puts()) == missing and result["parts_sent"] == len(missing)
    assert result["parts_skipped"] == 17 - len(missing)
    keys = [o["Key"] for o in s3_admin.list_objects_v2(Bucket=bucket)["Contents"]]
    assert [s3_admin.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys] == [data]
    assert _in_progress(service, key) is None
    assert s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_ctrl_c_checkpoints_the_stored_parts_before_exiting(
        proxied: tuple[Service, StoreProxy], tmp_path: Path) -> None:
    service, proxy = proxied
    key = _key(service)
    (tmp_path / "int.bin").write_bytes(random_bytes(12 * PART))
    proxy.put_delay = 0.3
    process = subprocess.Popen(  # no batch would fill: only the way out checkpoints
        [f"{BIN}/gateway", "upload", str(tmp_path / "int.bin"), "-j", "2",
         "--checkpoint-every", "100"], env=_client_env(service, key),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(proxy.puts(200)) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == (
        "gateway: interrupted; run the same command again to resume")
    upload = _in_progress(service, key)
    assert upload is not None
    stored = sorted(set(proxy.puts(200)))
    assert [p["part_number"] for p in upload["checkpointed_parts"]] == stored
    assert len(stored) < 12


def _on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal; (status, stdout, what the terminal showed)."""
    controller, terminal = pty.openpty()
    with subprocess.Popen([f"{BIN}/gateway", *args], env=env, stdout=subprocess.PIPE,
                          stderr=terminal, text=True) as process:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        stdout, _ = process.communicate(timeout=60)
    return process.returncode, stdout, shown.decode()


def test_a_progress_bar_on_a_terminal_and_none_with_quiet(
        proxied: tuple[Service, StoreProxy], tmp_path: Path) -> None:
    service, proxy = proxied
    env = _client_env(service)
    (tmp_path / "bar.bin").write_bytes(random_bytes(6 * PART))
    proxy.put_delay = 0.4
    status, stdout, shown = _on_a_terminal(env, "upload", str(tmp_path / "bar.bin"), "-j", "2")
    assert status == 0 and "1 uploaded" in stdout
    frames = shown.split("\r")
    assert len(frames) > 3 and any("ETA" in f and "MiB/s" in f and "[#" in f for f in frames)
    assert "uploaded bar.bin: 30.0 MiB in" in shown.rstrip().split("\r")[-1]
    (tmp_path / "quiet.bin").write_bytes(random_bytes(PART))
    status, stdout, shown = _on_a_terminal(env, "upload", str(tmp_path / "quiet.bin"), "-q")
    assert status == 0 and "1 uploaded" in stdout and shown == ""


def test_bad_input_is_one_line_and_a_non_zero_status(service: Service, tmp_path: Path) -> None:
    env = _client_env(service)
    (tmp_path / "ok.bin").write_bytes(b"x")
    unreachable = f"http://127.0.0.1:{free_port()}"
    no_url = {k: v for k, v in env.items() if k != "GATEWAY_URL"}
    cases = [
        (env, ["upload", str(tmp_path / "ok.bin"), str(tmp_path / "nope.bin")], 2,
         f"gateway: error: no such file: {tmp_path / 'nope.bin'}"),
        (env, ["upload", str(tmp_path)], 2, "is a directory"),
        (env, ["upload", "--url", "localhost:8000", str(tmp_path / "ok.bin")], 2,
         "the gateway URL must look like http://host:port"),
        (no_url, ["ls"], 2, "no gateway URL: set GATEWAY_URL or pass --url"),
        (env, ["ls", "--url", unreachable, "--max-attempts", "2"], 1,
         f"gave up after 2 tries: cannot reach {unreachable}: connection refused"),
        (env, ["upload", "--api-key", "gwk_bad_key", str(tmp_path / "ok.bin")], 1,
         "[401 unauthorized] (check GATEWAY_API_KEY or --api-key)"),
        (env, ["download", "00000000-0000-0000-0000-000000000000"], 1, "[404 file_not_found]"),
        (env, ["rm", "nope"], 1, "[404 file_not_found]"),
        (env, ["upload", "--metadata", "novalue", str(tmp_path / "ok.bin")], 2,
         "--metadata wants KEY=VALUE"),
    ]
    for case_env, args, status, message in cases:
        done = _run(case_env, *args)
        assert done.returncode == status, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gateway: error: "), (args, lines)
        assert message in lines[0], (args, lines)
    assert json.loads(_run(env, "ls", "--json").stdout) == []  # nothing was half-uploaded


def test_verbose_errors_show_the_details(service: Service, tmp_path: Path) -> None:
    env = _client_env(service)
    done = _run(env, "download", "--verbose", "00000000-0000-0000-0000-000000000000")
    assert done.returncode == 1
    assert "gateway: request id" in done.stderr and "Traceback" in done.stderr
