"""The SDK when things go wrong: transient store failures, expired URLs, corruption, and a
gateway that is unreachable or refuses the key. Faults come from a real HTTP peer (the store
proxy) between the client and moto; see tests/support/store_proxy.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from gateway.client import ApiError, GatewayClient, StoreError, TransferConfig, TransferError
from tests.support.api import MIB, random_bytes
from tests.support.client_fixtures import GATEWAY_URL_TTL, ClientRig
from tests.support.s3server import free_port

PART = 5 * MIB


def _file(tmp_path: Path, size: int, name: str = "f.bin") -> tuple[Path, bytes]:
    data = random_bytes(size)
    (tmp_path / name).write_bytes(data)
    return tmp_path / name, data


def _objects(s3_admin: Any, bucket: str) -> list[bytes]:
    return [s3_admin.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            for o in s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_transient_store_failures_are_retried(rig: ClientRig, s3_admin: Any, bucket: str,
                                              tmp_path: Path) -> None:
    source, data = _file(tmp_path, 3 * PART)
    rig.proxy.inject("PUT", part_number=1, status=503, times=2)
    rig.proxy.inject("PUT", part_number=2, status=429, headers={"Retry-After": "0"})
    rig.proxy.inject("PUT", part_number=3, action="drop")
    result = rig.client().upload_file(source)
    assert result.parts_sent == 3 and _objects(s3_admin, bucket) == [data]
    statuses = [(s.part_number, s.status) for s in rig.proxy.seen if s.method == "PUT"]
    assert statuses.count((1, 503)) == 2 and (2, 429) in statuses and (3, 0) in statuses
    assert sorted(rig.proxy.puts(200)) == [1, 2, 3]


def test_an_expired_part_url_is_re_signed_and_the_part_sent_again(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    # The store's clock runs ten minutes ahead: every URL of the initiate answer (five
    # minutes) is expired there, though the client's clock says they are fine. Re-signed URLs
    # asked with an hour's lifetime are valid on the store's clock.
    source, data = _file(tmp_path, 2 * PART + 1)
    rig.proxy.clock_offset = 2 * GATEWAY_URL_TTL
    result = rig.client(url_ttl=3600, checksum_type="full_object").upload_file(source)
    assert _objects(s3_admin, bucket) == [data] and result.parts_sent == 3
    expired = [s.part_number for s in rig.proxy.seen if s.note == "expired"]
    assert sorted(expired) == [1, 2, 3] and sorted(rig.proxy.puts(200)) == [1, 2, 3]
    assert rig.served.count("POST", "/urls") >= 1


def test_a_composite_parts_url_refused_as_expired_is_signed_again(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    # A composite upload's URLs are signed on demand, so none is stale to begin with: the
    # store answers the first PUT of parts 1 and 3 as it answers an expired URL.
    source, data = _file(tmp_path, 2 * PART + 1)
    rig.proxy.inject("PUT", part_number=1, action="expire")
    rig.proxy.inject("PUT", part_number=3, action="expire")
    result = rig.client(concurrency=1).upload_file(source)
    assert _objects(s3_admin, bucket) == [data] and result.parts_sent == 3
    assert [s.part_number for s in rig.proxy.seen if s.note == "expired"] == [1, 3]
    assert rig.proxy.puts(200) == [1, 2, 3]
    # One signing per part sent in order, and one more for each refused URL.
    assert rig.served.count("POST", "/urls") == 5


@pytest.mark.parametrize("checksum_type,signings", [("full_object", 0), ("composite", 1)])
def test_urls_refused_again_and_again_end_with_a_clear_error(
        rig: ClientRig, tmp_path: Path, checksum_type: str, signings: int) -> None:
    source, _ = _file(tmp_path, PART)
    rig.proxy.clock_offset = 2 * GATEWAY_URL_TTL  # and re-signed URLs get the same 5 minutes
    with pytest.raises(StoreError) as caught:
        rig.client(max_url_refreshes=2, checksum_type=checksum_type).upload_file(source)
    assert "part 1: the store refused its URL 3 times" in str(caught.value)
    assert "Request has expired" in str(caught.value)
    # Two re-signings after refusals; a composite upload's first URL is signed on demand too.
    assert len(rig.proxy.puts(403)) == 3
    assert rig.served.count("POST", "/urls") == 2 + signings
    listed = requests.get(f"{rig.served.url}/v1/uploads", params={"status": "in_progress"},
                          headers={"Authorization": f"Bearer {rig.key}"}, timeout=10)
    assert len(listed.json()["items"]) == 1  # still there to resume


def test_a_store_that_keeps_failing_is_given_up_on_after_bounded_tries(
        rig: ClientRig, tmp_path: Path) -> None:
    source, _ = _file(tmp_path, PART)
    rig.proxy.inject("PUT", status=503, times=100)
    with pytest.raises(TransferError, match=r"part 1: gave up after 3 tries: .*503"):
        rig.client(max_attempts=3).upload_file(source)
    assert len(rig.proxy.puts(503)) == 3


@pytest.mark.parametrize("checksum_type", ["composite", "full_object"])
def test_a_part_corrupted_on_its_way_is_caught_by_the_crc32c(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path, checksum_type: str) -> None:
    # moto keeps the flipped byte: complete's CRC32C check catches it.
    source, _ = _file(tmp_path, 3 * PART)
    rig.proxy.inject("PUT", part_number=2, action="corrupt")
    with pytest.raises(ApiError) as caught:
        rig.client(checksum_type=checksum_type).upload_file(source)
    assert caught.value.status == 422 and caught.value.code == "checksum_mismatch"
    assert _objects(s3_admin, bucket) == []
    listed = requests.get(f"{rig.served.url}/v1/uploads", params={"status": "failed"},
                          headers={"Authorization": f"Bearer {rig.key}"}, timeout=10)
    assert len(listed.json()["items"]) == 1


def test_a_store_that_checks_part_checksums_refuses_a_damaged_part_and_it_is_sent_again(
        rig: ClientRig, s3_admin: Any, bucket: str, tmp_path: Path) -> None:
    # As AWS does with a composite upload's parts: the body must match the signed CRC32C.
    source, data = _file(tmp_path, 3 * PART)
    rig.proxy.check_checksums = True
    rig.proxy.inject("PUT", part_number=2, action="corrupt")
    result = rig.client().upload_file(source)
    assert _objects(s3_admin, bucket) == [data] and result.parts_sent == 3
    assert [(s.part_number, s.status) for s in rig.proxy.seen if s.note == "bad digest"] \
        == [(2, 400)]
    assert sorted(rig.proxy.puts(200)) == [1, 2, 3]


def test_an_unreachable_gateway_is_reported_after_bounded_tries(tmp_path: Path) -> None:
    source, _ = _file(tmp_path, 10)
    client = GatewayClient(f"http://127.0.0.1:{free_port()}", "gwk_x_y", TransferConfig(
        max_attempts=2, backoff_base=0.01))
    with pytest.raises(TransferError, match="gave up after 2 tries: cannot reach"):
        client.upload_file(source)


def test_a_bad_key_is_refused_with_a_hint(rig: ClientRig, tmp_path: Path) -> None:
    source, _ = _file(tmp_path, 10)
    client = GatewayClient(rig.served.url, "gwk_not_a_key")
    with pytest.raises(ApiError) as caught:
        client.upload_file(source)
    assert caught.value.status == 401 and "GATEWAY_API_KEY" in str(caught.value)
