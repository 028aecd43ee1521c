"""Bytes through a served gateway (gunicorn): form uploads, proxied parts, ranged downloads,
413 over a real socket, and the worker's memory while large bodies stream through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google_crc32c
import requests

from gateway.config import Settings
from gateway.uploads.checksums import format_crc32c
from tests.e2e.conftest import Service, served_gateway
from tests.support.api import MIB, random_bytes
from tests.support.forms import Part, PatternStream, form_body, form_type, streamed_form
from tests.support.leftovers import assert_nothing_stored
from tests.support.s3server import S3Endpoint


def key_headers(service: Service) -> dict[str, str]:
    token = service.cli("keys", "create", "--tenant", "e2e").stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def in_blocks(data: bytes, block: int = 64 * 1024) -> Iterator[bytes]:
    """A generator body: requests sends it chunked, with no Content-Length."""
    for start in range(0, len(data), block):
        yield data[start:start + block]


def test_form_upload_as_the_seeds_send_it_and_a_ranged_download(service: Service) -> None:
    headers = key_headers(service)
    data = random_bytes(7 * MIB + 3)
    created = requests.post(f"{service.url}/v1/files", headers=headers, timeout=60,
                            files={"file": ("photo.png", data, "image/png")})
    assert created.status_code == 201, created.text
    file = created.json()
    assert file["num_bytes"] == len(data) and file["content_type"] == "image/png"
    assert file["checksum"]["crc32c"] == format_crc32c(google_crc32c.value(data))
    content = f"{service.url}/v1/files/{file['file_id']}/content?proxy=true"
    part = requests.get(content, headers={**headers, "Range": "bytes=5242870-5242889"},
                        timeout=60)
    assert part.status_code == 206 and part.content == data[5242870:5242890]
    assert part.headers["Content-Range"] == f"bytes 5242870-5242889/{len(data)}"
    whole = requests.get(content, headers=headers, timeout=60)
    assert whole.status_code == 200 and whole.content == data


def test_a_chunked_form_and_a_chunked_proxied_part(service: Service) -> None:
    headers = key_headers(service)
    data = random_bytes(6 * MIB)
    created = requests.post(f"{service.url}/v1/files", timeout=60, data=in_blocks(
        form_body([Part("file", data, "chunked.bin")])), headers={
        **headers, "Content-Type": form_type()})
    assert created.status_code == 201, created.text
    assert created.json()["num_bytes"] == len(data)
    upload = requests.post(f"{service.url}/v1/uploads", headers=headers, timeout=30, json={
        "filename": "parts.bin", "num_bytes": len(data)}).json()
    size = upload["part_size"]
    for number in (1, 2):
        body = data[(number - 1) * size:number * size]
        put = requests.put(f"{service.url}/v1/uploads/{upload['upload_id']}/parts/{number}",
                           headers=headers, data=in_blocks(body), timeout=60)
        assert put.status_code == 200, put.text
        assert put.json()["size"] == len(body)
    done = requests.post(f"{service.url}/v1/uploads/{upload['upload_id']}/complete",
                         headers=headers, timeout=60)
    assert done.status_code == 200 and done.json()["num_bytes"] == len(data), done.text


def test_oversized_forms_are_413_over_a_real_socket(s3: S3Endpoint, bucket: str,
                                                    database_url: str, tmp_path: Path,
                                                    s3_admin: Any) -> None:
    with served_gateway(s3, bucket, database_url, tmp_path, max_form_bytes=str(MIB)) as served:
        headers = {**key_headers(served), "Content-Type": form_type()}
        body = form_body([Part("file", random_bytes(8 * MIB), "big.bin")])
        declared = requests.post(f"{served.url}/v1/files", data=body, headers=headers,
                                 timeout=60)
        assert declared.status_code == 413, declared.text
        assert declared.json()["error"] == "payload_too_large"
        chunked = requests.post(f"{served.url}/v1/files", data=in_blocks(body),
                                headers=headers, timeout=60)
        assert chunked.status_code == 413, chunked.text
        assert chunked.json()["details"] == {"max_form_bytes": MIB}
        fits = requests.post(f"{served.url}/v1/files", headers=headers, timeout=60,
                             data=form_body([Part("file", b"small", "small.txt")]))
        assert fits.status_code == 201, fits.text
        assert requests.delete(f"{served.url}/v1/files/{fits.json()['file_id']}",
                               headers=headers, timeout=30).status_code == 204
    assert_nothing_stored(Settings(database_url=database_url, s3_bucket=bucket), s3_admin)


def worker_peak_rss_mib(master_pid: int) -> float:
    """The peak resident set (VmHWM) of a one-worker gunicorn's worker, in MiB."""
    with open(f"/proc/{master_pid}/task/{master_pid}/children") as children:
        [worker] = children.read().split()
    with open(f"/proc/{worker}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_large_bodies_stream_through_in_bounded_memory(s3: S3Endpoint, bucket: str,
                                                       database_url: str,
                                                       tmp_path: Path) -> None:
    size = 192 * MIB  # whole-body buffering would push the worker past 200 MiB
    with served_gateway(s3, bucket, database_url, tmp_path, workers=1) as served:
        headers = key_headers(served)
        form = streamed_form(size)
        created = requests.post(f"{served.url}/v1/files", data=form, timeout=600,
                                headers={**headers, "Content-Type": form_type()})
        assert created.status_code == 201, created.text
        assert created.json()["checksum"]["crc32c"] == format_crc32c(form.crc32c)
        upload = requests.post(f"{served.url}/v1/uploads", headers=headers, timeout=30, json={
            "filename": "one-part.bin", "num_bytes": size, "part_size": size}).json()
        assert upload["num_parts"] == 1
        body = PatternStream(size)
        put = requests.put(f"{served.url}/v1/uploads/{upload['upload_id']}/parts/1",
                           headers=headers, data=body, timeout=600)
        assert put.status_code == 200, put.text
        assert put.json()["crc32c"] == format_crc32c(body.crc32c)
        assert worker_peak_rss_mib(served.pid) < 200
