"""The SDK against a served gateway and moto: uploads byte for byte, batched checkpoints,
progress, and resuming from the gateway's checkpoints."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import google_crc32c
import pytest
import requests

from gateway.client import StoreError
from tests.support.api import MIB, random_bytes
from tests.support.client_fixtures import ClientRig
from tests.support.s3server import S3Endpoint

PART = 5 * MIB  # the test gateway's part size


def _crc(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _stored(s3_admin: Any, bucket: str) -> dict[str, bytes]:
    keys = [o["Key"] for o in s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3_admin.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


@pytest.mark.parametrize("checksum_type", ["composite", "full_object"])
@pytest.mark.parametrize("size", [0, 1, PART, 2 * PART, 2 * PART + 3],
                         ids=["empty", "one-byte", "one-part", "two-exact", "three-parts"])
def test_upload_is_byte_identical_in_the_store_and_on_download(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path, size: int,
        checksum_type: str) -> None:
    data = random_bytes(size)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    client = rig.client(checksum_type=checksum_type)
    result = client.upload_file(source)
    assert result.num_bytes == size and result.crc32c == _crc(data)
    assert result.parts_total == -(-size // PART) and result.parts_sent == result.parts_total
    assert not result.resumed and result.filename == "data.bin"
    assert list(_stored(s3_admin, bucket).values()) == [data]
    record = client.get_file(result.file_id)
    assert record["checksum"]["crc32c"] == _crc(data) and record["num_bytes"] == size
    downloaded = client.download_file(result.file_id, str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data
    assert downloaded.verified and downloaded.num_bytes == size


def test_composite_parts_are_sent_and_recorded_with_their_crc32c(
        rig: ClientRig, s3: S3Endpoint, s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    data = random_bytes(3 * PART + 7)
    source = tmp_path / "c.bin"
    source.write_bytes(data)
    result = rig.client(checkpoint_every=2, checkpoint_interval=60).upload_file(source)
    headers = {"Authorization": f"Bearer {rig.key}"}
    upload = requests.get(f"{rig.served.url}/v1/uploads/{result.upload_id}", headers=headers,
                          timeout=10).json()
    assert upload["checksum_type"] == "composite" and upload["status"] == "completed"
    parts = [data[i:i + PART] for i in range(0, len(data), PART)]
    assert [p["crc32c"] for p in upload["checkpointed_parts"]] == [_crc(p) for p in parts]
    [key] = _stored(s3_admin, bucket)
    head = s3_admin.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    if not s3.strict:  # moto reports the checksum of the part CRC32Cs; Ceph none at all
        composite = google_crc32c.value(b"".join(
            google_crc32c.value(p).to_bytes(4, "big") for p in parts)).to_bytes(4, "big")
        # AWS writes it "<base64>-<parts>"; moto's HEAD leaves the suffix out.
        assert head["ChecksumType"] == "COMPOSITE"
        assert head["ChecksumCRC32C"].split("-")[0] == base64.b64encode(composite).decode()
    assert result.crc32c == _crc(data)


def test_part_tokens_are_checkpointed_in_batches(rig: ClientRig, tmp_path: Path) -> None:
    source = tmp_path / "eight.bin"
    source.write_bytes(random_bytes(8 * PART))
    result = rig.client(concurrency=2, checkpoint_every=3, checkpoint_interval=60
                        ).upload_file(source)
    calls = rig.served.count("POST", "/checkpoint")
    # Batches of at least three: never one call per part; the rest rides on complete.
    assert calls == result.checkpoint_calls and 1 <= calls <= 8 // 3
    assert rig.served.count("POST", "/complete") == 1
    assert sorted(rig.proxy.puts(200)) == list(range(1, 9))


def test_progress_callback_counts_every_byte_once(rig: ClientRig, tmp_path: Path) -> None:
    source = tmp_path / "p.bin"
    source.write_bytes(random_bytes(3 * PART + 10))
    seen: list[tuple[int, int]] = []
    rig.client(concurrency=3).upload_file(source, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3 * PART + 10, 3 * PART + 10)
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:], strict=False))
    assert len(seen) > 4  # chunks, not just whole parts


def test_a_failed_run_checkpoints_what_it_sent_and_a_rerun_sends_only_the_rest(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    data = random_bytes(6 * PART + 1)
    source = tmp_path / "resume.bin"
    source.write_bytes(data)
    rig.proxy.inject("PUT", part_number=5, status=400, times=1)  # a refusal no retry cures
    with pytest.raises(StoreError, match="part 5"):
        rig.client(concurrency=1, checkpoint_every=100).upload_file(source)
    headers = {"Authorization": f"Bearer {rig.key}"}
    listed = requests.get(f"{rig.served.url}/v1/uploads", params={"status": "in_progress"},
                          headers=headers, timeout=10).json()["items"]
    upload = requests.get(f"{rig.served.url}/v1/uploads/{listed[0]['upload_id']}",
                          headers=headers, timeout=10).json()
    assert [p["part_number"] for p in upload["checkpointed_parts"]] == [1, 2, 3, 4]
    rig.proxy.seen.clear()
    result = rig.client(concurrency=2).upload_file(source)
    assert result.resumed and result.upload_id == upload["upload_id"]
    assert sorted(rig.proxy.puts()) == upload["missing_parts"] == [5, 6, 7]
    assert result.parts_sent == 3 and result.parts_skipped == 4
    assert result.crc32c == _crc(data) and list(_stored(s3_admin, bucket).values()) == [data]
