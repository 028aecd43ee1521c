"""Two `gateway serve` processes on one database and bucket, hammered by parallel clients.

Run by `make test` on SQLite and by `make test-postgres` on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Service
from tests.support.api import MIB, put_part, random_bytes, slice_part

CLIENTS = 8
CHECKPOINT_PARTS = 16


def _key(service: Service) -> dict[str, str]:
    token = service.cli("keys", "create", "--tenant", "replicas").stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def _in_parallel(count: int, call: Callable[[int], requests.Response]) -> list[requests.Response]:
    """Run call(0..count-1) on `count` threads released at the same instant."""
    start = threading.Barrier(count)

    def run(i: int) -> requests.Response:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def metric_total(service: Service, name: str, **labels: str) -> float:
    """The sum of a metric's samples on one server (every worker's share)."""
    text = requests.get(f"{service.url}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v
                                              for k, v in labels.items()))


def test_concurrent_checkpoints_of_one_upload_lose_no_token(
        replicas: tuple[Service, Service]) -> None:
    headers = _key(replicas[0])
    url = replicas[0].url
    # Unknown length: parts may be any size until complete, so each can be tiny.
    upload = requests.post(f"{url}/v1/uploads", headers=headers, timeout=30,
                           json={"filename": "many-parts.bin"}).json()
    upload_id = upload["upload_id"]
    numbers = list(range(1, CHECKPOINT_PARTS + 1))
    signed = requests.post(f"{url}/v1/uploads/{upload_id}/urls", headers=headers, timeout=30,
                           json={"part_numbers": numbers}).json()["parts"]
    tokens = {p["part_number"]: put_part(p["url"], random_bytes(1024 + p["part_number"]))
              for p in signed}

    def checkpoint(i: int) -> requests.Response:
        # Each client sends its own part and its neighbour's: batches overlap.
        mine = [numbers[i], numbers[(i + 1) % len(numbers)]]
        return requests.post(
            f"{replicas[i % 2].url}/v1/uploads/{upload_id}/checkpoint", headers=headers,
            timeout=60, json={"parts": [{"part_number": n, "part_token": tokens[n]}
                                        for n in mine]})

    answers = _in_parallel(CHECKPOINT_PARTS, checkpoint)
    assert [a.status_code for a in answers] == [200] * CHECKPOINT_PARTS, \
        [a.text[:200] for a in answers if a.status_code != 200]
    for replica in replicas:
        view = requests.get(f"{replica.url}/v1/uploads/{upload_id}", headers=headers,
                            timeout=30).json()
        recorded = {p["part_number"]: p["part_token"] for p in view["checkpointed_parts"]}
        assert recorded == tokens


def test_concurrent_completes_join_once_and_agree(replicas: tuple[Service, Service],
                                                  s3_admin: Any, bucket: str) -> None:
    headers = _key(replicas[0])
    data = random_bytes(5 * MIB + 100)
    upload = requests.post(f"{replicas[0].url}/v1/uploads", headers=headers, timeout=30,
                           json={"filename": "joined.bin", "num_bytes": len(data)}).json()
    parts = [{"part_number": p["part_number"], "part_token": put_part(
        p["url"], slice_part(data, p["part_number"], upload["part_size"]))}
        for p in upload["parts"]]
    joins_before = sum(metric_total(r, "gateway_store_request_duration_seconds_count",
                                    operation="CompleteMultipartUpload") for r in replicas)

    def complete(i: int) -> requests.Response:
        return requests.post(
            f"{replicas[i % 2].url}/v1/uploads/{upload['upload_id']}/complete",
            headers=headers, timeout=120, json={"parts": parts})

    answers = _in_parallel(CLIENTS, complete)
    assert [a.status_code for a in answers] == [200] * CLIENTS, \
        [a.text[:200] for a in answers if a.status_code != 200]
    files = {(a.json()["file_id"], a.json()["num_bytes"], a.json()["created_at"])
             for a in answers}
    assert files == {(upload["file_id"], len(data), answers[0].json()["created_at"])}
    joins = sum(metric_total(r, "gateway_store_request_duration_seconds_count",
                             operation="CompleteMultipartUpload") for r in replicas)
    assert joins - joins_before == 1
    assert sum(metric_total(r, "gateway_uploads_completed_total") for r in replicas) == 1
    stored = s3_admin.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Size"] for o in stored] == [len(data)]
    assert s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_concurrent_resumes_make_one_upload(replicas: tuple[Service, Service],
                                            s3_admin: Any, bucket: str) -> None:
    headers = _key(replicas[0])

    def initiate(i: int) -> requests.Response:
        return requests.post(f"{replicas[i % 2].url}/v1/uploads", headers=headers, timeout=60,
                             json={"filename": "same-name.bin", "num_bytes": 6 * MIB,
                                   "resume_if_started": True})

    answers = _in_parallel(CLIENTS, initiate)
    assert sorted(a.status_code for a in answers) == [200] * (CLIENTS - 1) + [201]
    assert len({a.json()["upload_id"] for a in answers}) == 1
    listed = requests.get(f"{replicas[1].url}/v1/uploads?status=in_progress", headers=headers,
                          timeout=30).json()["items"]
    assert [u["upload_id"] for u in listed] == [answers[0].json()["upload_id"]]
    # The losers' store uploads were aborted: the bucket holds one multipart upload.
    assert len(s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1
    initiated = sum(metric_total(r, "gateway_uploads_initiated_total") for r in replicas)
    assert initiated == 1
