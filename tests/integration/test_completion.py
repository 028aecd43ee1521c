"""Complete: idempotent, safe under concurrency, recovers after a crash, catches corruption."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from typing import Any

import google_crc32c
import pytest
from flask import Flask

from gateway.config import Settings
from gateway.storage.timing import add_store_observer
from gateway.uploads.policy import utcnow
from tests.support.api import MIB, Api, put_part, random_bytes, slice_part, upload_all_parts


def crc_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def services_of(api: Api) -> Any:
    return api.client.application.extensions["gateway"]


def stored_upload(api: Api, upload_id: str) -> Any:
    svc = services_of(api)
    return svc.repository.get_upload(svc.keys.authenticate(api.key), upload_id)


def checkpointed(api: Api, size: int, name: str = "f.bin") -> tuple[dict[str, Any], bytes]:
    data = random_bytes(size)
    upload = api.initiate(name, size)
    tokens = upload_all_parts(upload, data)
    response = api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint", json={"parts": tokens})
    assert response.status_code == 200, response.get_json()
    return upload, data


def assert_object_gone(s3_admin: Any, bucket: str, key: str) -> None:
    listed = s3_admin.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    assert listed == []


def test_part_reuploaded_after_checkpoint_is_caught(api: Api, s3_admin: Any, bucket: str,
                                                    open_uploads: Any) -> None:
    upload, data = checkpointed(api, 11 * MIB)
    # Same size, other bytes: the store now holds a part whose ETag is not the checkpointed one.
    put_part(upload["parts"][1]["url"], random_bytes(5 * MIB))
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": crc_b64(data)})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "part_changed", body
    assert body["details"]["part_numbers"] == [2]
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "failed"
    assert_object_gone(s3_admin, bucket, stored_upload(api, upload["upload_id"]).object_key)
    assert open_uploads() == []
    again = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    assert again.status_code == 409 and "changed" in again.get_json()["message"]


@pytest.mark.parametrize("full_object_crc", [True, False],
                         ids=["store-reports-crc", "read-back"])
def test_wrong_integrity_checksum_fails_and_deletes(settings: Settings, s3_admin: Any,
                                                    bucket: str, open_uploads: Any,
                                                    full_object_crc: bool) -> None:
    from gateway.app import create_app
    from tests.conftest import _key

    app = create_app(settings.with_overrides(s3_full_object_crc32c=full_object_crc),
                     migrate=True)
    api = Api(app.test_client(), _key(app, "t"))
    upload, data = checkpointed(api, 7 * MIB)
    wrong = crc_b64(data + b"x")
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": wrong})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "checksum_mismatch", body
    assert body["details"]["expected"] == wrong and body["details"]["stored"] == crc_b64(data)
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "failed"
    assert_object_gone(s3_admin, bucket, stored_upload(api, upload["upload_id"]).object_key)
    assert open_uploads() == []


@pytest.mark.parametrize("full_object_crc", [True, False],
                         ids=["store-reports-crc", "read-back"])
def test_right_integrity_checksum_passes_both_ways(settings: Settings,
                                                   full_object_crc: bool) -> None:
    from gateway.app import create_app
    from tests.conftest import _key

    app = create_app(settings.with_overrides(s3_full_object_crc32c=full_object_crc),
                     migrate=True)
    api = Api(app.test_client(), _key(app, "t"))
    upload, data = checkpointed(api, 7 * MIB)
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": f"{google_crc32c.value(data):08x}"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checksum"]["crc32c"] == crc_b64(data)


def test_retry_after_crash_past_the_store_completion_finishes(api: Api, s3_admin: Any,
                                                              bucket: str) -> None:
    """The gateway died after the store joined the parts, before its own bookkeeping."""
    upload, data = checkpointed(api, 11 * MIB)
    svc = services_of(api)
    record = stored_upload(api, upload["upload_id"])
    now = utcnow()
    assert svc.repository.claim_completion(record.id, now, now + timedelta(minutes=5),
                                           google_crc32c.value(data))
    parts = svc.repository.get_parts(record.id)
    s3_admin.complete_multipart_upload(
        Bucket=bucket, Key=record.object_key, UploadId=record.store_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p.part_number, "ETag": p.part_token}
                                   for p in parts]})
    # The lease is still live, yet the retry finishes at once instead of failing.
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checksum"]["crc32c"] == crc_b64(data)
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "completed"


def test_retry_after_crash_before_the_store_completion_takes_over(api: Api) -> None:
    """The gateway died holding the lease before calling the store; the lease lapses."""
    upload, data = checkpointed(api, 6 * MIB)
    svc = services_of(api)
    now = utcnow()
    assert svc.repository.claim_completion(upload["upload_id"], now - timedelta(minutes=10),
                                           now - timedelta(seconds=1), None)
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "completing"
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": crc_b64(data)})
    assert response.status_code == 200, response.get_json()


def test_live_lease_without_object_answers_retryable_409(api: Api) -> None:
    upload, _ = checkpointed(api, 6 * MIB)
    svc = services_of(api)
    now = utcnow()
    assert svc.repository.claim_completion(upload["upload_id"], now,
                                           now + timedelta(minutes=5), None)
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    body = response.get_json()
    assert response.status_code == 409 and body["error"] == "completion_in_progress", body
    assert body["retryable"] is True


def test_concurrent_completes_call_the_store_once(app: Flask, api: Api) -> None:
    upload, data = checkpointed(api, 16 * MIB)
    calls: list[str] = []
    add_store_observer(lambda op, _s, _f: calls.append(op))
    start = threading.Barrier(6)
    results: list[tuple[int, Any]] = []

    def complete() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(f"/v1/uploads/{upload['upload_id']}/complete", json={},
                               headers={"Authorization": f"Bearer {api.key}"})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=complete) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 6, results
    assert len({body["file_id"] for _, body in results}) == 1
    assert calls.count("CompleteMultipartUpload") == 1


def test_complete_of_aborted_upload_is_409(api: Api) -> None:
    upload = api.initiate("x.bin", 10)
    api.post(f"/v1/uploads/{upload['upload_id']}/abort")
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    assert response.status_code == 409 and response.get_json()["error"] == "invalid_state"


def test_completed_upload_with_another_checksum_is_409(api: Api) -> None:
    upload, data = checkpointed(api, 6 * MIB)
    ok = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                  json={"integrity_checksum": crc_b64(data)})
    assert ok.status_code == 200
    again = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                     json={"integrity_checksum": crc_b64(b"other")})
    assert again.status_code == 409


def test_part_of_other_size_after_checkpoint_is_caught(api: Api, open_uploads: Any) -> None:
    upload, data = checkpointed(api, 11 * MIB)
    put_part(upload["parts"][2]["url"], slice_part(data, 3, upload["part_size"]) + b"extra")
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    assert response.status_code == 422 and response.get_json()["error"] == "part_changed"
    assert open_uploads() == []
